/**
 * Shared helpers of the benchmarks: the machine description, interleaved rounds with a median, the raw addon,
 * and the one-line result protocol that `bench/run.ts` reads from each child process.
 */
import { readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"

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

/** The raw native engine, loaded from the local build (the benchmarks measure what `node-gyp build` made). */
export interface RawAddon {
  readonly counter_count: number
  engine_init(counters: Float64Array, ringCapacity: number, sampleRatio: number, maxAttributes: number): number
  engine_shutdown(): number
  template_create(name: string, kind: number, flags: number, attributes: ReadonlyArray<unknown>): number
  span_start(parent: number, template: number): number
  span_start_tagged(parent: number, template: number, tag: string, traceState: string): number
  span_end(handle: number): number
  span_attr(handle: number, key: number, value: string | number | boolean, limit?: number): number
  intern(value: string): number
  records_drain(max: number): Array<unknown>
  exporter_start(config: ExporterConfig, onBatch: (bytes: Uint8Array | null, n: number) => void): number
  exporter_flush(): number
  exporter_stop(): number
  exporter_stats(): [spansEncoded: number, batchesDelivered: number, spansDropped: number, bytesDelivered: number]
}

export interface ExporterConfig {
  readonly format: "protobuf" | "json"
  readonly resource: ReadonlyArray<readonly [string, string | number | boolean]>
  readonly scopeName: string
  readonly scopeVersion: string
  readonly maxBatchSpans: number
  readonly maxBatchBytes: number
  readonly intervalMs: number
}

// The binary the library loads: a local build when there is one, else the prebuild.
export const loadAddon = (): RawAddon =>
  createRequire(import.meta.url)("node-gyp-build")(new URL("..", import.meta.url).pathname) as RawAddon

/** The engine with a 65,536-span ring, the benchmarks' SPAN template, and the export thread delivering to a sink. */
export const exportingEngine = () => {
  const addon = loadAddon()
  const counters = new Float64Array(addon.counter_count)
  addon.engine_init(counters, 65_536, 1, 0)
  const template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
  const sink = new BatchSink(addon)
  addon.exporter_start(exporterConfig(), sink.onBatch)
  return { addon, counters, sink, template }
}

/** Indices into the counters array (native/engine.h `enum Counter`). */
export const Counter = { Started: 0, Ended: 1, Open: 2, Unsampled: 3, DroppedRing: 4, Queued: 6 } as const

/** The span every comparison records: a SERVER span with the two rpc attributes, as traceCustomService makes. */
export const SPAN = {
  name: "bench.Service/call",
  kind: 2,
  flags: 2,
  attributes: { "rpc.method": "call", "rpc.service": "bench.Service" }
} as const
export const templateAttributes = Object.entries(SPAN.attributes).flatMap(([k, v]) => [k, v, 0])

export const exporterConfig = (intervalMs = 100): ExporterConfig => ({
  format: "protobuf",
  resource: [["service.name", "bench"]],
  scopeName: "effect-oneagent",
  scopeVersion: "0.1.0",
  maxBatchSpans: 512,
  maxBatchBytes: 4 << 20,
  intervalMs
})

/**
 * Consumes the export thread's batches and lets a caller wait until everything ended so far was delivered
 * (exporter_flush, then the completion `onBatch(null, seq)`). Counts the JS-thread time spent in the callback.
 */
export class BatchSink {
  spans = 0
  bytes = 0
  batches = 0
  callbackNs = 0
  private completed = 0
  private waiters: Array<{ seq: number; resolve: () => void }> = []
  private readonly addon: RawAddon
  private readonly consume: ((bytes: Uint8Array, n: number) => void) | undefined
  constructor(addon: RawAddon, consume?: (bytes: Uint8Array, n: number) => void) {
    this.addon = addon
    this.consume = consume
  }

  readonly onBatch = (bytes: Uint8Array | null, n: number): void => {
    const t0 = now()
    if (bytes === null) {
      this.completed = Math.max(this.completed, n)
      this.waiters = this.waiters.filter((w) => (w.seq <= n ? (w.resolve(), false) : true))
    } else {
      this.spans += n
      this.bytes += bytes.byteLength
      this.batches++
      this.consume?.(bytes, n)
    }
    this.callbackNs += now() - t0
  }

  // The export thread's callback is unref'd (it never keeps a process alive), so a ref'd timer does while waiting.
  flush(): Promise<void> {
    const seq = this.addon.exporter_flush()
    if (seq <= 0 || seq <= this.completed) return Promise.resolve()
    const keepAlive = setInterval(() => {}, 1000)
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve })).finally(() => clearInterval(keepAlive))
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
}

export const fmt = (n: number): string =>
  Math.abs(n) < 0.005 ? "0" : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2)

/** A running bench/receiver.ts child: its base URL and its per-path counts. */
export interface Receiver {
  readonly url: string
  readonly stats: () => Promise<Record<string, { requests: number; spans: number; bytes: number }>>
  readonly close: () => void
}

export const startReceiver = async (): Promise<Receiver> => {
  const { fork } = await import("node:child_process")
  const child = fork(new URL("./receiver.ts", import.meta.url), [], { stdio: ["ignore", "pipe", "inherit", "ipc"] })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString())
      if (match !== null) resolve(Number(match[1]))
    })
    child.on("exit", (code) => reject(new Error(`receiver exited with ${code}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m as Record<string, { requests: number; spans: number; bytes: number }>))
        child.send("stats")
      }),
    close: () => {
      child.removeAllListeners("exit")
      child.kill()
    }
  }
}
