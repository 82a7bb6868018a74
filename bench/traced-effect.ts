/**
 * Row 2, a traced Effect as applications write it: the traced effect is built per call, inside the request handler,
 * options object and `.pipe(...)` included:
 *
 *   const handle = (req) => work(req).pipe(OneAgentSdk.traceIncomingRemoteCall({ method, service, endpoint }))
 *
 * against the same handler with `Effect.withSpan(name, { kind, attributes })` built per call on Effect's built-in
 * tracer, and the bare handler `(req) => work(req)`. The overhead of each is its time per call minus the bare
 * handler's. An info row keeps the earlier form: one traced effect built once and yielded N times.
 *
 * Ours runs with the production layer exporting to bench/receiver.ts (a child process) over OTLP/HTTP: the export
 * work left on the JS thread is in ours. Effect's built-in tracer keeps each span as a JS object and exports nothing.
 * The layer runs with `effectSpans: false`, so Effect.withSpan keeps the built-in tracer (bench/effect-tracer.ts
 * measures Effect.withSpan and Effect.fn through the engine).
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { immediate, interleave, now, report, requireTracing, startReceiver, watchdog } from "./lib.ts"

const N = 20_000
const ROUNDS = 15
const WARMUP = 4
watchdog(300_000, "traced-effect.ts")

let counter = 0
// The request's own work: an effect made per request from its argument, as a handler's body is.
const work = (req: number) => Effect.sync(() => (counter += req))

const handlers = {
  bare: (req: number) => work(req),
  ours: (req: number) =>
    work(req).pipe(OneAgentSdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" })),
  withSpan: (req: number) =>
    work(req).pipe(Effect.withSpan("bench.Api/call", {
      kind: "server",
      attributes: { "rpc.method": "call", "rpc.service": "bench.Api" }
    }))
}

// The earlier form of row 2: built once, yielded N times.
const once = {
  bare: work(1),
  ours: work(1).pipe(OneAgentSdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" }))
}

const perCall = (handle: (req: number) => Effect.Effect<number, never, OneAgentSdk>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* handle(i)
  })
const builtOnce = (effect: Effect.Effect<number, never, OneAgentSdk>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* effect
  })

const receiver = await startReceiver()
const runtime = ManagedRuntime.make(
  OneAgentSdk.layer({ export: { endpoint: `${receiver.url}/ours` }, exportInterval: 100, effectSpans: false })
)
await runtime.runPromise(Effect.void)
await requireTracing(runtime, OneAgentSdk)

const time = (program: Effect.Effect<void, never, OneAgentSdk>) => async () => {
  const t0 = now()
  await runtime.runPromise(program)
  return (now() - t0) / N
}

const result = await interleave({
  bare: time(perCall(handlers.bare)),
  ours: time(perCall(handlers.ours)),
  withSpan: time(perCall(handlers.withSpan)),
  onceBare: time(builtOnce(once.bare)),
  onceOurs: time(builtOnce(once.ours))
}, { rounds: ROUNDS, warmup: WARMUP, between: immediate })

const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
await runtime.dispose()
const received = await receiver.settle("/ours/v1/traces", stats.spansEnded)
receiver.close()

const m = result.median
const range = (name: keyof typeof m, base: keyof typeof m) => {
  const overheads = result.samples[name].map((x, i) => x - result.samples[base][i]!).sort((a, b) => a - b)
  return `${overheads[0]!.toFixed(0)}–${overheads[overheads.length - 1]!.toFixed(0)}`
}
const ours = m.ours - m.bare
const withSpan = m.withSpan - m.bare
const onceOurs = m.onceOurs - m.onceBare
report({
  file: "traced-effect.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} requests per variant`,
  rows: [
    {
      bench: "2. traced Effect, built per call",
      metric: "overhead ns per request, HTTP export",
      ours,
      theirs: withSpan,
      theirsLabel: "Effect.withSpan per call (built-in tracer, no export)",
      unit: "ns",
      ratio: ours / withSpan,
      target: "≤ 0.25× withSpan's overhead",
      pass: ours / withSpan <= 0.25,
      note: `bare handler ${m.bare.toFixed(0)} ns per request; per-round overhead ours ${range("ours", "bare")} ns, ` +
        `withSpan ${range("withSpan", "bare")} ns; receiver got ${received} of ${stats.spansEnded} ended spans ` +
        `(buffer drops ${stats.spansDroppedBuffer}, export drops ${stats.spansDroppedExport})`
    },
    {
      bench: "2. traced Effect, built once",
      metric: "overhead ns per yield of one traced effect",
      ours: onceOurs,
      theirs: ours,
      theirsLabel: "the same built per call",
      unit: "ns",
      ratio: onceOurs / ours,
      target: "(info: the earlier form of row 2)",
      note: `bare effect ${m.onceBare.toFixed(0)} ns`
    }
  ],
  chart: [
    { label: "traceIncomingRemoteCall per call (ours)", ns: ours },
    { label: "traced effect built once (ours)", ns: onceOurs },
    { label: "Effect.withSpan per call, built-in", ns: withSpan }
  ]
})
