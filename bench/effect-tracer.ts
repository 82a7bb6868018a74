/**
 * Effect's own spans through the engine: `Effect.withSpan` built per call and an `Effect.fn` handler (defined once,
 * called per request), each on three tracers, as applications get them:
 *
 * - the engine: the production layer with its default `effectSpans: true` (Effect's Tracer is the engine), exporting
 *   over OTLP/HTTP to bench/receiver.ts (a child process);
 * - a tracer that does nothing (the floor: what Effect itself costs per span with any tracer);
 * - Effect's built-in tracer (spans kept as JS objects, nothing exported), for reference.
 *
 * The overhead of each is its time per request minus the bare handler's `(req) => work(req)`; the target compares
 * the engine with the tracer that does nothing.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { immediate, interleave, now, report, requireTracing, startReceiver, watchdog } from "./lib.ts"

const N = 20_000
const ROUNDS = 15
const WARMUP = 4
watchdog(300_000, "effect-tracer.ts")

let counter = 0
const work = (req: number) => Effect.sync(() => (counter += req))
const spanOptions = { kind: "server", attributes: { "rpc.method": "call", "rpc.service": "bench.Api" } } as const

const bare = (req: number) => work(req)
const withSpan = (req: number) =>
  work(req).pipe(Effect.withSpan("bench.Api/call", {
    kind: "server",
    attributes: { "rpc.method": "call", "rpc.service": "bench.Api" }
  }))
const fn = Effect.fn("bench.Api/call", spanOptions)(function*(req: number) {
  return yield* work(req)
})

// A span that records nothing, from a tracer that does nothing else: ids are constants, every method returns.
class NoopSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId = "0000000000000001"
  readonly traceId = "00000000000000000000000000000001"
  readonly status: Tracer.SpanStatus
  readonly attributes: ReadonlyMap<string, unknown> = new Map()
  readonly name: string
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly annotations: Tracer.Span["annotations"]
  readonly links: ReadonlyArray<Tracer.SpanLink>
  readonly sampled: boolean
  readonly kind: Tracer.SpanKind
  constructor(options: Parameters<Tracer.Tracer["span"]>[0]) {
    this.name = options.name
    this.parent = options.parent
    this.annotations = options.annotations
    this.links = options.links
    this.sampled = options.sampled
    this.kind = options.kind
    this.status = { _tag: "Started", startTime: options.startTime }
  }
  end(): void {}
  attribute(): void {}
  event(): void {}
  addLinks(): void {}
}
const noopTracer = Tracer.make({ span: (options) => new NoopSpan(options) })

const receiver = await startReceiver()
const engine = ManagedRuntime.make(OneAgentSdk.layer({ export: { endpoint: `${receiver.url}/ours` }, exportInterval: 100 }))
const noop = ManagedRuntime.make(Layer.succeed(Tracer.Tracer, noopTracer))
const builtIn = ManagedRuntime.make(Layer.empty)
await engine.runPromise(Effect.void)
await requireTracing(engine, OneAgentSdk)
await noop.runPromise(Effect.void)
await builtIn.runPromise(Effect.void)

const loop = (handle: (req: number) => Effect.Effect<number>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* handle(i)
  })
const time = (rt: ManagedRuntime.ManagedRuntime<never, never> | typeof engine, handle: (req: number) => Effect.Effect<number>) => {
  const program = loop(handle)
  return async () => {
    const t0 = now()
    await rt.runPromise(program)
    return (now() - t0) / N
  }
}

const result = await interleave({
  bare: time(builtIn, bare),
  withSpanEngine: time(engine, withSpan),
  withSpanNoop: time(noop, withSpan),
  withSpanBuiltIn: time(builtIn, withSpan),
  fnEngine: time(engine, fn),
  fnNoop: time(noop, fn),
  fnBuiltIn: time(builtIn, fn)
}, { rounds: ROUNDS, warmup: WARMUP, between: immediate })

const stats = await engine.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
await engine.dispose()
await noop.dispose()
await builtIn.dispose()
const received = await receiver.settle("/ours/v1/traces", stats.spansEnded)
receiver.close()

const m = result.median
const o = (name: keyof typeof m) => m[name] - m.bare
const withSpanRatio = o("withSpanEngine") / o("withSpanNoop")
const fnRatio = o("fnEngine") / o("fnNoop")
report({
  file: "effect-tracer.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} requests per variant`,
  rows: [
    {
      bench: "2b. Effect.withSpan per call",
      metric: "overhead ns per request, engine as Effect's Tracer, HTTP export",
      ours: o("withSpanEngine"),
      theirs: o("withSpanNoop"),
      theirsLabel: "a tracer that does nothing",
      unit: "ns",
      ratio: withSpanRatio,
      target: "≤ 1.1× the no-op tracer",
      pass: withSpanRatio <= 1.1,
      note: `built-in tracer ${o("withSpanBuiltIn").toFixed(0)} ns; bare handler ${m.bare.toFixed(0)} ns; ` +
        `receiver got ${received} of ${stats.spansEnded} ended spans`
    },
    {
      bench: "2b. Effect.fn",
      metric: "overhead ns per call, engine as Effect's Tracer, HTTP export",
      ours: o("fnEngine"),
      theirs: o("fnNoop"),
      theirsLabel: "a tracer that does nothing",
      unit: "ns",
      ratio: fnRatio,
      target: "≤ 1.1× the no-op tracer",
      pass: fnRatio <= 1.1,
      note: `built-in tracer ${o("fnBuiltIn").toFixed(0)} ns`
    }
  ],
  chart: [
    { label: "Effect.withSpan via engine", ns: o("withSpanEngine") },
    { label: "Effect.withSpan, no-op tracer", ns: o("withSpanNoop") },
    { label: "Effect.withSpan, built-in", ns: o("withSpanBuiltIn") },
    { label: "Effect.fn via engine", ns: o("fnEngine") },
    { label: "Effect.fn, no-op tracer", ns: o("fnNoop") },
    { label: "Effect.fn, built-in", ns: o("fnBuiltIn") }
  ]
})
