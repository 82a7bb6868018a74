/**
 * Event-loop delay (p99 of `perf_hooks.monitorEventLoopDelay`) while an application traces RATE spans per second
 * and exports them over OTLP/HTTP to a local receiver (bench/receiver.ts, a child process), vs the same
 * application without tracing, and vs OpenTelemetry's full pipeline (BatchSpanProcessor + OTLPTraceExporter, proto).
 *
 * The application: a 1 ms timer that runs, through one Effect runtime, as many small effects as are due to keep
 * RATE per second. Variants: bare effects; effects wrapped in `OneAgentSdk.traceCustomService` (production
 * layer, HTTP export); effects that start and end an OTel span. Phases alternate, PHASE_MS each, ROUNDS times;
 * the p99 per variant is the median over its phases. Delivered % counts what the receiver got after a final flush.
 */
import { SpanKind } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { median, report, requireTracing, sleep, SPAN, startReceiver, watchdog } from "./lib.ts"

const RATE = 100_000
const PHASE_MS = 2_000
const ROUNDS = 3
const MAX_PER_TICK = 2_000
watchdog(300_000, "event-loop.ts")

const receiver = await startReceiver()
const runtime = ManagedRuntime.make(OneAgentSdk.layer({ export: { endpoint: receiver.url } }))
await runtime.runPromise(Effect.void)
await requireTracing(runtime, OneAgentSdk)

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/otel/v1/traces` }))]
})
const tracer = provider.getTracer("bench", "1")

let counter = 0
const bare = Effect.sync(() => counter++)
const variants = {
  none: bare,
  ours: bare.pipe(OneAgentSdk.traceCustomService({ service: "bench.Service", method: "call" })),
  otel: Effect.sync(() => {
    const span = tracer.startSpan(SPAN.name, { kind: SpanKind.SERVER, attributes: SPAN.attributes })
    counter++
    span.end()
  })
}
type Variant = keyof typeof variants
const produced: Record<Variant, number> = { none: 0, ours: 0, otel: 0 }

const batchOf = (effect: Effect.Effect<unknown, never, OneAgentSdk>, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* effect
  })

// One phase: RATE spans per second from a 1 ms timer; returns the p99 event-loop delay in ms.
const phase = async (variant: Variant): Promise<number> => {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  const effect = variants[variant]
  const start = performance.now()
  let done = 0
  histogram.enable()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start
      const due = Math.min(MAX_PER_TICK, Math.floor((elapsed * RATE) / 1000) - done)
      if (due > 0) {
        runtime.runSync(batchOf(effect, due))
        done += due
      }
      if (elapsed >= PHASE_MS) {
        clearInterval(timer)
        resolve()
      }
    }, 1)
  })
  histogram.disable()
  produced[variant] += done
  const rate = (done * 1000) / (performance.now() - start)
  if (rate < RATE * 0.95) console.log(`${variant}: only ${rate.toFixed(0)} per second reached`)
  return histogram.percentile(99) / 1e6
}

const p99: Record<Variant, Array<number>> = { none: [], ours: [], otel: [] }
const names = Object.keys(variants) as Array<Variant>
await phase("none") // warm-up, not recorded
await phase("ours")
await phase("otel")
produced.none = produced.ours = produced.otel = 0
const warmReceived = await receiver.stats()
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const variant = names[(round + i) % names.length]!
    p99[variant].push(await phase(variant))
    await sleep(200)
  }
}

// Everything ended was produced inside a phase; flush both pipelines, then ask the receiver.
await provider.forceFlush()
const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
await runtime.dispose()
await sleep(200)
const received = await receiver.stats()
receiver.close()
const got = (path: string) => (received[path]?.spans ?? 0) - (warmReceived[path]?.spans ?? 0)
const oursDelivered = (100 * got("/v1/traces")) / produced.ours
const otelDelivered = (100 * got("/otel/v1/traces")) / produced.otel

const base = median(p99.none)
const ours = median(p99.ours)
const otel = median(p99.otel)
report({
  file: "event-loop.ts",
  iterations: `${ROUNDS} alternating phases of ${PHASE_MS} ms per variant at ${RATE} spans/s (+1 warm-up each)`,
  rows: [{
    bench: "5. event-loop delay p99",
    metric: "added p99 at 100k spans/s, HTTP export",
    ours: ours - base,
    theirs: otel - base,
    theirsLabel: "OTel BSP + OTLPTraceExporter (proto)",
    unit: "ms",
    ratio: (ours - base) / (otel - base),
    target: "< 0.5 ms added",
    pass: ours - base < 0.5,
    note: `p99 without tracing ${base.toFixed(2)} ms, ours ${ours.toFixed(2)} ms, OTel ${otel.toFixed(2)} ms; ` +
      `delivered: ours ${oursDelivered.toFixed(1)}% of ${produced.ours} (dropped: buffer ${stats.spansDroppedBuffer}, ` +
      `export ${stats.spansDroppedExport}), OTel ${otelDelivered.toFixed(1)}% of ${produced.otel}`
  }]
})
process.exit(0)
