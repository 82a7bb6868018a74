/**
 * Reading back the engine's OTLP/JSON batches as SpanData, for the console tree of the file sink.
 *
 * @internal
 */
import type { AttributeValue, SpanData, SpanKind } from "../SpanData.ts"

interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number | string
  readonly boolValue?: boolean
  readonly arrayValue?: { readonly values?: ReadonlyArray<AnyValue> }
}

interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

interface JsonSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly traceState?: string
  readonly flags?: number
  readonly name: string
  readonly kind?: number
  readonly startTimeUnixNano: string
  readonly endTimeUnixNano: string
  readonly attributes?: ReadonlyArray<KeyValue>
  readonly droppedAttributesCount?: number
  readonly droppedEventsCount?: number
  readonly droppedLinksCount?: number
  readonly events?: ReadonlyArray<{ name: string; timeUnixNano: string; attributes?: ReadonlyArray<KeyValue> }>
  readonly links?: ReadonlyArray<{ traceId: string; spanId: string }>
  readonly status?: { readonly code?: number; readonly message?: string }
}

const kinds: ReadonlyArray<SpanKind> = ["internal", "internal", "server", "client", "producer", "consumer"]
const statuses = ["unset", "ok", "error"] as const

const scalar = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? Number(v.doubleValue ?? NaN))

const value = (v: AnyValue): AttributeValue => v.arrayValue !== undefined ? (v.arrayValue.values ?? []).map(scalar) : scalar(v)

const attributes = (list: ReadonlyArray<KeyValue> | undefined): Record<string, AttributeValue> => {
  const out: Record<string, AttributeValue> = {}
  for (const kv of list ?? []) out[kv.key] = value(kv.value)
  return out
}

/** @internal Every span of one OTLP/JSON `ExportTraceServiceRequest` line. */
export const spansOf = (line: string): Array<SpanData> => {
  const out: Array<SpanData> = []
  const request = JSON.parse(line) as {
    resourceSpans?: ReadonlyArray<{ scopeSpans?: ReadonlyArray<{ spans?: ReadonlyArray<JsonSpan> }> }>
  }
  for (const resource of request.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const s of scope.spans ?? []) {
        const start = BigInt(s.startTimeUnixNano)
        const end = BigInt(s.endTimeUnixNano)
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId === undefined || s.parentSpanId === "" ? undefined : s.parentSpanId,
          name: s.name,
          kind: kinds[s.kind ?? 1] ?? "internal",
          sampled: ((s.flags ?? 1) & 1) === 1,
          traceState: s.traceState ?? "",
          startTime: start,
          endTime: end,
          durationMillis: Number(end - start) / 1e6,
          status: { code: statuses[s.status?.code ?? 0] ?? "unset", message: s.status?.message ?? "" },
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            time: BigInt(e.timeUnixNano),
            attributes: attributes(e.attributes)
          })),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          droppedEventsCount: s.droppedEventsCount ?? 0,
          droppedLinksCount: s.droppedLinksCount ?? 0
        })
      }
    }
  }
  return out
}
