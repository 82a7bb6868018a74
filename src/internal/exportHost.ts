/**
 * Everything the export runs with, wherever it runs: the engine's consumer side as the pump's source, the sender of
 * the target, the console view, and the report of spans the engine dropped at its bound. The export worker
 * (exportWorker.ts) runs it on a thread of its own; the application's thread runs it inline only where no worker can
 * (the WebAssembly engine, a runtime without workers).
 *
 * @internal
 */
import type { Addon } from "./addon.ts"
import { Counter } from "./codes.ts"
import { sdkName, sdkVersion } from "./version.ts"
import { type Batch, Pump, type PumpOptions, type Sender, type Source, Stat } from "./exportPump.ts"
import * as Senders from "./senders.ts"
import * as ConsoleTree from "./consoleTree.ts"
import { spansOf, textOf } from "./spanData.ts"

/** @internal What the export runs with: plain data, so it crosses to the worker as it is. */
export interface HostConfig {
  /** The engine to consume (0: the calling environment's own). */
  readonly engineId: number
  /** Where batches go: a target, or (a cluster worker) the application's thread, which posts them to the primary. */
  readonly target: Senders.PlainTarget | { readonly _tag: "Relay"; readonly format: "protobuf" | "json" }
  readonly resource: ReadonlyArray<readonly [string, string | number | boolean]>
  readonly pump: PumpOptions
  /** The finished-span bound (bufferSize), named in the report of spans dropped at it. */
  readonly bufferSize: number
  /** Print each finished trace as a tree to stderr. */
  readonly console: boolean
}

/** @internal How the export reaches the application: its reports, and (a cluster worker) its batches to relay. */
export interface HostHooks {
  readonly diagnostic: (message: string) => void
  readonly verbose: (message: string) => void
  /** Relays a batch to the application's thread and reports whether it was delivered. */
  readonly relay?: ((bytes: Uint8Array, spans: number) => Promise<boolean>) | undefined
  /** Writes the console view (stderr). */
  readonly write: (text: string) => void
}

/** @internal A running export. */
export interface Host {
  /** Resolves once the export takes batches (at once inline; once the worker opened the engine). */
  readonly ready: Promise<void>
  readonly flush: (target: number, timeoutMillis: number) => Promise<number>
  /** Flushes within the deadline and stops; the spans not exported. */
  readonly close: (timeoutMillis: number) => Promise<number>
}

/**
 * Opens the engine's consumer side in this environment and starts the pump. `counters` are the engine's shared
 * counters (for the report of spans dropped at the bound), `stats` the pump's. Throws the reason (a string) when the
 * engine cannot be opened here.
 *
 * @internal
 */
export const start = (
  addon: Addon,
  config: HostConfig,
  counters: Float64Array,
  stats: Float64Array,
  hooks: HostHooks
): Host => {
  const format = config.target._tag === "Relay"
    ? config.target.format
    : config.target._tag === "File"
    ? "json"
    : "protobuf"
  const opened = addon.export_open(config.engineId, format, config.resource, sdkName, sdkVersion,
    config.console && format === "protobuf")
  if (opened !== 0) throw `the engine's export could not be opened here (status ${opened})`
  const source: Source = {
    take: (maxSpans, maxBytes) => addon.export_take(maxSpans, maxBytes),
    settle: (spans) => void addon.export_settle(spans),
    waiting: () => addon.export_state()[0],
    dropped: () => addon.export_state()[1]
  }
  const relay = hooks.relay
  const sender: Sender = config.target._tag === "Relay"
    ? { format, send: (bytes, spans) => relay === undefined ? Promise.resolve(false) : relay(bytes, spans) }
    : Senders.make(config.target, {
      diagnostic: hooks.diagnostic,
      verbose: hooks.verbose,
      onState: (state) => void (stats[Stat.State] = state)
    })
  const trees = config.console ? ConsoleTree.make(hooks.write) : undefined
  const ringDrops = watchRingDrops(counters, config.bufferSize, hooks.diagnostic)
  const options = { ...config.pump, takeAt: Math.floor(config.bufferSize / 2) }
  const pump = new Pump(source, sender, options, stats, (batch: Batch) => {
    trees?.add(spansOf(textOf(batch[2] ?? batch[0])))
  })
  // Its own timer: while a batch waits for a target that does not answer, spans keep being dropped, and said.
  const watch = setInterval(ringDrops, 250)
  watch.unref?.()
  return {
    ready: Promise.resolve(),
    flush: (target, timeoutMillis) => pump.flush(target, timeoutMillis),
    close: async (timeoutMillis) => {
      const undelivered = await pump.close(timeoutMillis)
      clearInterval(watch)
      ringDrops()
      trees?.close()
      addon.export_close()
      return undelivered
    }
  }
}

// Reports spans the engine dropped because bufferSize of them were waiting: once per episode, with its count.
const watchRingDrops = (counters: Float64Array, bufferSize: number, diagnostic: (message: string) => void) => {
  let reported = counters[Counter.DroppedRing]!
  return () => {
    const dropped = counters[Counter.DroppedRing]!
    if (dropped <= reported) return
    diagnostic(`effect-oneagent export: dropped ${dropped - reported} finished spans: ${bufferSize} were already ` +
      `waiting for export (raise bufferSize, or the export target is too slow)`)
    reported = dropped
  }
}
