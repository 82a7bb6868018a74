/**
 * The export pipeline: the engine's export thread encodes batches off the JS thread; they go to an
 * OTLP/HTTP receiver (protobuf) or, by default, to a local file of OTLP/JSON lines (optionally printed as
 * trace trees). Shutdown flushes within a deadline and reports what could not be delivered.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type * as Scope from "effect/Scope"
import * as ExportConfig from "../ExportConfig.ts"
import { Counter } from "./codes.ts"
import type { Engine } from "./engine.ts"
import { spansOf } from "./otlpJson.ts"
import type { Runtime } from "./runtime.ts"
import { notify } from "./runtime.ts"
import { consoleTrees } from "./sinks.ts"
import { makeOtlpHttpTransport } from "./transport.ts"

/** @internal Native exporter bindings (native/export_bindings.cc). */
export interface ExporterAddon {
  exporter_start(
    config: {
      readonly format: "protobuf" | "json"
      readonly resource: ReadonlyArray<readonly [string, string | number | boolean]>
      readonly scopeName: string
      readonly scopeVersion: string
      readonly maxBatchSpans: number
      readonly maxBatchBytes: number
      readonly intervalMs: number
    },
    onBatch: (bytes: Uint8Array | null, countOrSequence: number) => void
  ): number
  exporter_flush(): number
  exporter_stop(): number
  exporter_stats(): [spansEncoded: number, batchesDelivered: number, spansDropped: number, bytesDelivered: number]
}

/** @internal */
export interface Pipeline {
  /** 0 ACTIVE or 1 TEMPORARILY_INACTIVE (backing off). */
  readonly state: () => 0 | 1
  readonly stats: () => { readonly exported: number; readonly dropped: number; readonly pending: number }
  /** Exports everything ended so far, within the deadline; returns the spans that could not be delivered. */
  readonly flush: (timeoutMillis: number) => Effect.Effect<number>
}

/** @internal */
export interface PipelineOptions {
  readonly intervalMillis: number
  readonly maxBatchSpans: number
}

/**
 * Starts the export thread and the sender for `resolved.target`. The scope's close flushes (with the
 * configured deadline), stops the thread and reports losses.
 *
 * @internal
 */
export const start = (
  runtime: Runtime,
  engine: Engine,
  resolved: ExportConfig.ResolvedExport,
  options: PipelineOptions
): Effect.Effect<Pipeline, never, Scope.Scope> =>
  Effect.gen(function*() {
    const addon = engine.addon as unknown as ExporterAddon
    const diagnostic = (message: string) => notify(runtime, "diagnostic", message)
    let state: 0 | 1 = 0
    let exported = 0
    let dropped = 0
    let reportedRingDrops = 0
    // Flush completions arrive as onBatch(null, seq); waiters resolve when seq reaches theirs.
    let completed = 0
    const waiters: Array<{ seq: number; done: Deferred.Deferred<void> }> = []

    const checkRingDrops = () => {
      const ringDrops = engine.counters[Counter.DroppedRing]!
      if (ringDrops > reportedRingDrops) {
        diagnostic(`dropped ${ringDrops - reportedRingDrops} finished spans: the buffer of ended spans was full ` +
          `(raise bufferSize, or the export target is too slow)`)
        reportedRingDrops = ringDrops
      }
    }

    let statsOf: () => { exported: number; dropped: number; pending: number }
    let send: (bytes: Uint8Array, count: number) => void
    let pendingOf: () => number
    let flushTarget: (timeoutMillis: number) => Effect.Effect<number>
    if (resolved.target._tag === "OtlpHttp") {
      const transport = yield* makeOtlpHttpTransport(resolved.target, {
        diagnostic,
        verbose: (message) => notify(runtime, "verbose", message),
        onState: (s) => void (state = s)
      }, { maxQueueBatches: resolved.maxQueueBatches })
      send = transport.offer
      pendingOf = () => transport.stats().pendingSpans
      flushTarget = (timeoutMillis) => Effect.map(transport.flush(timeoutMillis), (r) => r.pendingSpans)
      const exportedOf = () => transport.stats().sentSpans
      const droppedOf = () => transport.stats().droppedSpans
      statsOf = () => ({ exported: exportedOf(), dropped: droppedOf(), pending: pendingOf() })
    } else {
      const file = yield* openFile(resolved.target.path, diagnostic)
      const trees = resolved.console ? consoleTrees((text) => process.stderr.write(text)) : undefined
      send = (bytes, count) => {
        const line = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
        if (file.write(line, count)) exported += count
        else dropped += count
        if (trees !== undefined) {
          try {
            trees.add(spansOf(line))
          } catch {
            // the console view is best effort; the file has the data
          }
        }
      }
      pendingOf = () => 0
      flushTarget = (timeoutMillis) => file.drain.pipe(Effect.timeoutOption(timeoutMillis), Effect.as(0))
      yield* Effect.addFinalizer(() => Effect.sync(() => trees?.close()))
      statsOf = () => ({ exported, dropped, pending: 0 })
    }

    const onBatch = (bytes: Uint8Array | null, countOrSequence: number) => {
      if (bytes === null) {
        completed = Math.max(completed, countOrSequence)
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.seq <= completed) {
            Deferred.doneUnsafe(waiters[i]!.done, Effect.void)
            waiters.splice(i, 1)
          }
        }
        return
      }
      checkRingDrops()
      send(bytes, countOrSequence)
    }

    const status = addon.exporter_start({
      format: resolved.target._tag === "OtlpHttp" ? "protobuf" : "json",
      resource: resolved.resource,
      scopeName: ExportConfig.sdkName,
      scopeVersion: ExportConfig.sdkVersion,
      maxBatchSpans: options.maxBatchSpans,
      maxBatchBytes: 4 * 1024 * 1024,
      intervalMs: options.intervalMillis
    }, onBatch)
    if (status !== 0) diagnostic(`the export thread could not start (status ${status}); spans are not exported`)

    const flushThread = (timeoutMillis: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (status !== 0) return Effect.void
        const seq = addon.exporter_flush()
        if (seq <= 0 || seq <= completed) return Effect.void
        const done = Deferred.makeUnsafe<void>()
        waiters.push({ seq, done })
        return Deferred.await(done).pipe(Effect.timeoutOption(timeoutMillis), Effect.asVoid)
      })

    const flush = (timeoutMillis: number): Effect.Effect<number> =>
      Effect.gen(function*() {
        const deadline = Date.now() + timeoutMillis
        yield* flushThread(timeoutMillis)
        checkRingDrops()
        return yield* flushTarget(Math.max(0, deadline - Date.now()))
      })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const left = yield* flush(resolved.shutdownTimeoutMillis)
        if (status === 0) addon.exporter_stop()
        const threadDrops = status === 0 ? addon.exporter_stats()[2] : 0
        if (left > 0 || threadDrops > 0) {
          diagnostic(`shutdown: ${left + threadDrops} spans could not be delivered within ` +
            `${resolved.shutdownTimeoutMillis} ms and were dropped`)
        }
      })
    )

    return { state: () => state, stats: () => statsOf(), flush }
  })

interface FileWriter {
  /** Appends one line; false when the file cannot be written (the spans are counted as dropped). */
  readonly write: (line: string, count: number) => boolean
  readonly drain: Effect.Effect<void>
}

// Appends through a stream so the JS thread never waits for the disk; a write error is reported once.
const openFile = (path: string, diagnostic: (message: string) => void): Effect.Effect<FileWriter, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let failed = false
      let stream: Fs.WriteStream | undefined
      try {
        Fs.mkdirSync(Path.dirname(path), { recursive: true })
        stream = Fs.createWriteStream(path, { flags: "a" })
        stream.on("error", (error) => {
          if (!failed) diagnostic(`cannot write the traces file ${path}: ${error.message}`)
          failed = true
        })
      } catch (error) {
        failed = true
        diagnostic(`cannot open the traces file ${path}: ${error instanceof Error ? error.message : String(error)}`)
      }
      const writer: FileWriter = {
        write: (line) => {
          if (failed || stream === undefined) return false
          stream.write(line + "\n")
          return true
        },
        // Writes complete in order, so the callback of an empty write means every earlier line is written.
        drain: Effect.callback<void>((resume) => {
          if (stream === undefined || failed || stream.writableLength === 0) return resume(Effect.void)
          stream.write("", () => resume(Effect.void))
        })
      }
      return { writer, stream }
    }),
    ({ stream }) =>
      Effect.callback<void>((resume) => {
        if (stream === undefined || stream.destroyed) return resume(Effect.void)
        stream.end(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ writer }) => writer))
