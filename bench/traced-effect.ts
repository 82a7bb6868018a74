/**
 * A traced Effect: `effect.pipe(OneAgentSdk.traceCustomService(...))` vs `effect.pipe(Effect.withSpan(...))` on
 * Effect's built-in tracer vs the bare effect. The overhead of each is its time minus the bare effect's.
 *
 * Ours runs with the production layer and its export pipeline to a local OTLP/HTTP receiver (bench/receiver.ts, a
 * child process): the export thread encodes every span and the JS thread posts each batch, so the overhead
 * includes the export work left on the JS thread. Effect's tracer keeps each span as a JS object and exports
 * nothing. The layer runs with `effectSpans: false` so Effect.withSpan keeps the built-in tracer; a second
 * runtime with the default layer (`effectSpans: true`) measures Effect.withSpan recorded by the engine as well.
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { interleave, now, report, SPAN, startReceiver } from "./lib.ts"

const N = 20_000
const ROUNDS = 15
const WARMUP = 4

let counter = 0
const base = Effect.sync(() => counter++)
const ours = base.pipe(OneAgentSdk.traceCustomService({ service: "bench.Service", method: "call" }))
const withSpan = base.pipe(Effect.withSpan(SPAN.name, { kind: "server", attributes: SPAN.attributes }))

const loop = <E, R>(effect: Effect.Effect<number, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* effect
  })

const receiver = await startReceiver()
const exportOptions = { endpoint: receiver.url }
const runtime = ManagedRuntime.make(OneAgentSdk.layer({ export: exportOptions, exportInterval: 100, effectSpans: false }))
await runtime.runPromise(Effect.void)
// Joins the same engine (initialised by the first layer) and installs the engine as Effect's Tracer.
const engineTracer = ManagedRuntime.make(OneAgentSdk.layer({ export: exportOptions }))
await engineTracer.runPromise(Effect.void)

const time = (rt: typeof runtime, program: Effect.Effect<void, never, OneAgentSdk>) => async () => {
  const t0 = now()
  await rt.runPromise(program)
  return (now() - t0) / N
}

const result = await interleave({
  bare: time(runtime, loop(base)),
  ours: time(runtime, loop(ours)),
  withSpan: time(runtime, loop(withSpan)),
  withSpanEngine: time(engineTracer, loop(withSpan))
}, { rounds: ROUNDS, warmup: WARMUP, between: () => new Promise((resolve) => setImmediate(resolve)) })

const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
await engineTracer.dispose()
await runtime.dispose()
const received = (await receiver.stats())["/v1/traces"]?.spans ?? 0
receiver.close()
const m = result.median
const oursOverhead = m.ours - m.bare
const withSpanOverhead = m.withSpan - m.bare
const engineOverhead = m.withSpanEngine - m.bare
report({
  file: "traced-effect.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} effects per variant`,
  rows: [
    {
      bench: "2. traced Effect",
      metric: "overhead ns per traced effect, HTTP export",
      ours: oursOverhead,
      theirs: withSpanOverhead,
      theirsLabel: "Effect.withSpan (built-in tracer, no export)",
      unit: "ns",
      ratio: oursOverhead / withSpanOverhead,
      target: "≤ 1.0× withSpan's overhead",
      pass: oursOverhead <= withSpanOverhead,
      note: `bare effect ${m.bare.toFixed(0)} ns; receiver got ${received} of ${stats.spansEnded} ended spans ` +
        `(buffer drops ${stats.spansDroppedBuffer})`
    },
    {
      bench: "2. traced Effect",
      metric: "Effect.withSpan recorded by the engine",
      ours: engineOverhead,
      theirs: withSpanOverhead,
      theirsLabel: "built-in tracer",
      unit: "ns",
      ratio: engineOverhead / withSpanOverhead,
      target: "(info: layer with effectSpans: true)"
    }
  ],
  chart: [
    { label: "traceCustomService (ours)", ns: oursOverhead },
    { label: "Effect.withSpan, built-in", ns: withSpanOverhead },
    { label: "Effect.withSpan via engine", ns: engineOverhead }
  ]
})
