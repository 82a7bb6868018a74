/**
 * Memory per finished span held in the buffer, and the bound on it when the exporter stalls.
 * Run with `--expose-gc` (bench/run.ts does).
 *
 * 1. Stalled exporter: a 65,536-span bound (the default bufferSize) with an export thread (bench/sink-worker.ts)
 *    that takes 4 batches, as the library's pump does, and never settles them (a target that never answers): the
 *    bound fills and further spans are dropped and counted. RSS is sampled every 100,000 spans up to 1,000,000: it must stop growing once
 *    the ring is full. Runs first, so no freed memory from the next phase hides growth.
 * 2. Buffered spans: a ring of 1,000,000 and no exporter; JS heap and RSS per span after 1,000,000 spans. OTel's
 *    BatchSpanProcessor holding 100,000 spans (its exporter never answers) is measured for comparison.
 */
import { SpanKind } from "@opentelemetry/api"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Counter, initEngine, loadNative, report, SPAN, startSink, templateAttributes } from "./lib.ts"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc")
const settle = () => {
  gc()
  gc()
  return process.memoryUsage()
}
const MB = 1024 * 1024

// ---- 1. stalled exporter ----
const { addon, path } = loadNative()
let counters = initEngine(addon, 65_536)
let template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
const sink = await startSink(addon, path, counters, { intervalMs: 10, stall: 4 })
const STALL_SPANS = 1_000_000
const samples: Array<{ spans: number; rss: number; dropped: number }> = []
const rss0 = settle().rss
for (let done = 0; done < STALL_SPANS;) {
  for (let i = 0; i < 100_000; i++, done++) addon.span_end(addon.span_start(0, template))
  // Give the export thread a moment to take what it can, as it would between two bursts of a busy JS thread.
  await new Promise((resolve) => setTimeout(resolve, 20))
  samples.push({ spans: done, rss: process.memoryUsage().rss - rss0, dropped: counters[Counter.DroppedRing]! })
}
const dropped = counters[Counter.DroppedRing]!
const delivered = sink.spans()
await sink.close()
addon.engine_shutdown()
const full = samples.find((s) => s.dropped > 0) ?? samples[0]!
const last = samples[samples.length - 1]!
const growthAfterFull = last.rss - full.rss
console.log("stalled exporter, RSS growth (MB) by spans:",
  samples.map((s) => `${s.spans / 1000}k:${(s.rss / MB).toFixed(1)}`).join(" "))

// ---- 2. buffered spans, no exporter ----
const BUFFERED = 1_000_000
const before = settle()
counters = initEngine(addon, BUFFERED)
template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
for (let i = 0; i < BUFFERED; i++) addon.span_end(addon.span_start(0, template))
const after = settle()
const held = counters[Counter.Queued]!
const heapPerSpan = (after.heapUsed - before.heapUsed) / held
const rssPerSpan = (after.rss - before.rss) / held
addon.engine_shutdown()

// OTel: a BatchSpanProcessor whose exporter never answers keeps every ended span (up to maxQueueSize).
const OTEL_SPANS = 100_000
const stalled = { export: () => {}, shutdown: () => Promise.resolve() }
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [new BatchSpanProcessor(stalled, { maxQueueSize: OTEL_SPANS, maxExportBatchSize: 512, exportTimeoutMillis: 600_000 })]
})
const tracer = provider.getTracer("bench", "1")
const otelBefore = settle()
for (let i = 0; i < OTEL_SPANS; i++) tracer.startSpan(SPAN.name, { kind: SpanKind.SERVER, attributes: SPAN.attributes }).end()
const otelAfter = settle()
const otelHeapPerSpan = (otelAfter.heapUsed - otelBefore.heapUsed) / OTEL_SPANS
const otelRssPerSpan = (otelAfter.rss - otelBefore.rss) / OTEL_SPANS

report({
  file: "memory.ts",
  iterations: `${STALL_SPANS} spans into a stalled 65,536 ring; ${BUFFERED} spans buffered; OTel ${OTEL_SPANS} buffered`,
  rows: [
    {
      bench: "4. memory, buffered spans",
      metric: "JS heap bytes per buffered span",
      ours: heapPerSpan,
      theirs: otelHeapPerSpan,
      theirsLabel: "OTel BSP queue",
      unit: "B",
      ratio: heapPerSpan / otelHeapPerSpan,
      target: "≤ 200 B",
      pass: heapPerSpan <= 200,
      note: `${held} spans held in the ring`
    },
    {
      bench: "4. memory, buffered spans",
      metric: "RSS bytes per buffered span",
      ours: rssPerSpan,
      theirs: otelRssPerSpan,
      theirsLabel: "OTel BSP queue",
      unit: "B",
      ratio: rssPerSpan / otelRssPerSpan,
      target: "(native record + ring slot)"
    },
    {
      bench: "4. memory, stalled exporter",
      metric: "RSS growth after the ring filled",
      ours: growthAfterFull / MB,
      unit: "MB",
      target: "flat (bounded by the ring)",
      pass: growthAfterFull < 8 * MB,
      note: `RSS +${(full.rss / MB).toFixed(1)} MB when full at ${full.spans} spans, +${(last.rss / MB).toFixed(1)} MB ` +
        `at ${last.spans}; ${dropped} spans dropped and counted, ${delivered} taken and never settled`
    }
  ]
})

process.exit(0)
