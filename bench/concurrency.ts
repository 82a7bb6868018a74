/**
 * Concurrency scaling: 1, 100 and 10,000 concurrent fibers, each tracing nested calls (an incoming remote call
 * containing a custom service containing another, around an await of a resolved promise, so every fiber suspends
 * with its three spans open and the fibers interleave; a promise rather than `yieldNow`, whose macrotask per step
 * would dwarf the cost measured with one fiber). The same
 * number of spans is recorded at every level; the cost per span is the traced run minus the same run untraced.
 * It should stay flat: parentage travels in each fiber's context and the engine's table is O(1) per span.
 * The same nesting with Effect.withSpan on the built-in tracer (the layer runs with `effectSpans: false`) shows how
 * much of any growth is Effect's own (more live fibers make every young-generation GC copy more).
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { interleave, now, report, requireTracing, startReceiver } from "./lib.ts"

const SPANS = 30_000
const DEPTH = 3
const LEVELS = [1, 100, 10_000] as const
const ROUNDS = 7
const WARMUP = 2

const receiver = await startReceiver()
const runtime = ManagedRuntime.make(
  OneAgentSdk.layer({ export: { endpoint: receiver.url }, exportInterval: 100, effectSpans: false })
)
await runtime.runPromise(Effect.void)
await requireTracing(runtime, OneAgentSdk)

const resolved = Promise.resolve()
const work = Effect.promise(() => resolved)
const incoming = OneAgentSdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" })
const service = OneAgentSdk.traceCustomService({ service: "bench.Service", method: "call" })
const inner = OneAgentSdk.traceCustomService({ service: "bench.Store", method: "get" })
const traced = work.pipe(inner, service, incoming)
const withSpans = work.pipe(Effect.withSpan("bench.Store/get"), Effect.withSpan("bench.Service/call"), Effect.withSpan("bench.Api/call"))

// `fibers` fibers, each running its share of the calls one after another.
const program = (fibers: number, call: Effect.Effect<void, never, OneAgentSdk>) => {
  const calls = SPANS / DEPTH / fibers
  const fiber = Effect.gen(function*() {
    for (let i = 0; i < calls; i++) yield* call
  })
  return Effect.forEach(Array.from({ length: fibers }), () => fiber, { concurrency: "unbounded", discard: true })
}

const time = (effect: Effect.Effect<void, never, OneAgentSdk>) => async () => {
  const t0 = now()
  await runtime.runPromise(effect)
  return (now() - t0) / SPANS
}

const variants: Record<string, () => Promise<number>> = {}
for (const level of LEVELS) {
  variants[`bare${level}`] = time(program(level, work))
  variants[`ours${level}`] = time(program(level, traced))
  variants[`withSpan${level}`] = time(program(level, withSpans))
}
const result = await interleave(variants, { rounds: ROUNDS, warmup: WARMUP })
await runtime.dispose()
receiver.close()

const perSpan = LEVELS.map((level) => result.median[`ours${level}`]! - result.median[`bare${level}`]!)
const withSpanPerSpan = LEVELS.map((level) => result.median[`withSpan${level}`]! - result.median[`bare${level}`]!)
const flatness = Math.max(...perSpan) / Math.min(...perSpan)
report({
  file: "concurrency.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${SPANS} spans per level, nesting depth ${DEPTH}`,
  rows: LEVELS.map((level, i) => ({
    bench: "6. concurrency",
    metric: `ns per span, ${level.toLocaleString("en")} fibers`,
    ours: perSpan[i]!,
    theirs: withSpanPerSpan[i]!,
    theirsLabel: "Effect.withSpan, built-in tracer",
    ratio: perSpan[i]! / withSpanPerSpan[i]!,
    unit: "ns",
    target: "flat across levels",
    ...(i === LEVELS.length - 1 ? { pass: flatness <= 1.5 } : {}),
    note: `untraced ${result.median[`bare${level}`]!.toFixed(0)} ns per call step` +
      (i === LEVELS.length - 1
        ? `; max/min across levels: ours ${flatness.toFixed(2)}, withSpan ${
          (Math.max(...withSpanPerSpan) / Math.min(...withSpanPerSpan)).toFixed(2)
        }`
        : "")
  })),
  chart: LEVELS.flatMap((level, i) => [
    { label: `${level.toLocaleString("en")} fibers (ours)`, ns: perSpan[i]! },
    { label: `${level.toLocaleString("en")} fibers, Effect.withSpan`, ns: withSpanPerSpan[i]! }
  ])
})
