/**
 * The export pipeline as the application's thread sees it: started with the engine, it runs the export (exportHost.ts)
 * on the process's export worker, or inline where no worker can run; it relays the worker's reports to the callbacks,
 * reads the counters the worker shares, and at shutdown flushes within the deadline and reports what could not be
 * delivered.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Worker } from "node:worker_threads"
import { Counter } from "./codes.ts"
import { notify } from "./diagnostics.ts"
import type { Engine } from "./engine.ts"
import * as ExportHost from "./exportHost.ts"
import { Stat } from "./exportPump.ts"
import { type FromWorker, kind, type ToWorker } from "./exportWorker.ts"
import type { Runtime } from "./runtime.ts"

/** @internal Where every span the engine accepted for export is now. */
export interface ExportCounts {
  readonly exported: number
  readonly dropped: number
  /** Waiting in the engine or in flight. */
  readonly pending: number
  /** Of `pending`, the spans still waiting in the engine. */
  readonly queued: number
}

/** @internal */
export interface Pipeline {
  /** 0 ACTIVE, or 1 TEMPORARILY_INACTIVE: the target fails and the export backs off, or the bound is reached. */
  readonly state: () => 0 | 1
  readonly stats: () => ExportCounts
  /** Exports every span ended so far, within the deadline; returns the spans not exported by then. */
  readonly flush: (timeoutMillis: number) => Effect.Effect<number>
}

/** @internal */
export interface PipelineSettings {
  readonly shutdownTimeoutMillis: number
  /** Where the binary was loaded from: the worker loads the same one, so both see the same engine. */
  readonly addonPath: string | undefined
  /** Relays a batch to the cluster primary (a forkable cluster's worker), on this thread. */
  readonly relay?: ((bytes: Uint8Array, spans: number) => Promise<boolean>) | undefined
}

/**
 * Starts the export of `engine` in the current scope; closing the scope flushes within the shutdown deadline, stops
 * the export and reports what was not delivered.
 *
 * @internal
 */
export const start = (
  runtime: Runtime,
  engine: Engine,
  config: Omit<ExportHost.HostConfig, "engineId">,
  settings: PipelineSettings
): Effect.Effect<Pipeline, never, Scope.Scope> =>
  Effect.gen(function*() {
    const counters = engine.counters
    const stats = new Float64Array(new SharedArrayBuffer(Stat.Count * 8))
    const hooks: ExportHost.HostHooks = {
      diagnostic: (message) => notify(runtime, "diagnostic", message),
      verbose: (message) => notify(runtime, "verbose", message),
      relay: settings.relay,
      write: (text) => void process.stderr.write(text)
    }
    const engineId = engine.addon.engine_id()
    const host = engineId > 0 && settings.addonPath !== undefined
      ? onWorker(runtime, engine, { ...config, engineId }, settings.addonPath, stats, hooks)
      : inline(runtime, engine, config, stats, hooks)
    // The layer is ready when its export is: a burst right after acquiring it finds the worker taking batches (the
    // first layer of a process waits for the worker to start, later ones only for it to open their engine).
    yield* Effect.promise(() => host.ready).pipe(Effect.timeoutOption(readyTimeoutMillis))
    // Spans the engine accepted for export, counted as the pump counts what it took.
    const accepted = () => counters[Counter.EndedSampled]! - counters[Counter.DroppedRing]!
    let closed = false
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const timeout = settings.shutdownTimeoutMillis
        const undelivered = await host.close(timeout)
        closed = true
        // Spans that ended after the export's last take are lost with the engine.
        const late = Math.max(0, accepted() - stats[Stat.Taken]!)
        stats[Stat.Dropped] += late
        if (undelivered + late > 0) {
          notify(runtime, "diagnostic", `effect-oneagent export: shutdown: ${undelivered + late} spans could not be ` +
            `delivered within ${timeout} ms and were dropped`)
        }
      })
    )
    return {
      state: () => (stats[Stat.State] === 1 || counters[Counter.Queued]! >= config.bufferSize ? 1 : 0),
      stats: () => {
        const exported = stats[Stat.Exported]!
        const dropped = stats[Stat.Dropped]!
        const pending = closed ? 0 : Math.max(0, accepted() - exported - dropped)
        return { exported, dropped, pending, queued: Math.max(0, pending - stats[Stat.InFlight]!) }
      },
      flush: (timeoutMillis) => closed ? Effect.succeed(0) : Effect.promise(() => host.flush(accepted(), timeoutMillis))
    }
  })

// The export on this thread (the WebAssembly engine, or no worker could run): the same pump.
const inline = (
  runtime: Runtime,
  engine: Engine,
  config: Omit<ExportHost.HostConfig, "engineId">,
  stats: Float64Array,
  hooks: ExportHost.HostHooks
): ExportHost.Host => {
  try {
    return ExportHost.start(engine.addon, { ...config, engineId: 0 }, engine.counters, stats, hooks)
  } catch (reason) {
    notify(runtime, "diagnostic", `effect-oneagent export: ${String(reason)}; spans are not exported`)
    return { ready: Promise.resolve(), flush: () => Promise.resolve(0), close: () => Promise.resolve(0) }
  }
}

// What one pipeline on the worker answers to: its reports, its replies, its relayed batches, the worker's end.
interface Channel {
  readonly onMessage: (message: FromWorker) => void
  readonly onGone: (why: string) => void
}

// The process's export worker, started with the first pipeline and kept for the next ones.
interface SharedWorker {
  readonly worker: Worker
  readonly channels: Map<number, Channel>
  gone: boolean
}

let shared: SharedWorker | undefined
let pipelines = 0

// The worker script next to this module: TypeScript when running from the sources, JavaScript from dist/.
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./exportWorker.ts" : "./exportWorker.js", import.meta.url)

const sharedWorker = (): SharedWorker | string => {
  if (shared !== undefined && !shared.gone) return shared
  let worker: Worker
  try {
    worker = new Worker(workerUrl, { workerData: kind, name: "effect-oneagent export" })
  } catch (error) {
    return String(error)
  }
  const current: SharedWorker = { worker, channels: new Map(), gone: false }
  const end = (why: string) => {
    if (current.gone) return
    current.gone = true
    for (const channel of current.channels.values()) channel.onGone(why)
    current.channels.clear()
  }
  worker.on("message", (message: FromWorker) => current.channels.get(message.pipeline)?.onMessage(message))
  worker.on("error", (error) => end(`failed (${error.message})`))
  worker.on("exit", (code) => end(`exited (code ${code})`))
  // Never keeps the process alive: exporting what is left on exit is the layer's release. (After the listeners:
  // adding a message listener refs the port again.)
  worker.unref()
  shared = current
  return current
}

// A grace period past a deadline for the worker's answer, after which it counts as unresponsive.
const graceMillis = 1_000

// How long acquiring a layer waits for its export to be ready; past it spans wait in the engine until it is.
const readyTimeoutMillis = 5_000

/**
 * The export on the process's worker. Requests made before the worker has opened the pipeline wait in its queue; if
 * it cannot run the pipeline (no worker support, a bundler that left the script behind, the binary not loadable
 * there) or ends, the pipeline continues inline.
 */
const onWorker = (
  runtime: Runtime,
  engine: Engine,
  config: ExportHost.HostConfig,
  addonPath: string,
  stats: Float64Array,
  hooks: ExportHost.HostHooks
): ExportHost.Host => {
  const worker = sharedWorker()
  if (typeof worker === "string") {
    notify(runtime, "verbose", `effect-oneagent export: no export worker (${worker}); exporting on this thread`)
    return inline(runtime, engine, config, stats, hooks)
  }
  const pipeline = ++pipelines
  let fallback: ExportHost.Host | undefined
  let opened: () => void = () => {}
  const ready = new Promise<void>((resolve) => (opened = resolve))
  const replies = new Map<number, Deferred.Deferred<number>>()
  let ids = 0
  const useInline = (why: string) => {
    worker.channels.delete(pipeline)
    if (fallback !== undefined) return
    notify(runtime, "diagnostic", `effect-oneagent export: the export worker ${why}; exporting on this thread`)
    fallback = inline(runtime, engine, config, stats, hooks)
    for (const reply of replies.values()) Deferred.doneUnsafe(reply, Effect.succeed(-1))
    replies.clear()
    opened()
  }
  worker.channels.set(pipeline, {
    onGone: useInline,
    onMessage: (message) => {
      switch (message.type) {
        case "opened":
          return opened()
        case "failed":
          return useInline(`could not export (${message.reason})`)
        case "diagnostic":
        case "verbose":
          return notify(runtime, message.type, message.message)
        case "flushed":
        case "closed": {
          const reply = replies.get(message.id)
          if (reply !== undefined) Deferred.doneUnsafe(reply, Effect.succeed(message.pending))
          replies.delete(message.id)
          if (message.type === "closed") worker.channels.delete(pipeline)
          return
        }
        case "relay": {
          const relayed = (ok: boolean) =>
            worker.worker.postMessage({ type: "relayed", pipeline, id: message.id, ok } satisfies ToWorker)
          return void (hooks.relay?.(message.bytes, message.spans) ?? Promise.resolve(false)).then(relayed, () => relayed(false))
        }
      }
    }
  })
  worker.worker.postMessage({ type: "open", pipeline, addonPath, config, counters: engine.counters, stats } satisfies ToWorker)

  // A request to the worker; answered -1 when the pipeline moved to this thread meanwhile, then asked again here.
  const request = async (make: (id: number) => ToWorker, timeoutMillis: number, here: (host: ExportHost.Host) => Promise<number>) => {
    if (fallback !== undefined) return here(fallback)
    const id = ++ids
    const reply = Deferred.makeUnsafe<number>()
    replies.set(id, reply)
    worker.worker.postMessage(make(id))
    const answer = await Effect.runPromise(
      Deferred.await(reply).pipe(Effect.timeoutOption(timeoutMillis + graceMillis))
    )
    replies.delete(id)
    if (answer._tag === "None") return 0
    return answer.value === -1 && fallback !== undefined ? here(fallback) : answer.value
  }
  return {
    ready,
    flush: (target, timeoutMillis) =>
      request((id) => ({ type: "flush", pipeline, id, target, timeoutMillis }), timeoutMillis, (host) =>
        host.flush(target, timeoutMillis)),
    close: (timeoutMillis) =>
      request((id) => ({ type: "close", pipeline, id, timeoutMillis }), timeoutMillis, (host) => host.close(timeoutMillis))
  }
}
