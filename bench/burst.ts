/**
 * A burst (issue 12): 10,000 concurrent requests, each nesting 8 traced effects around an await, started at once
 * with `Effect.forEach(..., { concurrency: "unbounded" })`: 80,000 spans opened together and ended together, then
 * the pipeline flushed to bench/receiver.ts (a child process that decodes and counts every span). Every pipeline at
 * its defaults, in the same run:
 *
 * - ours: `OneAgentSdk.layer({ export: { endpoint } })`, an incoming remote call around 7 custom services;
 * - OpenTelemetry JS: BasicTracerProvider + BatchSpanProcessor + OTLPTraceExporter (proto), lib.ts `otelTraced`;
 * - Effect's OtlpTracer (protobuf, FetchHttpClient), `Effect.withSpan`.
 *
 * Delivered = spans the receiver got / 80,000, per round; the rounds alternate the order of the three.
 */
import { SpanKind } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { effectOtlpRuntime, median, now, otelTraced, report, requireTracing, startReceiver, watchdog, within } from "./lib.ts"

const REQUESTS = 10_000
const DEPTH = 8
const SPANS = REQUESTS * DEPTH
const ROUNDS = Number(process.env.BURST_ROUNDS ?? 3)
watchdog(600_000, "burst.ts")

const resolved = Promise.resolve()
let counter = 0
// The request's own work, which awaits something: every request is in flight, its spans open, at the same time.
const work = (req: number) => Effect.andThen(Effect.promise(() => resolved), Effect.sync(() => (counter += req)))
const requests = <R>(request: (req: number) => Effect.Effect<number, never, R>) =>
  Effect.forEach(Array.from({ length: REQUESTS }, (_, i) => i), request, { concurrency: "unbounded", discard: true })

const receiver = await startReceiver()
const paths = { ours: "/ours/v1/traces", otel: "/otel/v1/traces", effect: "/effect/v1/traces" } as const
type Variant = keyof typeof paths
const plain = ManagedRuntime.make(Layer.empty)
await plain.runPromise(Effect.void)
const oursNotes: Array<string> = []

const runs: Record<Variant, () => Promise<number>> = {
  ours: async () => {
    const diagnostics: Array<string> = []
    const runtime = ManagedRuntime.make(OneAgentSdk.layer({
      export: { endpoint: `${receiver.url}/ours` },
      diagnosticCallback: (message) => diagnostics.push(message)
    }))
    await runtime.runPromise(Effect.void)
    await requireTracing(runtime, OneAgentSdk)
    const request = (req: number) => {
      let traced: Effect.Effect<number, never, OneAgentSdk> = work(req)
      for (let level = DEPTH - 1; level >= 1; level--) {
        traced = traced.pipe(OneAgentSdk.traceCustomService({ service: `bench.Layer${level}`, method: "call" }))
      }
      return traced.pipe(OneAgentSdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" }))
    }
    const t0 = now()
    await runtime.runPromise(requests(request))
    const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
    await runtime.dispose()
    const ms = (now() - t0) / 1e6
    oursNotes.push(`ring drops ${stats.spansDroppedBuffer}, export drops ${stats.spansDroppedExport}` +
      (diagnostics.length > 0 ? `; diagnostics: ${diagnostics.join(" | ")}` : ""))
    return ms
  },
  otel: async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "bench" }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}${paths.otel}` }))]
    })
    const tracer = provider.getTracer("bench", "1")
    const options = { kind: SpanKind.SERVER, attributes: { "rpc.method": "call", "rpc.service": "bench.Api" } }
    const request = (req: number) => {
      let traced = work(req)
      for (let level = DEPTH - 1; level >= 1; level--) traced = traced.pipe(otelTraced(tracer, `bench.Layer${level}/call`, options))
      return traced.pipe(otelTraced(tracer, "bench.Api/call", options))
    }
    const t0 = now()
    await plain.runPromise(requests(request))
    await provider.shutdown()
    return (now() - t0) / 1e6
  },
  effect: async () => {
    const runtime = effectOtlpRuntime(`${receiver.url}${paths.effect}`)
    await runtime.runPromise(Effect.void)
    const request = (req: number) => {
      let traced = work(req)
      for (let level = DEPTH - 1; level >= 1; level--) {
        traced = traced.pipe(Effect.withSpan(`bench.Layer${level}/call`, { kind: "server" }))
      }
      return traced.pipe(Effect.withSpan("bench.Api/call", {
        kind: "server",
        attributes: { "rpc.method": "call", "rpc.service": "bench.Api" }
      }))
    }
    const t0 = now()
    await runtime.runPromise(requests(request))
    await runtime.dispose()
    return (now() - t0) / 1e6
  }
}

const names = Object.keys(runs) as Array<Variant>
const delivered: Record<Variant, Array<number>> = { ours: [], otel: [], effect: [] }
const ms: Record<Variant, Array<number>> = { ours: [], otel: [], effect: [] }
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const variant = names[(round + i) % names.length]!
    const before = await receiver.spans(paths[variant])
    const took = await within(180_000, `${variant}: the burst and its flush did not finish`, runs[variant]())
    const got = (await receiver.settle(paths[variant], before + SPANS, 300)) - before
    delivered[variant].push((100 * got) / SPANS)
    ms[variant].push(took)
    console.log(`round ${round} ${variant}: ${took.toFixed(0)} ms, delivered ${got} of ${SPANS}` +
      (variant === "ours" ? ` (${oursNotes.pop()})` : ""))
  }
}
await plain.dispose()
receiver.close()

const range = (xs: ReadonlyArray<number>, digits = 1) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`
const oursPct = median(delivered.ours)
report({
  file: "burst.ts",
  iterations: `${ROUNDS} rounds × ${REQUESTS} concurrent requests × ${DEPTH} nested spans per variant, defaults`,
  rows: [{
    bench: "9. burst, 10,000 × 8 spans",
    metric: "% of spans delivered, defaults, worst round",
    ours: Math.min(...delivered.ours),
    theirs: Math.min(...delivered.otel),
    theirsLabel: "OTel BSP + OTLPTraceExporter (proto), defaults",
    unit: "%",
    target: "100 % (ours)",
    pass: Math.min(...delivered.ours) === 100,
    note: `median ours ${oursPct.toFixed(1)} %; per round: ours ${range(delivered.ours)} %, ` +
      `OTel ${range(delivered.otel)} %, Effect OtlpTracer ${range(delivered.effect)} % (median ${median(delivered.effect).toFixed(1)} %); burst + flush ms: ours ` +
      `${range(ms.ours, 0)}, OTel ${range(ms.otel, 0)}, Effect ${range(ms.effect, 0)}`
  }]
})
process.exit(0)
