// Leaks: 1,000,000 traced effects (combinators, scoped tracers, info objects) in a child `node --expose-gc` process
// (test/slow/leak-workload.ts), exporting over OTLP/HTTP to a receiver here. After the run and a full GC, the heap and
// RSS are back near their baseline, every span was exported (and arrived), nothing is left open, and the info objects
// were collected once their scopes closed. The receiver is the shared one in a process of its own
// (test/support/otlp.ts), so receiving costs neither the workload nor this process.
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { childReceiver } from "../support/otlp.ts"

const workload = fileURLToPath(new URL("./leak-workload.ts", import.meta.url))
const MB = 2 ** 20

interface Measurement {
  readonly heapUsed: number
  readonly heapTotal: number
  readonly rss: number
  readonly external: number
  readonly arrayBuffers: number
  /** The WebAssembly engine's memory, counted in `external` (0 for the native engine, whose memory is not). */
  readonly engine: number
}

interface Result {
  readonly ops: number
  readonly seconds: number
  readonly before: Measurement
  readonly after: Measurement
  readonly released: Measurement
  readonly peakRss: number
  /** RSS and used heap after each 100,000 operations, after a GC. */
  readonly rssSeries: ReadonlyArray<number>
  readonly nativeSeries: ReadonlyArray<number>
  readonly heapSeries: ReadonlyArray<number>
  readonly infosCreated: number
  readonly infosCollected: number
  readonly stats: Record<string, number>
  readonly diagnostics: ReadonlyArray<string>
}

const runWorkload = (url: string): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.spawn(process.execPath, ["--expose-gc", workload], {
      env: { ...process.env, LEAK_ENDPOINT: url },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? ""
      if (code !== 0 || !line.startsWith("{")) return reject(new Error(`workload exited with ${code}:\n${err}\n${out}`))
      resolve(JSON.parse(line) as Result)
    })
  })

describe("leaks", () => {
  it("1,000,000 traced effects: heap and RSS return near their baseline, info objects are collected", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const receiver = yield* childReceiver
      const r = yield* Effect.promise(() => runWorkload(receiver.url))
      // Every span the workload counts as exported is at the receiver.
      yield* receiver.received(r.stats.spansExported)
      const heapGrowth = (r.after.heapUsed - r.before.heapUsed) / MB
      const rssGrowth = (r.after.rss - r.before.rss) / MB
      // RSS outside V8's heap (native engine, malloc arenas, buffers): V8 keeps heap pages it grew into committed
      // after a GC (heapTotal), which is sizing, not a leak.
      const nativeGrowth = (r.after.rss - r.after.heapTotal - (r.before.rss - r.before.heapTotal)) / MB
      // Outside the heap, as nativeGrowth: V8 committing heap pages late in the run (heapTotal) is not a leak, and the
      // heap's own use is bounded by heapGrowth.
      const half = Math.floor(r.nativeSeries.length / 2)
      const secondHalfGrowth = (Math.max(...r.nativeSeries.slice(half)) - r.nativeSeries[half - 1]!) / MB
      const mb = (n: number) => (n / MB).toFixed(1)
      console.log(
        `leak: ${r.ops} ops in ${r.seconds.toFixed(1)} s (${Math.round(r.ops / r.seconds)} ops/s); ` +
          `heap used ${mb(r.before.heapUsed)} → ${mb(r.after.heapUsed)} MB ` +
          `(committed ${mb(r.before.heapTotal)} → ${mb(r.after.heapTotal)}), ` +
          `RSS ${mb(r.before.rss)} → ${mb(r.after.rss)} MB (peak ${mb(r.peakRss)}, ` +
          `after shutdown ${mb(r.released.rss)}; outside the heap ${nativeGrowth.toFixed(1)} MB, ` +
          `second half +${secondHalfGrowth.toFixed(1)} MB), ` +
          `external ${mb(r.before.external)} → ${mb(r.after.external)} MB ` +
          `(of it the WebAssembly engine's ${mb(r.before.engine)} → ${mb(r.after.engine)}); ` +
          `info objects ${r.infosCollected}/${r.infosCreated} collected; ${r.stats.spansExported} spans exported in ` +
          `${receiver.arrivals.length} requests; RSS per 100k: ${r.rssSeries.map((x) => (x / MB).toFixed(0)).join(" ")}`
      )
      expect(r.stats.spansOpen).toBe(0)
      expect(r.stats.spansDroppedBuffer + r.stats.spansDroppedExport).toBe(0)
      expect(r.stats.spansPendingExport).toBe(0)
      expect(r.stats.spansExported).toBe(r.stats.spansEnded)
      expect(receiver.spans()).toBe(r.stats.spansExported)
      expect(r.stats.spansEnded).toBeGreaterThan(r.ops)
      expect(r.diagnostics).toEqual([])
      // Generous bounds: a leak of even 20 bytes per traced effect would be 20 MB here.
      expect(heapGrowth).toBeLessThan(8)
      expect(nativeGrowth).toBeLessThan(48)
      // RSS outside the heap levels off: the second 500,000 operations add (almost) nothing to what the first reached.
      expect(secondHalfGrowth).toBeLessThan(48)
      expect(rssGrowth).toBeLessThan(256)
      // The WebAssembly engine's memory is external to V8, but the engine's (as RSS, checked above): not counted here.
      expect((r.after.external - r.after.engine - (r.before.external - r.before.engine)) / MB).toBeLessThan(8)
      // Info objects are released with their scopes: (nearly) all collected; a few may still be referenced by
      // the last turn's closures.
      expect(r.infosCreated).toBe(Math.ceil(r.ops / 100) + 500)
      expect(r.infosCollected).toBeGreaterThanOrEqual(r.infosCreated * 0.95)
    }))), 60_000)
})
