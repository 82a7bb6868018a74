/**
 * OTLP protobuf encoding per span: the native encoder (on the export thread) vs `@opentelemetry/otlp-transformer`'s
 * `ProtobufTraceSerializer.serializeRequest`, on 10,000 finished spans of the same shape (SERVER, two string
 * attributes, one resource attribute, same scope), in batches of 512 as both pipelines send them.
 *
 * Ours: the spans wait in the ring while no exporter runs; the round starts the export thread, asks for a flush
 * and waits for its completion, so the export thread encodes every span and hands each batch to JS. Ours is the
 * export thread's CPU time (Linux schedstat, read once the thread sleeps; wall time where unavailable), OTel's the
 * wall time of the synchronous serializer on the JS thread. The JS thread's busy time (event-loop utilisation)
 * while ours runs is what our export path costs it; for OTel all of its time blocks the JS thread.
 * The first rounds grow the allocator's arenas (fresh pages fault in), hence the long warm-up.
 */
import { SpanKind } from "@opentelemetry/api"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { performance } from "node:perf_hooks"
import {
  BatchSink,
  exporterConfig,
  interleave,
  loadAddon,
  median,
  now,
  report,
  SPAN,
  templateAttributes,
  threadCpuNs,
  threadIds
} from "./lib.ts"

const SPANS = 10_000
const BATCH = 512
const ROUNDS = 21
const WARMUP = 10
const cpuClock = !Number.isNaN(threadCpuNs())
const clock = cpuClock ? "CPU" : "wall"

// OTel spans, collected once: a processor that keeps every ended span.
const collected: Array<ReadableSpan> = []
const keep = {
  onStart: () => {},
  onEnd: (span: ReadableSpan) => void collected.push(span),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve()
}
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [keep]
})
const tracer = provider.getTracer("effect-oneagent", "0.1.0")
for (let i = 0; i < SPANS; i++) tracer.startSpan(SPAN.name, { kind: SpanKind.SERVER, attributes: SPAN.attributes }).end()
const batches: Array<Array<ReadableSpan>> = []
for (let i = 0; i < SPANS; i += BATCH) batches.push(collected.slice(i, i + BATCH))
let otelBytes = 0

const otel = (): number => {
  const t0 = now()
  let bytes = 0
  for (const batch of batches) bytes += ProtobufTraceSerializer.serializeRequest(batch)?.byteLength ?? 0
  const ns = now() - t0
  otelBytes = bytes
  return ns / SPANS
}

const addon = loadAddon()
const counters = new Float64Array(addon.counter_count)
addon.engine_init(counters, 65_536, 1, 0)
const template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
let oursBytes = 0
const js: Array<number> = []
const wall: Array<number> = []

// One round: returns the export thread's CPU ns per span (wall ns per span without schedstat).
const ours = async (): Promise<number> => {
  for (let i = 0; i < SPANS; i++) addon.span_end(addon.span_start(0, template))
  const sink = new BatchSink(addon)
  const before = new Set(threadIds())
  const elu0 = performance.eventLoopUtilization()
  const t0 = now()
  addon.exporter_start({ ...exporterConfig(60_000), maxBatchSpans: BATCH }, sink.onBatch)
  const exportThreads = threadIds().filter((tid) => !before.has(tid))
  await sink.flush()
  const ns = now() - t0
  const exportCpu = exportThreads.reduce((sum, tid) => sum + threadCpuNs(tid), 0)
  js.push((performance.eventLoopUtilization(elu0).active * 1e6) / SPANS)
  wall.push(ns / SPANS)
  addon.exporter_stop()
  if (sink.spans !== SPANS) throw new Error(`expected ${SPANS} spans, got ${sink.spans}`)
  oursBytes = sink.bytes
  return cpuClock && exportThreads.length > 0 ? exportCpu / SPANS : ns / SPANS
}

const result = await interleave({ ours, otel }, { rounds: ROUNDS, warmup: WARMUP })
const oursNs = result.median.ours
const otelNs = result.median.otel
const jsNs = median(js.slice(WARMUP))
const wallNs = median(wall.slice(WARMUP))

report({
  file: "otlp-encode.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${SPANS} spans in batches of ${BATCH}`,
  rows: [
    {
      bench: "3. OTLP protobuf encode",
      metric: `ns per span (ours: export thread ${clock}; OTel: JS thread wall)`,
      ours: oursNs,
      theirs: otelNs,
      theirsLabel: "otlp-transformer ProtobufTraceSerializer",
      unit: "ns",
      ratio: otelNs / oursNs,
      target: "≥ 5× faster (ratio = theirs / ours)",
      pass: otelNs / oursNs >= 5,
      note: `bytes per span: ours ${(oursBytes / SPANS).toFixed(1)}, OTel ${(otelBytes / SPANS).toFixed(1)}; ` +
        `ours from flush to the last batch in JS: ${wallNs.toFixed(0)} ns per span (wall)`
    },
    {
      bench: "3. OTLP protobuf encode",
      metric: "JS-thread ns per span spent on export",
      ours: jsNs,
      theirs: otelNs,
      theirsLabel: "OTel serializer (all on the JS thread)",
      unit: "ns",
      ratio: otelNs / jsNs,
      target: "(ratio = theirs / ours)",
      note: "ours: event-loop busy time while the export thread encoded and handed over the batches"
    }
  ],
  chart: [
    { label: "OTLP encode, export thread (ours)", ns: oursNs },
    { label: "JS-thread time of export (ours)", ns: jsNs },
    { label: "OTel ProtobufTraceSerializer", ns: otelNs }
  ]
})
