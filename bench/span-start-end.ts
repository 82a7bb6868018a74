/**
 * Span start + end in the native engine (no Effect around it) vs OpenTelemetry JS `startSpan`/`end` on a
 * `BasicTracerProvider` with a `BatchSpanProcessor`. Both export while they run: ours on an export thread
 * (bench/sink-worker.ts: a worker that takes the engine's spans as encoded protobuf batches, as the library's export
 * worker does, into a sink), OTel through an exporter that serializes each batch with the OTLP protobuf serializer,
 * as `OTLPTraceExporter` does, without the network. Same span: SERVER kind, two string attributes, a new trace.
 *
 * Each round ends `SPANS` spans in chunks of `CHUNK`, yielding to the event loop between chunks so both
 * pipelines run their callbacks and timers as in an application; the time per span is the round's wall time,
 * so it includes the export work each design leaves on the JS thread. Between rounds both are flushed.
 */
import { SpanKind } from "@opentelemetry/api"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter
} from "@opentelemetry/sdk-trace-base"
import { Counter, exportingEngine, immediate, interleave, now, report, SPAN } from "./lib.ts"

const SPANS = 50_000
const CHUNK = 500
const ROUNDS = 11
const WARMUP = 3

/** What OTLPTraceExporter does before the network: one protobuf request per batch. */
class SerializingExporter implements SpanExporter {
  spans = 0
  bytes = 0
  export(spans: Array<ReadableSpan>, done: (result: { code: number }) => void): void {
    const body = ProtobufTraceSerializer.serializeRequest(spans)
    this.bytes += body?.byteLength ?? 0
    this.spans += spans.length
    done({ code: 0 })
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const otelExporter = new SerializingExporter()
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [
    // The same bounds as ours: a 65,536-span buffer, batches of 512, a 100 ms timer.
    new BatchSpanProcessor(otelExporter, { maxQueueSize: 65_536, maxExportBatchSize: 512, scheduledDelayMillis: 100 })
  ]
})
const tracer = provider.getTracer("bench", "1")
const otelOptions = { kind: SpanKind.SERVER, attributes: SPAN.attributes }

const { addon, counters, sink, template } = await exportingEngine()

const ours = async (): Promise<number> => {
  const t0 = now()
  for (let done = 0; done < SPANS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) addon.span_end(addon.span_start(0, template))
    await immediate()
  }
  return (now() - t0) / SPANS
}

const otel = async (): Promise<number> => {
  const t0 = now()
  for (let done = 0; done < SPANS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) tracer.startSpan(SPAN.name, otelOptions).end()
    await immediate()
  }
  return (now() - t0) / SPANS
}

const result = await interleave({ ours, otel }, {
  rounds: ROUNDS,
  warmup: WARMUP,
  between: async () => {
    await sink.flush()
    await provider.forceFlush()
  }
})

const total = (ROUNDS + WARMUP) * SPANS
const oursNs = result.median.ours
const otelNs = result.median.otel
const delivered = `ours delivered ${sink.spans()}/${total} (ring drops ${counters[Counter.DroppedRing]}), ` +
  `OTel ${otelExporter.spans}/${total}`
report({
  file: "span-start-end.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${SPANS} spans, chunks of ${CHUNK}`,
  rows: [{
    bench: "1. span start+end (engine)",
    metric: "ns per span, exporting",
    ours: oursNs,
    theirs: otelNs,
    theirsLabel: "OTel BasicTracerProvider+BSP",
    unit: "ns",
    ratio: oursNs / otelNs,
    target: "≤ 0.1× OpenTelemetry",
    pass: oursNs / otelNs <= 0.1,
    note: delivered
  }],
  chart: [{ label: "engine span (ours)", ns: oursNs }, { label: "OTel startSpan/end", ns: otelNs }]
})
await sink.close()
await provider.shutdown()
