// The workload of test/slow/leak.test.ts, run in its own `node --expose-gc` process so its heap and RSS are its own:
// 1,000,000 traced effects (mostly combinators, every tenth a scoped tracer, every hundredth an info object with a
// SQL request) exported over OTLP/HTTP to the receiver at LEAK_ENDPOINT. Prints one JSON line of measurements.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { ChannelType, OneAgentSdk } from "../../src/index.ts"
import { load } from "../../src/internal/addon.ts"
import type { WasmAddon } from "../../src/internal/wasmAddon.ts"

const total = Number(process.env.LEAK_OPS ?? 1_000_000)
const endpoint = process.env.LEAK_ENDPOINT
if (endpoint === undefined) throw new Error("LEAK_ENDPOINT is not set")
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const collect = () => {
  for (let i = 0; i < 4; i++) gc()
}
// The WebAssembly engine's memory (npm run test:wasm), which Node counts as external: the engine's own, as the native
// engine's is outside the heap.
const loaded = load()
const engineMemory = () =>
  loaded._tag === "Loaded" && loaded.engine === "wasm" ? (loaded.addon as WasmAddon).memoryBytes() : 0
const memory = () => {
  collect()
  const m = process.memoryUsage()
  return {
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    rss: m.rss,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    engine: engineMemory()
  }
}
const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const service = { method: "handle", service: "Orders" } as const
const outgoing = {
  method: "charge",
  service: "Payments",
  endpoint: "rpc://payments",
  channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
} as const
const databases = Array.from({ length: 10 }, (_, i) => ({
  name: `orders-${i}`,
  vendor: "PostgreSQL",
  channel: { type: ChannelType.TCP_IP, endpoint: "db.internal:5432" }
}))

// Info objects are watched: once their scope closed and nothing refers to them, they must be collected.
let infosCollected = 0
const registry = new FinalizationRegistry<void>(() => void infosCollected++)
let infosCreated = 0

const operation = (sdk: OneAgentSdk["Service"], i: number): Effect.Effect<unknown, never, OneAgentSdk> => {
  if (i % 100 === 0) {
    return Effect.scoped(Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(databases[(i / 100) % databases.length]!)
      registry.register(db)
      infosCreated++
      return yield* Effect.succeed(i).pipe(
        OneAgentSdk.traceSqlDatabaseRequest(db, `SELECT * FROM orders WHERE id = ${i}`, { rowsReturned: () => 1 })
      )
    })).pipe(OneAgentSdk.traceCustomService(service))
  }
  if (i % 10 === 0) {
    return Effect.scoped(Effect.flatMap(sdk.traceOutgoingRemoteCall(outgoing), (tracer) => tracer.outgoingStringTag))
  }
  return Effect.succeed(i).pipe(OneAgentSdk.traceCustomService(service))
}

const run = Effect.gen(function*() {
  const diagnostics: Array<string> = []
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(
    OneAgentSdk.layer({
      diagnosticCallback: (m) => diagnostics.push(m),
      effectSpans: false,
      exportInterval: 50,
      bufferSize: 65_536,
      export: { endpoint, shutdownTimeout: "5 seconds" }
    }),
    scope
  )
  const sdk = Context.get(context, OneAgentSdk)
  const phase = (n: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < n; i++) {
        yield* operation(sdk, i)
        if (i % 1000 === 999) {
          yield* tick
          // Never more than half the buffer waiting, however slowly the exporter drains it on a busy machine: the
          // test is about memory, not about outrunning the exporter (which drops past the bound, counted).
          while ((yield* sdk.stats).spansPendingExport > 32_768) yield* Effect.sleep("5 millis")
        }
      }
      // Until everything that ended has left the engine and the transport.
      while (true) {
        const s = yield* sdk.stats
        if (s.spansPendingExport === 0) break
        yield* Effect.sleep("20 millis")
      }
    }).pipe(Effect.provide(context))

  yield* phase(50_000) // warm-up: JIT, caches, the receiver's connection, the templates
  const before = memory()
  const started = performance.now()
  let peakRss = 0
  // RSS after each 100,000 operations (after a GC): a leak grows it steadily, a high-water mark levels off.
  const rssSeries: Array<number> = []
  const heapSeries: Array<number> = []
  // RSS outside V8's heap at the same points: V8 may commit more heap pages late in a run (sizing, not a leak).
  const nativeSeries: Array<number> = []
  for (let done = 0; done < total; done += 100_000) {
    yield* phase(Math.min(100_000, total - done))
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    const m = memory()
    rssSeries.push(m.rss)
    heapSeries.push(m.heapUsed)
    nativeSeries.push(m.rss - m.heapTotal)
  }
  const seconds = (performance.now() - started) / 1000
  // Finalization callbacks run on later turns, after a GC; no event says when they are done. Polled until nearly all
  // the info objects are (a few may still be referenced by the last turn's closures), within a generous bound: the
  // test checks the count it gets.
  const collectedBy = Date.now() + 10_000
  while (infosCollected < Math.ceil(infosCreated * 0.95) && Date.now() < collectedBy) {
    collect()
    yield* Effect.sleep("10 millis")
  }
  const after = memory()
  const stats = yield* sdk.stats
  yield* Scope.close(scope, Exit.void)
  const released = memory()
  return {
    ops: total,
    seconds,
    before,
    after,
    released,
    peakRss,
    rssSeries,
    heapSeries,
    nativeSeries,
    infosCreated,
    infosCollected,
    stats,
    diagnostics
  }
})

const result = await Effect.runPromise(run)
process.stdout.write(`${JSON.stringify(result)}\n`)
