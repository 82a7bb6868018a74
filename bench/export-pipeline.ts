/**
 * The whole export pipeline, three ways, same workload: 100,000 traced requests in one fiber, each built per call
 * (`(req) => work(req).pipe(trace(...))`), then the pipeline flushed to the same receiver (bench/receiver.ts, a child
 * process that decodes and counts every span) as an application's shutdown does it:
 *
 * - ours: `OneAgentSdk.layer({ export: { endpoint } })` (defaults otherwise), `traceIncomingRemoteCall`; flushed by
 *   releasing the layer (ManagedRuntime.dispose);
 * - Effect's OtlpTracer: `OtlpTracer.layer` with `OtlpSerialization.layerProtobuf` and `FetchHttpClient.layer`
 *   (effect/observability, effect/http), `Effect.withSpan`; flushed by closing its scope (ManagedRuntime.dispose);
 * - OpenTelemetry JS: BasicTracerProvider + BatchSpanProcessor + `OTLPTraceExporter` from
 *   `@opentelemetry/exporter-trace-otlp-proto`, all at their defaults, spans started and ended around the effect
 *   (lib.ts `otelTraced`); flushed by `provider.shutdown()`.
 *
 * Each round builds a fresh pipeline (not timed), times the requests plus the flush, and counts what the receiver
 * got. Cost per span = (that time − the same loop untraced) / requests. Delivered = received / requests.
 * `PIPELINE_ONLY=ours|effect|otel` runs one variant (for a CPU profile).
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

const N = 100_000
const ROUNDS = Number(process.env.PIPELINE_ROUNDS ?? 5)
const WARMUP = 1
const only = process.env.PIPELINE_ONLY
watchdog(600_000, "export-pipeline.ts")

let counter = 0
const work = (req: number) => Effect.sync(() => (counter += req))
const attributes = { "rpc.method": "call", "rpc.service": "bench.Api" }
const loop = <R>(handle: (req: number) => Effect.Effect<number, never, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* handle(i)
  })

const receiver = await startReceiver()
const paths = { ours: "/ours/v1/traces", effect: "/effect/v1/traces", otel: "/otel/v1/traces" } as const
type Variant = "bare" | keyof typeof paths

const diagnostics: Array<string> = []
const oursNotes: Array<string> = []
const plain = ManagedRuntime.make(Layer.empty)
await plain.runPromise(Effect.void)

// One round of a variant: [ns per request including the flush, spans the receiver got].
const rounds: Record<Variant, () => Promise<[number, number]>> = {
  bare: async () => {
    const t0 = now()
    await plain.runPromise(loop(work))
    return [(now() - t0) / N, 0]
  },
  ours: async () => {
    const runtime = ManagedRuntime.make(OneAgentSdk.layer({
      export: { endpoint: `${receiver.url}/ours` },
      effectSpans: false,
      diagnosticCallback: (message) => diagnostics.push(message)
    }))
    await runtime.runPromise(Effect.void)
    await requireTracing(runtime, OneAgentSdk)
    const handle = (req: number) =>
      work(req).pipe(OneAgentSdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" }))
    const t0 = now()
    await runtime.runPromise(loop(handle))
    const t1 = now()
    const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
    const t2 = now()
    await runtime.dispose()
    const ns = (now() - t2 + t1 - t0) / N
    oursNotes.push(`loop ${((t1 - t0) / N).toFixed(0)} + flush ${((now() - t2) / N).toFixed(0)} ns; at the loop's end ` +
      `${stats.spansExported} exported, ${stats.spansPendingExport} pending, ${stats.spansDroppedBuffer} ring drops`)
    return [ns, 0]
  },
  effect: async () => {
    const runtime = effectOtlpRuntime(`${receiver.url}${paths.effect}`)
    await runtime.runPromise(Effect.void)
    const handle = (req: number) =>
      work(req).pipe(Effect.withSpan("bench.Api/call", {
        kind: "server",
        attributes: { "rpc.method": "call", "rpc.service": "bench.Api" }
      }))
    const t0 = now()
    await runtime.runPromise(loop(handle))
    await runtime.dispose()
    return [(now() - t0) / N, 0]
  },
  otel: async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "bench" }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}${paths.otel}` }))]
    })
    const tracer = provider.getTracer("bench", "1")
    const handle = (req: number) => work(req).pipe(otelTraced(tracer, "bench.Api/call", { kind: SpanKind.SERVER, attributes }))
    const t0 = now()
    await plain.runPromise(loop(handle))
    await provider.shutdown()
    return [(now() - t0) / N, 0]
  }
}

const names = (only === undefined ? ["bare", "ours", "effect", "otel"] : ["bare", only]) as Array<Variant>
const perSpan: Record<Variant, Array<number>> = { bare: [], ours: [], effect: [], otel: [] }
const delivered: Record<Variant, Array<number>> = { bare: [], ours: [], effect: [], otel: [] }
const cpu: Record<Variant, Array<number>> = { bare: [], ours: [], effect: [], otel: [] }
// The main thread's CPU per request, and the receiver's per span it got (its work is the same per span for every
// variant, but it runs on the same two cores).
const mainCpu: Record<Variant, Array<number>> = { bare: [], ours: [], effect: [], otel: [] }
const receiverCpu: Record<Variant, Array<number>> = { bare: [], ours: [], effect: [], otel: [] }
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const variant = names[(round + i) % names.length]!
    const before = variant === "bare" ? 0 : await receiver.spans(paths[variant])
    const receiver0 = await receiver.cpuNs()
    const cpu0 = process.cpuUsage()
    const main0 = process.threadCpuUsage()
    const [ns] = await within(120_000, `${variant}: 100,000 requests and a flush did not finish`, rounds[variant]())
    const cpuUsed = process.cpuUsage(cpu0)
    const mainUsed = process.threadCpuUsage(main0)
    // Whatever a pipeline still had in flight when its flush returned, it did not deliver in time; a short wait
    // lets the receiver finish counting what was answered.
    const got = variant === "bare" ? N : (await receiver.settle(paths[variant], before + N, 300)) - before
    const receiverUsed = (await receiver.cpuNs()) - receiver0
    if (round >= WARMUP) {
      perSpan[variant].push(ns)
      delivered[variant].push((100 * got) / N)
      cpu[variant].push(((cpuUsed.user + cpuUsed.system) * 1000) / N)
      mainCpu[variant].push(((mainUsed.user + mainUsed.system) * 1000) / N)
      receiverCpu[variant].push(got > 0 ? receiverUsed / got : 0)
    }
    console.log(`round ${round}${round < WARMUP ? " (warm-up)" : ""} ${variant}: ${ns.toFixed(0)} ns per request, ` +
      `process CPU ${(((cpuUsed.user + cpuUsed.system) * 1000) / N).toFixed(0)} ns, delivered ${got}` +
      (variant === "ours" ? ` (${oursNotes.pop()})` : ""))
    for (const message of diagnostics.splice(0)) console.log(`  ours diagnostic: ${message}`)
  }
}
await plain.dispose()
receiver.close()

const bare = median(perSpan.bare)
const overhead = (v: Variant) => median(perSpan[v]) - bare
const range = (xs: ReadonlyArray<number>) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
const pct = (v: Variant) => `${median(delivered[v]).toFixed(1)} % (${range(delivered[v])})`
const variants = names.filter((v) => v !== "bare") as Array<keyof typeof paths>
const has = (v: keyof typeof paths) => variants.includes(v)
// 100 % means every round delivered every span.
const oursDelivered = has("ours") ? Math.min(...delivered.ours) : NaN
// One row per peer: ours against it, with the ratio its target asks for.
const peerRow = (peer: "effect" | "otel", label: string, minRatio: number, note: string) => {
  const ratio = overhead(peer) / overhead("ours")
  return {
    bench: "8. export pipeline",
    metric: "ns per span incl. flush to the receiver, 100,000 in one fiber",
    ours: overhead("ours"),
    theirs: overhead(peer),
    theirsLabel: label,
    unit: "ns",
    ratio,
    target: `≥ ${minRatio}× cheaper (ratio = theirs / ours), 100 % delivered`,
    pass: ratio >= minRatio && oursDelivered === 100,
    note
  }
}
const rows = [
  ...(has("effect") && has("ours")
    ? [peerRow(
      "effect",
      "Effect OtlpTracer (protobuf, FetchHttpClient)",
      20,
      `bare loop ${bare.toFixed(0)} ns per request; per-round totals ours ${range(perSpan.ours)} ns, Effect ` +
        `${range(perSpan.effect)} ns; delivered ours ${pct("ours")}, Effect ${pct("effect")}; CPU per request: ours ` +
        `${median(cpu.ours).toFixed(0)} ns in the process (main thread ${median(mainCpu.ours).toFixed(0)} ns, the rest ` +
        `the export worker and the GC's threads), Effect ${median(cpu.effect).toFixed(0)} ns (main thread ` +
        `${median(mainCpu.effect).toFixed(0)} ns); the receiver's CPU per span it got: ours ` +
        `${median(receiverCpu.ours).toFixed(0)} ns, Effect ${median(receiverCpu.effect).toFixed(0)} ns`
    )]
    : []),
  ...(has("otel") && has("ours")
    ? [peerRow(
      "otel",
      "OTel BSP + OTLPTraceExporter (proto), defaults",
      4,
      `per-round totals OTel ${range(perSpan.otel)} ns; delivered OTel ${pct("otel")} (its default queue ` +
        `holds 2,048 spans); process CPU per request OTel ${median(cpu.otel).toFixed(0)} ns (main thread ` +
        `${median(mainCpu.otel).toFixed(0)} ns); the receiver's CPU per span it got ` +
        `${median(receiverCpu.otel).toFixed(0)} ns`
    )]
    : [])
]
report({
  file: "export-pipeline.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} requests per variant, fresh pipeline per round`,
  rows: rows.length > 0
    ? rows
    : variants.map((v) => ({
      bench: "8. export pipeline",
      metric: `${v}: ns per span incl. flush`,
      ours: overhead(v),
      unit: "ns",
      target: "(single variant)",
      note: `delivered ${pct(v)}; CPU per request ${median(cpu[v]).toFixed(0)} ns in the process, main thread ` +
        `${median(mainCpu[v]).toFixed(0)} ns; the receiver's per span ${median(receiverCpu[v]).toFixed(0)} ns`
    })),
  chart: variants.map((v) => ({
    label: v === "ours" ? "pipeline, 100k spans (ours)" : v === "effect" ? "pipeline, Effect OtlpTracer" : "pipeline, OTel JS",
    ns: overhead(v)
  }))
})
process.exit(0)
