/**
 * Forkable mode on Node's `cluster`: the primary initialises with `forkable: true`, does not trace and runs the one
 * export target; its workers trace, encode on their own export worker, and post the encoded batches to the primary
 * over the cluster IPC channel instead of holding a transport of their own. The IPC channel is the worker process's
 * main thread's, so each batch (not each span) costs that thread one `process.send`.
 *
 * The primary tells its workers through the environment they inherit: `ONEAGENT_FORKABLE` is the encoding the
 * primary's target takes (`protobuf` for OTLP/HTTP, `json` for the OTLP/JSON lines file), and
 * `ONEAGENT_FORKABLE_IPC=advanced` when the cluster's IPC serialization was "advanced" at that time, so workers
 * post the bytes as they are; otherwise they are sent as base64. The primary accepts both forms, so a later change
 * of the serialization setting loses nothing.
 *
 * Messages are ordinary cluster messages, `{ "effect-oneagent": "batch", ... }`; an application's own
 * `cluster.on("message")` handlers see them too and should ignore what they do not know.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import cluster from "node:cluster"
import type * as ExportConfig from "../ExportConfig.ts"
import { notify } from "./diagnostics.ts"
import { readEnv } from "./environment.ts"
import * as Pump from "./exportPump.ts"
import type { Runtime } from "./runtime.ts"
import * as Senders from "./senders.ts"

/** @internal Set by a forkable primary for the workers it forks: the encoding its target takes. */
export const ENV = "ONEAGENT_FORKABLE"

/** @internal Set to "advanced" by a forkable primary whose cluster IPC uses the advanced serialization. */
export const ENV_IPC = "ONEAGENT_FORKABLE_IPC"

/** @internal The key that marks the library's cluster messages. */
export const MESSAGE_KEY = "effect-oneagent"

/** @internal One encoded batch, from a worker to the primary. */
export interface BatchMessage {
  readonly [MESSAGE_KEY]: "batch"
  readonly version: 1
  readonly format: "protobuf" | "json"
  readonly spans: number
  /** "raw": `data` is the bytes (a Buffer; with JSON serialization it arrives as `{ type: "Buffer", data }`). */
  readonly encoding: "raw" | "base64" | "utf8"
  readonly data: unknown
}

/** @internal What this process is in forkable mode. */
export type Role =
  | { readonly _tag: "Standalone"; readonly warning?: string | undefined }
  | { readonly _tag: "Primary" }
  | { readonly _tag: "Worker"; readonly format: "protobuf" | "json"; readonly raw: boolean }

/**
 * The role of this process: a forkable primary, a worker of one (told by the environment its primary set, or
 * asked for with `forkable: true`), or on its own. `forkable: false` always means on its own.
 *
 * @internal
 */
export const role = (forkable: boolean | undefined): Role => {
  if (forkable === false) return { _tag: "Standalone" }
  if (cluster.isPrimary) return forkable === true ? { _tag: "Primary" } : { _tag: "Standalone" }
  const format = readEnv(ENV)
  if ((format === "protobuf" || format === "json") && typeof process.send === "function") {
    return { _tag: "Worker", format, raw: readEnv(ENV_IPC) === "advanced" }
  }
  return forkable === true
    ? {
      _tag: "Standalone",
      warning: "forkable: this cluster worker's primary did not initialise with forkable: true before forking " +
        `it (${ENV} is not set), so this worker exports on its own`
    }
    : { _tag: "Standalone" }
}

/** @internal The reason a forkable primary gives for ignoring tracer calls. */
export const primaryIgnoreReason =
  "this is the primary process of a forkable (cluster) setup: it does not trace, its workers do; the call was ignored"

const message = (text: string) => `effect-oneagent export: ${text}`

/**
 * A worker's relay to its primary: each batch is posted with `process.send`, and counts as exported once the IPC
 * channel has taken it (the primary's stats say what reached the target). The export pump awaits each batch, so at
 * most one is in the channel at a time.
 *
 * @internal
 */
export const relayToPrimary = (
  runtime: Runtime,
  format: "protobuf" | "json",
  raw: boolean
): (bytes: Uint8Array, spans: number) => Promise<boolean> => {
  const diagnostic = (text: string) => notify(runtime, "diagnostic", message(text))
  let disconnectedReported = false
  return (bytes, spanCount) =>
    new Promise<boolean>((resume) => {
      const spans = spanCount > 0 && Number.isFinite(spanCount) ? Math.floor(spanCount) : 0
      if (!process.connected || typeof process.send !== "function") {
        if (!disconnectedReported) {
          disconnectedReported = true
          diagnostic(`the IPC channel to the cluster primary is closed; dropping batches (first: ${spans} spans)`)
        }
        return resume(false)
      }
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const batch: BatchMessage = format === "json"
        ? { [MESSAGE_KEY]: "batch", version: 1, format, spans, encoding: "utf8", data: buffer.toString("utf8") }
        : raw
        ? { [MESSAGE_KEY]: "batch", version: 1, format, spans, encoding: "raw", data: buffer }
        : { [MESSAGE_KEY]: "batch", version: 1, format, spans, encoding: "base64", data: buffer.toString("base64") }
      const finish = (error: Error | null) => {
        if (error !== null) diagnostic(`dropped a batch of ${spans} spans: it could not be sent to the cluster primary (${error.message})`)
        resume(error === null)
      }
      try {
        process.send(batch, undefined, {}, (error: Error | null) => finish(error ?? null))
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)))
      }
    })
}

/** @internal The primary's collector, shared by every layer acquired in the primary. */
export interface Collector {
  /** 0 when this acquisition started it, 2 when it joined a running one. */
  readonly status: 0 | 2
  /** The workers' spans as the primary's target received them (dropped: also malformed or too many waiting). */
  readonly stats: () => { readonly exported: number; readonly dropped: number; readonly pending: number }
}

interface Running {
  refs: number
  readonly stats: Collector["stats"]
  readonly close: Effect.Effect<void>
}

let running: Running | undefined

// After the last release, batches that workers still send are dropped here, and counted so that they are not lost
// silently: by the closed collector's stats and in one diagnostic. A new collector takes over from it.
let stopLateCount: (() => void) | undefined

const bytesOf = (batch: BatchMessage): Uint8Array | undefined => {
  const data = batch.data
  switch (batch.encoding) {
    case "utf8":
      return typeof data === "string" ? Buffer.from(data, "utf8") : undefined
    case "base64":
      return typeof data === "string" ? Buffer.from(data, "base64") : undefined
    case "raw": {
      if (data instanceof Uint8Array) return data
      const json = data as { readonly type?: unknown; readonly data?: unknown } | null
      return typeof json === "object" && json !== null && json.type === "Buffer" && Array.isArray(json.data)
        ? Buffer.from(json.data as Array<number>)
        : undefined
    }
    default:
      return undefined
  }
}

const isBatch = (value: unknown): value is BatchMessage =>
  typeof value === "object" && value !== null && (value as Record<string, unknown>)[MESSAGE_KEY] === "batch"

/**
 * The workers' batches waiting for the primary's pump: bounded in spans (the primary's bufferSize) as an engine is,
 * so a target that cannot keep up drops (and counts) new batches instead of growing the primary's memory.
 */
const queue = (bound: number, diagnostic: (text: string) => void) => {
  const batches: Array<readonly [Uint8Array, number]> = []
  let waiting = 0
  let dropped = 0
  let fullSince = 0
  const source: Pump.Source = {
    take: () => {
      const batch = batches.shift()
      if (batch === undefined) return null
      waiting -= batch[1]
      return batch
    },
    settle: () => {},
    waiting: () => waiting,
    dropped: () => 0
  }
  const offer = (bytes: Uint8Array, spans: number) => {
    if (waiting + spans > bound) {
      if (fullSince === 0) diagnostic(`${bound} spans from cluster workers are waiting for export: dropping new batches`)
      fullSince += spans
      dropped += spans
      return
    }
    if (fullSince > 0) {
      diagnostic(`the cluster's export has room again; dropped ${fullSince} spans`)
      fullSince = 0
    }
    batches.push([bytes, spans])
    waiting += spans
  }
  return { source, offer, dropped: () => dropped }
}

/**
 * Starts (or joins) the primary's collector: the workers' batches queued for a pump (on this thread: the primary does
 * not trace) that sends them to `resolved.target`. It sets the environment its workers inherit, so it must run
 * before `cluster.fork()`. The last release stops listening, flushes within the shutdown deadline, reports what was
 * not delivered and closes the sender.
 *
 * @internal
 */
export const acquirePrimary = (
  runtime: Runtime,
  resolved: ExportConfig.ResolvedExport,
  options: { readonly bufferSize: number; readonly intervalMillis: number; readonly fileMaxBytes: number }
): Effect.Effect<Collector, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      if (running !== undefined) {
        running.refs++
        return { status: 2 as const, stats: running.stats }
      }
      stopLateCount?.()
      const diagnostic = (text: string) => notify(runtime, "diagnostic", message(text))
      const stats = new Float64Array(Pump.Stat.Count)
      const sender = Senders.make(Senders.plainTarget(resolved.target, options.fileMaxBytes, Redacted.value), {
        diagnostic: (text) => notify(runtime, "diagnostic", text),
        verbose: (text) => notify(runtime, "verbose", text),
        onState: (state) => void (stats[Pump.Stat.State] = state)
      })
      const waiting = queue(options.bufferSize, diagnostic)
      // Each queued batch is encoded already: one is a whole batch.
      const pump = new Pump.Pump(waiting.source, sender, {
        intervalMillis: options.intervalMillis,
        maxBatchSpans: 1,
        maxBatchBytes: 0
      }, stats)
      let rejected = 0
      let mismatchReported = false
      const seen = new WeakSet<object>()
      const onMessage = (worker: { readonly process: { readonly pid?: number | undefined } }, value: unknown) => {
        if (!isBatch(value)) return
        if (!seen.has(worker)) {
          seen.add(worker)
          notify(runtime, "verbose", message(`forkable primary: receiving batches from cluster worker pid ` +
            `${worker.process.pid} (${value.format}, ${value.encoding})`))
        }
        const spans = typeof value.spans === "number" && value.spans > 0 ? Math.floor(value.spans) : 0
        if (value.format !== sender.format) {
          rejected += spans
          if (!mismatchReported) {
            mismatchReported = true
            diagnostic(`a cluster worker (pid ${worker.process.pid}) sent ${value.format} batches, but the target ` +
              `takes ${sender.format}; they are dropped (was the worker forked by another primary?)`)
          }
          return
        }
        const bytes = bytesOf(value)
        if (bytes === undefined) {
          rejected += spans
          diagnostic(`a malformed batch of ${spans} spans from a cluster worker (pid ${worker.process.pid}) was dropped`)
          return
        }
        waiting.offer(bytes, spans)
      }
      const previous = { format: process.env[ENV], ipc: process.env[ENV_IPC] }
      process.env[ENV] = sender.format
      if (cluster.settings.serialization === "advanced") process.env[ENV_IPC] = "advanced"
      else delete process.env[ENV_IPC]
      cluster.on("message", onMessage)

      let late = 0
      const countLate = (_worker: unknown, value: unknown) => {
        if (!isBatch(value)) return
        if (late === 0) {
          diagnostic("a cluster worker sent spans after the forkable primary shut its export down; they are " +
            "dropped and counted in its stats (release the primary's SDK after its workers')")
        }
        late += typeof value.spans === "number" && value.spans > 0 ? Math.floor(value.spans) : 0
      }
      const close = Effect.gen(function*() {
        cluster.off("message", onMessage)
        cluster.on("message", countLate)
        stopLateCount = () => {
          cluster.off("message", countLate)
          stopLateCount = undefined
        }
        restore(ENV, previous.format)
        restore(ENV_IPC, previous.ipc)
        const left = yield* Effect.promise(() => pump.close(resolved.shutdownTimeoutMillis))
        if (left > 0) {
          diagnostic(`shutdown: ${left} spans could not be delivered within ${resolved.shutdownTimeoutMillis} ms ` +
            `and were dropped`)
        }
      })
      const counts = () => ({
        exported: stats[Pump.Stat.Exported]!,
        dropped: stats[Pump.Stat.Dropped]! + waiting.dropped() + rejected + late,
        pending: waiting.source.waiting() + stats[Pump.Stat.InFlight]!
      })
      running = { refs: 1, stats: counts, close }
      return { status: 0 as const, stats: counts }
    }),
    () =>
      Effect.suspend(() => {
        const current = running
        if (current === undefined || --current.refs > 0) return Effect.void
        running = undefined
        return current.close
      })
  )

const restore = (name: string, value: string | undefined) => {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
