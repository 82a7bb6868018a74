/**
 * The export pipeline: the engine's export thread encodes batches off the JS thread and hands them to a
 * {@link Sender}: an OTLP/HTTP receiver (protobuf), by default a local file of OTLP/JSON lines (optionally
 * printed as trace trees), or, in a forkable cluster worker, the primary process (cluster.ts). Shutdown
 * flushes within a deadline and reports what could not be delivered.
 *
 * Accounting: every span the engine hands to the export thread is, at any time, in exactly one of
 * `exported`, `dropped` or `pending` (pending includes batches encoded but not yet handed to the sender).
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type * as Scope from "effect/Scope"
import type * as ExportConfig from "../ExportConfig.ts"
import { Counter } from "./codes.ts"
import { notify } from "./diagnostics.ts"
import type { Engine } from "./engine.ts"
import { sdkName, sdkVersion } from "./exportConfig.ts"
import { spansOf } from "./otlpJson.ts"
import type { Runtime } from "./runtime.ts"
import { consoleTrees } from "./sinks.ts"
import { makeOtlpHttpTransport } from "./transport.ts"


/** @internal Where every span handed to the export pipeline is now. */
export interface ExportCounts {
  readonly exported: number
  readonly dropped: number
  readonly pending: number
  /** Of `pending`, the spans still in the engine's ring, not yet encoded by the export thread. */
  readonly queued?: number | undefined
}

/**
 * The end of the pipeline that takes encoded batches: the HTTP transport, the file, or the cluster primary.
 *
 * @internal
 */
export interface Sender {
  /** The encoding it takes: OTLP protobuf (HTTP targets) or one OTLP/JSON line per batch (file target). */
  readonly format: "protobuf" | "json"
  /** Synchronous and never throws; a batch it cannot take is counted as dropped. */
  readonly send: (bytes: Uint8Array, spanCount: number) => void
  /** 0 ACTIVE or 1 TEMPORARILY_INACTIVE (backing off). */
  readonly state: () => 0 | 1
  readonly stats: () => ExportCounts
  /** Waits until everything sent so far is delivered or given up, or the deadline; returns the spans still pending. */
  readonly flush: (timeoutMillis: number) => Effect.Effect<number>
}

/** @internal */
export interface Pipeline {
  /** 0 ACTIVE or 1 TEMPORARILY_INACTIVE (backing off). */
  readonly state: () => 0 | 1
  readonly stats: () => ExportCounts
  /** Exports everything ended so far, within the deadline; returns the spans that could not be delivered. */
  readonly flush: (timeoutMillis: number) => Effect.Effect<number>
}

/** @internal */
export interface PipelineOptions {
  readonly intervalMillis: number
  readonly maxBatchSpans: number
}

/** @internal What the pipeline needs besides the sender. */
export interface PipelineSettings {
  readonly resource: ExportConfig.ResolvedExport["resource"]
  readonly shutdownTimeoutMillis: number
  /** Print each finished trace as a tree to stderr, whatever the target. */
  readonly console: boolean
}

const diagnosticOf = (runtime: Runtime) => (message: string) => notify(runtime, "diagnostic", message)

/**
 * The sender for `resolved.target`, living in the current scope. Closing the scope counts whatever is still
 * pending as dropped, without a report of its own: the owner flushes first and reports (see {@link reportShutdown}).
 *
 * @internal
 */
export const makeSender = (
  runtime: Runtime,
  resolved: ExportConfig.ResolvedExport
): Effect.Effect<Sender, never, Scope.Scope> =>
  Effect.gen(function*() {
    const diagnostic = diagnosticOf(runtime)
    if (resolved.target._tag === "OtlpHttp") {
      let state: 0 | 1 = 0
      const transport = yield* makeOtlpHttpTransport(resolved.target, {
        diagnostic,
        verbose: (message) => notify(runtime, "verbose", message),
        onState: (s) => void (state = s)
      }, { maxQueueBatches: resolved.maxQueueBatches, reportOnClose: false })
      return {
        format: "protobuf",
        send: transport.offer,
        state: () => state,
        stats: () => {
          const s = transport.stats()
          return { exported: s.sentSpans, dropped: s.droppedSpans, pending: s.pendingSpans }
        },
        flush: (timeoutMillis) => Effect.map(transport.flush(timeoutMillis), (r) => r.pendingSpans)
      } satisfies Sender
    }
    const path = resolved.target.path
    const file = yield* openFile(path, diagnostic)
    let exported = 0
    let dropped = 0
    let pending = 0
    // One report per episode of a disk that cannot keep up, not one per dropped batch.
    let fullDroppedSpans = 0
    return {
      format: "json",
      send: (bytes, count) => {
        if (file.backlogBytes() > maxFileBacklogBytes) {
          if (fullDroppedSpans === 0) {
            diagnostic(`effect-oneagent export: the traces file ${path} cannot keep up ` +
              `(${maxFileBacklogBytes >> 20} MiB waiting): dropping batches until it does`)
          }
          fullDroppedSpans += count
          dropped += count
          return
        }
        if (fullDroppedSpans > 0) {
          diagnostic(`effect-oneagent export: the traces file keeps up again; dropped ${fullDroppedSpans} spans`)
          fullDroppedSpans = 0
        }
        pending += count
        // The encoded bytes go to the file as they are: decoding them to a string would cost the JS thread.
        file.write(bytes, (ok) => {
          pending -= count
          if (ok) exported += count
          else dropped += count
        })
      },
      state: () => 0,
      stats: () => ({ exported, dropped, pending }),
      flush: (timeoutMillis) =>
        file.drain.pipe(Effect.timeoutOption(Math.max(0, timeoutMillis)), Effect.map(() => pending))
    } satisfies Sender
  })

// The most the file sink lets wait for the disk before it drops (and counts) new batches.
const maxFileBacklogBytes = 64 * 1024 * 1024

/** @internal The one report of a shutdown that could not deliver everything. */
export const reportShutdown = (runtime: Runtime, undelivered: number, timeoutMillis: number): void => {
  if (undelivered > 0) {
    notify(
      runtime,
      "diagnostic",
      `effect-oneagent export: shutdown: ${undelivered} spans could not be delivered within ${timeoutMillis} ms ` +
        `and were dropped`
    )
  }
}

/**
 * Starts the export thread, feeding `sender`. The scope's close flushes (with the configured deadline), stops
 * the thread and reports losses; the sender must live in an enclosing scope, or in the same scope created
 * before this call.
 *
 * @internal
 */
export const start = (
  runtime: Runtime,
  engine: Engine,
  sender: Sender,
  settings: PipelineSettings,
  options: PipelineOptions
): Effect.Effect<Pipeline, never, Scope.Scope> =>
  Effect.gen(function*() {
    const addon = engine.addon
    const diagnostic = diagnosticOf(runtime)
    let reportedRingDrops = engine.counters[Counter.DroppedRing]!
    // Spans the engine had already finished before this pipeline (none, as it starts with the engine).
    const startedWith = engine.counters[Counter.EndedSampled]! - reportedRingDrops
    // Spans handed to the sender; with the thread's counters this gives what is still inside the engine.
    let received = 0
    // The thread's final counters, kept once it stopped (a later exporter would reset the native ones).
    let final: [number, number, number, number] | undefined
    // Flush completions arrive as onBatch(null, seq); waiters resolve when seq reaches theirs.
    let completed = 0
    const waiters: Array<{ seq: number; done: Deferred.Deferred<void> }> = []
    let tailWaiter: Deferred.Deferred<void> | undefined
    let shutDown = false

    const checkRingDrops = () => {
      const ringDrops = engine.counters[Counter.DroppedRing]!
      if (ringDrops > reportedRingDrops) {
        diagnostic(`effect-oneagent export: dropped ${ringDrops - reportedRingDrops} finished spans: the buffer of ` +
          `ended spans was full (raise bufferSize, or the export target is too slow)`)
        reportedRingDrops = ringDrops
      }
    }

    const nativeStats = (): [number, number, number, number] =>
      final ?? (status === 0 ? addon.exporter_stats() : [0, 0, 0, 0])
    // Encoded but neither handed over nor dropped: queued for the JS thread.
    const inEngine = () => {
      const [encoded, , dropped] = nativeStats()
      return Math.max(0, encoded - received - dropped)
    }
    // Ended (sampled) spans not yet handed to the sender: in the ring, being encoded, or queued for the JS thread.
    // One snapshot of the thread's counters, so nothing is counted twice while it works.
    const notHandedOver = (nativeDropped: number) => {
      const c = engine.counters
      const sampled = c[Counter.EndedSampled]! - c[Counter.DroppedRing]! - startedWith
      return Math.max(0, sampled - received - nativeDropped)
    }

    const trees = settings.console ? consoleTrees((text) => process.stderr.write(text)) : undefined
    yield* Effect.addFinalizer(() => Effect.sync(() => trees?.close()))

    const onBatch = (bytes: Uint8Array | null, countOrSequence: number, json?: Uint8Array) => {
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
      received += countOrSequence
      try {
        sender.send(bytes, countOrSequence)
      } catch {
        // senders do not throw; a throwing user callback inside one must not reach the native callback
      }
      if (trees !== undefined) {
        const lines = json ?? bytes
        try {
          trees.add(spansOf(Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength).toString("utf8")))
        } catch {
          // the console view is best effort; the target has the data
        }
      }
      if (tailWaiter !== undefined && inEngine() === 0) Deferred.doneUnsafe(tailWaiter, Effect.void)
    }

    const status = addon.exporter_start({
      format: sender.format,
      resource: settings.resource,
      scopeName: sdkName,
      scopeVersion: sdkVersion,
      maxBatchSpans: options.maxBatchSpans,
      maxBatchBytes: 4 * 1024 * 1024,
      intervalMs: options.intervalMillis,
      consoleJson: trees !== undefined && sender.format === "protobuf"
    }, onBatch)
    if (status !== 0) {
      diagnostic(`effect-oneagent export: the export thread could not start (status ${status}); spans are not exported`)
    }

    const flushThread = (timeoutMillis: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (status !== 0 || final !== undefined) return Effect.void
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
        const left = yield* sender.flush(Math.max(0, deadline - Date.now()))
        return left + inEngine()
      })

    // After the thread stopped, the batches it queued for the JS thread still arrive, on later turns.
    const awaitTail = (timeoutMillis: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (inEngine() === 0) return Effect.void
        const done = Deferred.makeUnsafe<void>()
        tailWaiter = done
        return Deferred.await(done).pipe(Effect.timeoutOption(timeoutMillis), Effect.asVoid)
      })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const timeout = settings.shutdownTimeoutMillis
        const deadline = Date.now() + timeout
        yield* flushThread(timeout)
        if (status === 0) {
          addon.exporter_stop()
          final = addon.exporter_stats()
        }
        yield* awaitTail(Math.max(0, deadline - Date.now()))
        checkRingDrops()
        const left = yield* sender.flush(Math.max(0, deadline - Date.now()))
        const nativeDropped = nativeStats()[2]
        // What the thread could not hand over at stop is in its dropped count; what is left in the ring now is lost.
        reportShutdown(runtime, left + notHandedOver(nativeDropped) + nativeDropped, timeout)
        shutDown = true
      })
    )

    return {
      state: sender.state,
      // Every ended, sampled span is exported, dropped (by the sender or by the thread at stop) or pending; those
      // the ring dropped are counted by the engine (spansDroppedBuffer).
      stats: () => {
        const s = sender.stats()
        const [, , nativeDropped] = nativeStats()
        if (shutDown) {
          // Nothing is pending after shutdown: what was not exported is lost (and was reported).
          const pending = s.pending + notHandedOver(nativeDropped)
          // queued: 0 too, or statsOf falls back to the engine's counter, last written when a span ended.
          return { exported: s.exported, dropped: s.dropped + nativeDropped + pending, pending: 0, queued: 0 }
        }
        const c = engine.counters
        return {
          exported: s.exported,
          dropped: s.dropped + nativeDropped,
          pending: s.pending + notHandedOver(nativeDropped),
          queued: Math.max(0, c[Counter.EndedSampled]! - c[Counter.DroppedRing]! - startedWith - nativeStats()[0])
        }
      },
      flush
    }
  })

interface FileWriter {
  /** Appends one encoded batch as a line; `done(false)` when it could not be written (its spans are dropped). */
  readonly write: (bytes: Uint8Array, done: (ok: boolean) => void) => void
  /** Bytes accepted and not yet written. */
  readonly backlogBytes: () => number
  /** Waits until every line accepted so far is written (or failed). */
  readonly drain: Effect.Effect<void>
}

// Appends through a stream so the JS thread never waits for the disk; a write error is reported once.
const newline = Buffer.from("\n")

const openFile = (path: string, diagnostic: (message: string) => void): Effect.Effect<FileWriter, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let failed = false
      let stream: Fs.WriteStream | undefined
      const fail = (error: unknown, what: string) => {
        if (!failed) {
          diagnostic(`effect-oneagent export: cannot ${what} the traces file ${path}: ${
            error instanceof Error ? error.message : String(error)
          }; its spans are dropped`)
        }
        failed = true
      }
      try {
        Fs.mkdirSync(Path.dirname(path), { recursive: true })
        stream = Fs.createWriteStream(path, { flags: "a" })
        stream.on("error", (error) => fail(error, "write"))
      } catch (error) {
        fail(error, "open")
      }
      const writer: FileWriter = {
        write: (bytes, done) => {
          if (failed || stream === undefined || stream.destroyed) return done(false)
          // Corked, the line and its newline leave in one writev: an O_APPEND write is not interleaved with
          // another process's, so services sharing the file keep whole lines.
          stream.cork()
          stream.write(bytes)
          // Writes complete in order: the newline's callback reports the whole line.
          stream.write(newline, (error) => done(error == null))
          stream.uncork()
        },
        backlogBytes: () => stream?.writableLength ?? 0,
        // Writes complete in order, so the callback of an empty write means every earlier line is written.
        drain: Effect.callback<void>((resume) => {
          if (stream === undefined || failed || stream.destroyed || stream.writableLength === 0) {
            return resume(Effect.void)
          }
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
