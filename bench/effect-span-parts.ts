/**
 * Row 2b's Effect span taken apart, without Effect around it: what the engine's Effect `Tracer` costs to start and end
 * a span, and each attribute Effect hands it after the span is made (`Effect.withSpan`'s `attributes` arrive one
 * `span.attribute` call at a time), against Effect's built-in tracer doing the same. The options object is made per
 * span, as Effect makes it. Rounds interleaved, medians (bench/lib.ts).
 *
 *   node bench/effect-span-parts.ts
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { interleave, now, report, requireTracing, startReceiver } from "./lib.ts"

const N = 100_000
const ROUNDS = 11
const WARMUP = 3

const receiver = await startReceiver()
const runtime = ManagedRuntime.make(OneAgentSdk.layer({ export: { endpoint: `${receiver.url}/ours` } }))
await requireTracing(runtime, OneAgentSdk)
const engine = await runtime.runPromise(Effect.map(Effect.context<never>(), (context) => Context.get(context, Tracer.Tracer)))
const exit = Exit.void
const options = () => ({
  name: "bench.Api/call",
  parent: Option.none(),
  annotations: Context.empty(),
  links: [],
  startTime: 0n,
  kind: "server" as const,
  root: false,
  sampled: true
})

const loop = (tracer: Tracer.Tracer, attributes: boolean) => () => {
  const t0 = now()
  for (let i = 0; i < N; i++) {
    const span = tracer.span(options())
    if (attributes) {
      span.attribute("rpc.method", "call")
      span.attribute("rpc.service", "bench.Api")
    }
    span.end(0n, exit)
  }
  return (now() - t0) / N
}

const { median: m } = await interleave({
  engine: loop(engine, false),
  engineAttributes: loop(engine, true),
  builtIn: loop(Tracer.nativeTracer, false),
  builtInAttributes: loop(Tracer.nativeTracer, true)
}, { rounds: ROUNDS, warmup: WARMUP })
await runtime.dispose()
receiver.close()

report({
  file: "effect-span-parts.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} spans per variant`,
  rows: [
    {
      bench: "2c. Effect span, taken apart",
      metric: "ns per tracer.span + end, engine tracer (no Effect around it)",
      ours: m.engine,
      theirs: m.builtIn,
      theirsLabel: "Effect's built-in tracer",
      unit: "ns",
      target: "(info: row 2b's engine share)"
    },
    {
      bench: "2c. Effect span, taken apart",
      metric: "ns per string attribute (span.attribute), engine tracer",
      ours: (m.engineAttributes - m.engine) / 2,
      theirs: (m.builtInAttributes - m.builtIn) / 2,
      theirsLabel: "Effect's built-in tracer",
      unit: "ns",
      target: "(info)"
    }
  ]
})
