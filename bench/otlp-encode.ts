/**
 * OTLP protobuf encoding per span: the native encoder (on the export thread) vs `@opentelemetry/otlp-transformer`'s
 * `ProtobufTraceSerializer.serializeRequest`, on 10,000 finished spans of the same shape (SERVER, two string
 * attributes, one resource attribute, same scope), in batches of 512 as both pipelines send them.
 *
 * Ours: the spans wait in the engine while the export thread (bench/sink-worker.ts, a worker that opens the engine
 * as the library's export worker does) is paused; the round resumes it and flushes, so it takes every span as
 * encoded batches (`export_take`: pop, encode, copy into a Buffer). Ours is that thread's CPU time while it takes
 * (Linux schedstat; wall time where unavailable), OTel's the wall time of the synchronous serializer on the JS
 * thread. The JS thread's busy time (event-loop utilisation) while ours runs is what our export costs it; for OTel
 * all of its time blocks the JS thread.
 * The first rounds grow the allocator's arenas (fresh pages fault in), hence the long warm-up.
 */
import { SpanKind } from "@opentelemetry/api"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { performance } from "node:perf_hooks"
import {
  initEngine,
  interleave,
  loadNative,
  median,
  now,
  report,
  SPAN,
  startSink,
  sleep,
  templateAttributes,
  threadCpuNs
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

const { addon, path } = loadNative()
const counters = initEngine(addon, 65_536)
const template = addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes)
const sink = await startSink(addon, path, counters, { maxBatchSpans: BATCH, intervalMs: 60_000, paused: true })
let oursBytes = 0
const js: Array<number> = []
const wall: Array<number> = []
const takeWall: Array<number> = []

// One round: returns the export thread's CPU ns per span (wall ns per span without schedstat).
const ours = async (): Promise<number> => {
  for (let i = 0; i < SPANS; i++) addon.span_end(addon.span_start(0, template))
  const spans0 = sink.spans()
  const bytes0 = sink.bytes()
  const cpu0 = sink.cpuNs()
  const take0 = sink.takeNs()
  const elu0 = performance.eventLoopUtilization()
  const t0 = now()
  sink.resume()
  await sink.flush()
  const ns = now() - t0
  sink.pause()
  // Read once the export thread waits again: a running thread's schedstat lags.
  await sleep(5)
  const cpu = sink.cpuNs() - cpu0
  takeWall.push((sink.takeNs() - take0) / SPANS)
  js.push((performance.eventLoopUtilization(elu0).active * 1e6) / SPANS)
  wall.push(ns / SPANS)
  const spans = sink.spans() - spans0
  if (spans !== SPANS) throw new Error(`expected ${SPANS} spans, got ${spans}`)
  oursBytes = sink.bytes() - bytes0
  return cpuClock ? cpu / SPANS : (sink.takeNs() - take0) / SPANS
}

const result = await interleave({ ours, otel }, { rounds: ROUNDS, warmup: WARMUP })
const oursNs = result.median.ours
const otelNs = result.median.otel
const jsNs = median(js.slice(WARMUP))
const wallNs = median(wall.slice(WARMUP))
const takeNs = median(takeWall.slice(WARMUP))

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
      target: "≥ 10× faster (ratio = theirs / ours)",
      pass: otelNs / oursNs >= 10,
      note: `bytes per span: ours ${(oursBytes / SPANS).toFixed(1)}, OTel ${(otelBytes / SPANS).toFixed(1)}; ` +
        `ours: wall time in export_take ${takeNs.toFixed(0)} ns per span, from the flush's start until the main thread saw ` +
        `every span taken ${wallNs.toFixed(0)} ns per span`
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
      note: "ours: event-loop busy time while the export thread took the batches (waiting for it included)"
    }
  ],
  chart: [
    { label: "OTLP encode, export thread (ours)", ns: oursNs },
    { label: "JS-thread time of export (ours)", ns: jsNs },
    { label: "OTel ProtobufTraceSerializer", ns: otelNs }
  ]
})
await sink.close()
