/**
 * Shared helpers of the benchmarks: the machine description, interleaved rounds with a median, the raw addon,
 * and the one-line result protocol that `bench/run.ts` reads from each child process.
 */
import {
  type Context as OtelContext,
  ROOT_CONTEXT,
  type SpanOptions as OtelSpanOptions,
  trace as otelTrace,
  type Tracer as OtelTracer
} from "@opentelemetry/api"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { FetchHttpClient } from "effect/http"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OtlpSerialization, OtlpTracer } from "effect/observability"
import { readdirSync, readFileSync } from "node:fs"
import * as Os from "node:os"
import { type Addon, load } from "../src/internal/addon.ts"
import { Counter } from "../src/internal/codes.ts"
import type { OneAgentSdk } from "../src/OneAgentSdk.ts"

/** One line of the results table. `ratio` is ours / theirs unless the row says otherwise. */
export interface Row {
  readonly bench: string
  readonly metric: string
  readonly ours: number
  readonly theirs?: number | undefined
  readonly theirsLabel?: string | undefined
  readonly unit: string
  readonly ratio?: number | undefined
  readonly target: string
  readonly pass?: boolean | undefined
  readonly note?: string | undefined
}

/** What a benchmark child prints on its last line, prefixed by `RESULT `. */
export interface Result {
  readonly file: string
  readonly rows: ReadonlyArray<Row>
  readonly iterations: string
  /** Extra series for the chart: name → ns of overhead per span. */
  readonly chart?: ReadonlyArray<{ readonly label: string; readonly ns: number }> | undefined
}

export const machine = () => ({
  cpu: Os.cpus()[0]?.model.trim() ?? "unknown",
  cores: Os.availableParallelism(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  // Other processes on a small machine move every number; the load average says how busy it was.
  load: Os.loadavg().map((l) => l.toFixed(2)).join(" ")
})

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** Nanoseconds from a monotonic clock, as a double (exact to well beyond a benchmark's length). */
export const now = (): number => Number(process.hrtime.bigint())

/**
 * CPU time a thread of this process has run, in ns (Linux /proc schedstat: exact, unlike the tick-based
 * getrusage), so a measurement does not count the time other processes held the core. NaN where unavailable.
 */
export const threadCpuNs = (tid: number | string = process.pid): number => {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0])
  } catch {
    return NaN
  }
}

/** This process's thread ids (Linux), to find a thread the addon starts. */
export const threadIds = (): Array<string> => {
  try {
    return readdirSync("/proc/self/task")
  } catch {
    return []
  }
}

export const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs every variant once per round, in an order rotated each round so no variant always goes first (caches,
 * GC debt and the export thread's backlog are shared fairly), after `warmup` unrecorded rounds. Each variant
 * returns its own measurement (ns per operation); the result is the median per variant, plus all samples.
 */
export const interleave = async <K extends string>(
  variants: Readonly<Record<K, () => number | Promise<number>>>,
  options: { readonly rounds: number; readonly warmup: number; readonly between?: () => Promise<void> }
): Promise<{ readonly median: Record<K, number>; readonly samples: Record<K, Array<number>> }> => {
  const names = Object.keys(variants) as Array<K>
  const samples = Object.fromEntries(names.map((n) => [n, [] as Array<number>])) as Record<K, Array<number>>
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!
      const value = await variants[name]()
      if (round >= options.warmup) samples[name].push(value)
      if (options.between !== undefined) await options.between()
    }
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(samples[n])])) as Record<K, number>
  return { median: medians, samples }
}

/** The raw native engine as the library loads it (src/internal/addon.ts `Addon`). */
export type RawAddon = Addon

/**
 * The native binary the library loads, through its one loader (src/internal/addon.ts `load()`: a local build in
 * build/Release when there is one, else the prebuild), and the file it came from (an export thread loads the same
 * one). Throws with the loader's message when it cannot be loaded, and when only the WebAssembly engine loads (the
 * raw-engine rows measure the native one).
 */
export const loadNative = (): { readonly addon: RawAddon; readonly path: string } => {
  const loaded = load()
  if (loaded._tag === "Failed") throw new Error(`bench: ${loaded.message}`)
  if (loaded.engine !== "native" || loaded.path === undefined) {
    throw new Error(`bench: the native engine did not load (${loaded.note ?? `${loaded.engine} engine`})`)
  }
  return { addon: loaded.addon, path: loaded.path }
}

export const loadAddon = (): RawAddon => loadNative().addon

/** Initialises the engine with a bound of `ringCapacity` spans, every root sampled; returns its shared counters. */
export const initEngine = (addon: RawAddon, ringCapacity: number): Float64Array => {
  const counters = new Float64Array(addon.counter_count)
  const status = addon.engine_init(counters, new Int32Array(addon.ids_count), ringCapacity, 1, 0, 0)
  if (status !== 0) throw new Error(`bench: engine_init returned ${status}`)
  return counters
}

/** The engine with a 65,536-span bound, the benchmarks' SPAN template, and an export thread taking into a sink. */
export const exportingEngine = async () => {
  const { addon, path } = loadNative()
  const counters = initEngine(addon, 65_536)
  const template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
  const sink = await startSink(addon, path, counters)
  return { addon, counters, sink, template }
}

/** Indices into the counters array (native/status.h `enum Counter`), as the library names them. */
export { Counter } from "../src/internal/codes.ts"

/** The span every comparison records: a SERVER span with the two rpc attributes, as traceCustomService makes. */
export const SPAN = {
  name: "bench.Service/call",
  kind: 2,
  flags: 2,
  attributes: { "rpc.method": "call", "rpc.service": "bench.Service" }
} as const
export const templateAttributes = Object.entries(SPAN.attributes).flatMap(([k, v]) => [k, v, 0])

/** The engine's export thread for the raw-engine rows: bench/sink-worker.ts, driven through shared memory. */
export interface Sink {
  /** Spans, bytes and batches taken (encoded) so far. */
  readonly spans: () => number
  readonly bytes: () => number
  readonly batches: () => number
  /** Wall time the export thread spent in `export_take` (popping, encoding, copying out), ns. */
  readonly takeNs: () => number
  /** The export thread's CPU time so far (Linux schedstat: exact while it sleeps), ns; NaN where unavailable. */
  readonly cpuNs: () => number
  /** Takes nothing until resumed (spans wait in the engine). */
  readonly pause: () => void
  readonly resume: () => void
  /** Resolves once every span the engine accepted so far has been taken. */
  readonly flush: () => Promise<void>
  /** Stops the thread after its engine consumer closed. */
  readonly close: () => Promise<void>
}

export interface SinkOptions {
  readonly maxBatchSpans?: number | undefined
  readonly intervalMs?: number | undefined
  /** Takes this many batches and never settles them (an export whose target never answers). */
  readonly stall?: number | undefined
  readonly paused?: boolean | undefined
}

/**
 * Starts the export thread for the engine this thread initialised: a worker that opens it by id, as the library's
 * export worker does, and takes its spans as encoded batches into a sink (no network). Resolves once it has opened
 * the engine.
 */
export const startSink = async (
  addon: RawAddon,
  addonPath: string,
  counters: Float64Array,
  options: SinkOptions = {}
): Promise<Sink> => {
  const { Worker } = await import("node:worker_threads")
  const { Control, Mode, SinkStat } = await import("./sink-worker.ts")
  const engineId = addon.engine_id()
  if (engineId <= 0) throw new Error("bench: the engine has no process-wide id (not the native engine?)")
  const control = new Int32Array(new SharedArrayBuffer(Control.Count * 4))
  const stats = new Float64Array(new SharedArrayBuffer(SinkStat.Count * 8))
  if (options.paused === true) control[Control.Mode] = Mode.Paused
  const worker = new Worker(new URL("./sink-worker.ts", import.meta.url), {
    workerData: {
      addonPath,
      engineId,
      maxBatchSpans: options.maxBatchSpans ?? 512,
      intervalMs: options.intervalMs ?? 100,
      stall: options.stall ?? 0,
      control,
      stats
    }
  })
  let failure: Error | undefined
  const exited = new Promise<void>((resolve) => {
    worker.on("error", (error) => (failure = error))
    worker.on("exit", () => resolve())
  })
  const wake = () => {
    Atomics.add(control, Control.Seq, 1)
    Atomics.notify(control, Control.Seq)
  }
  const check = () => {
    if (failure !== undefined) throw new Error(`bench: the export thread failed: ${failure.message}`)
  }
  while (stats[SinkStat.Open] !== 1) {
    check()
    await sleep(1)
  }
  // Every span the engine accepted for export (ended sampled, not dropped at the bound).
  const accepted = () => counters[Counter.EndedSampled]! - counters[Counter.DroppedRing]!
  return {
    spans: () => stats[SinkStat.Spans]!,
    bytes: () => stats[SinkStat.Bytes]!,
    batches: () => stats[SinkStat.Batches]!,
    takeNs: () => stats[SinkStat.TakeNs]!,
    cpuNs: () => threadCpuNs(stats[SinkStat.Tid]!),
    pause: () => {
      Atomics.store(control, Control.Mode, Mode.Paused)
      wake()
    },
    resume: () => {
      Atomics.store(control, Control.Mode, Mode.Run)
      wake()
    },
    flush: async () => {
      const target = accepted()
      Atomics.store(control, Control.Flush, 1)
      wake()
      try {
        while (stats[SinkStat.Spans]! < target) {
          check()
          await sleep(1)
        }
      } finally {
        Atomics.store(control, Control.Flush, 0)
      }
    },
    close: async () => {
      Atomics.store(control, Control.Mode, Mode.Stop)
      wake()
      await exited
    }
  }
}

/** Prints the human-readable lines and the machine-readable last line. */
export const report = (result: Result): void => {
  for (const row of result.rows) {
    const theirs = row.theirs === undefined ? "" : ` vs ${fmt(row.theirs)} ${row.unit} (${row.theirsLabel ?? "theirs"})`
    const ratio = row.ratio === undefined ? "" : ` ratio ${row.ratio.toFixed(3)}`
    console.log(`${row.bench} | ${row.metric}: ${fmt(row.ours)} ${row.unit}${theirs}${ratio} [${row.target}] ${
      row.pass === undefined ? "" : row.pass ? "PASS" : "MISS"
    }${row.note ? ` — ${row.note}` : ""}`)
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
  // Everything was released by now; a process still alive a few seconds later is kept by something the library left
  // running (said, then ended, so one such leak does not hold up the whole run).
  setTimeout(() => {
    console.error(`${result.file}: still running 5 s after its result, kept alive by ` +
      `${process.getActiveResourcesInfo().join(", ") || "nothing JavaScript can see (a native thread?)"}; exiting`)
    process.exit(0)
  }, 5_000).unref()
}

export const fmt = (n: number): string =>
  Math.abs(n) < 0.005 ? "0" : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2)

/** What bench/receiver.ts counted on one URL path. */
export interface PathCounts {
  readonly requests: number
  readonly spans: number
  readonly bytes: number
  readonly malformed: number
}

/** A running bench/receiver.ts child: its base URL and its per-path counts. */
export interface Receiver {
  readonly url: string
  readonly stats: () => Promise<Record<string, PathCounts>>
  /** Spans received on `path` so far. */
  readonly spans: (path: string) => Promise<number>
  /** Waits until `path` has at least `count` spans, or nothing new arrived for `quietMs`; returns the count. */
  readonly settle: (path: string, count: number, quietMs?: number) => Promise<number>
  /** The receiver process's CPU time so far (user + system), ns. */
  readonly cpuNs: () => Promise<number>
  readonly close: () => void
}

/**
 * Starts bench/receiver.ts in a child process (its decoding is not the measured thread's work) and waits for its
 * port. Every request of it fails after 10 s rather than hang the benchmark.
 */
export const startReceiver = async (): Promise<Receiver> => {
  const { fork } = await import("node:child_process")
  const child = fork(new URL("./receiver.ts", import.meta.url), [], { stdio: ["ignore", "pipe", "inherit", "ipc"] })
  const port = await within(10_000, "the receiver did not start", new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString())
      if (match !== null) resolve(Number(match[1]))
    })
    child.on("exit", (code) => reject(new Error(`bench: the receiver exited with ${code}`)))
  }))
  const stats = () =>
    within(10_000, "the receiver did not answer", new Promise<Record<string, PathCounts>>((resolve) => {
      const onMessage = (m: unknown) => {
        if (typeof m === "object" && m !== null && "cpu" in m) return
        child.off("message", onMessage)
        resolve(m as Record<string, PathCounts>)
      }
      child.on("message", onMessage)
      child.send("stats")
    }))
  const spans = async (path: string) => (await stats())[path]?.spans ?? 0
  const cpuNs = () =>
    within(10_000, "the receiver did not answer", new Promise<number>((resolve) => {
      const onMessage = (m: unknown) => {
        if (typeof m !== "object" || m === null || !("cpu" in m)) return
        child.off("message", onMessage)
        const cpu = (m as { cpu: { user: number; system: number } }).cpu
        resolve((cpu.user + cpu.system) * 1000)
      }
      child.on("message", onMessage)
      child.send("cpu")
    }))
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    spans,
    cpuNs,
    settle: async (path, count, quietMs = 1_000) => {
      let last = await spans(path)
      let since = Date.now()
      while (last < count && Date.now() - since < quietMs) {
        await sleep(20)
        const now = await spans(path)
        if (now !== last) since = Date.now()
        last = now
      }
      return last
    },
    close: () => {
      child.removeAllListeners("exit")
      child.kill()
    }
  }
}

/** `promise`, or a rejection saying `what` after `ms` (the timer does not keep the process alive). */
export const within = <A>(ms: number, what: string, promise: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: ${what} within ${ms} ms`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

/**
 * Ends this benchmark with a clear message if it has not finished after `ms` (an export pipeline that never
 * delivers must not hang `npm run bench`).
 */
export const watchdog = (ms: number, file: string): void => {
  setTimeout(() => {
    console.error(`${file}: not finished after ${ms / 1000} s (an export that never completes?); giving up`)
    process.exit(3)
  }, ms).unref()
}

// The OpenTelemetry context of the fiber's current OTel span (see `otelTraced`).
const OtelParent = Context.Reference<OtelContext | undefined>("bench/OtelParent", { defaultValue: () => undefined })

/**
 * OpenTelemetry JS around an effect, as an Effect application without an integration package writes it: a span
 * started when the effect runs, a child of the fiber's current OTel span, current while the effect runs, and ended
 * with its exit.
 */
export const otelTraced = (tracer: OtelTracer, name: string, options: OtelSpanOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const parent = fiber.getRef(OtelParent) ?? ROOT_CONTEXT
    const span = tracer.startSpan(name, options, parent)
    return Effect.onExit(
      Effect.provideService(self, OtelParent, otelTrace.setSpan(parent, span)),
      () => Effect.sync(() => span.end())
    )
  })

/** Effect's own OTLP pipeline as an application sets it up: OtlpTracer over protobuf and the fetch client. */
export const effectOtlpRuntime = (url: string) =>
  ManagedRuntime.make(
    OtlpTracer.layer({ url, resource: { serviceName: "bench" } }).pipe(
      Layer.provide(OtlpSerialization.layerProtobuf),
      Layer.provide(FetchHttpClient.layer)
    )
  )

/**
 * Fails with the SDK's own reason when tracing is off in this runtime (the engine did not load or refused its
 * options): a benchmark must not time an untraced run as a traced one.
 */
export const requireTracing = async (
  runtime: { readonly runPromise: <A>(effect: Effect.Effect<A, never, OneAgentSdk>) => Promise<A> },
  sdk: typeof OneAgentSdk
): Promise<void> => {
  const init = await runtime.runPromise(sdk.use((s) => Effect.succeed(s.initResult)))
  if (init.status < 0) throw new Error(`bench: tracing is off (InitResult ${init.status}): ${init.error ?? "no reason given"}`)
}
