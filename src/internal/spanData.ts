/**
 * Finished spans as plain data (`SpanData`): read back from the engine's OTLP/JSON batches (the test layer's
 * recording, the console view), queried, and rendered as trees.
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

// Keys are own data properties whatever they are named: assigning would call the `__proto__` setter.
const attributes = (list: ReadonlyArray<KeyValue> | undefined): Record<string, AttributeValue> => {
  const out: Record<string, AttributeValue> = {}
  for (const kv of list ?? []) {
    Object.defineProperty(out, kv.key, { value: value(kv.value), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** @internal Every span of one OTLP/JSON `ExportTraceServiceRequest` (one line of the file sink, one batch). */
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

/**
 * Spans whose parent is `parent` (by span id), in start order.
 *
 * @internal
 */
export const childrenOf = (spans: ReadonlyArray<SpanData>, parent: SpanData): Array<SpanData> =>
  spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId).sort(byStart)

/**
 * The spans of each trace that have no parent among the given spans, in start order.
 *
 * @internal
 */
export const roots = (spans: ReadonlyArray<SpanData>): Array<SpanData> => {
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`))
  return spans.filter((s) => s.parentSpanId === undefined || !ids.has(`${s.traceId}/${s.parentSpanId}`)).sort(byStart)
}

const byStart = (a: SpanData, b: SpanData): number => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0)

const keyAttributes = [
  "rpc.service",
  "rpc.method",
  "url.full",
  "http.request.method",
  "http.response.status_code",
  "db.system.name",
  "db.query.text",
  "messaging.system",
  "messaging.destination.name",
  "server.address"
]

// Attributes outside these namespaces are the application's own (custom request attributes) and are shown.
const standardPrefixes = ["rpc.", "http.", "url.", "db.", "messaging.", "server.", "client.", "network.", "oneagent.",
  "effect.", "user_agent."]

const formatValue = (value: AttributeValue): string =>
  Array.isArray(value)
    ? `[${value.map((v) => formatValue(v)).join(", ")}]`
    : typeof value === "number" && !Number.isFinite(value)
    ? String(value) // NaN, Infinity: JSON would print null
    : JSON.stringify(value)

const shortEscapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

// Span data comes from requests: control characters (C0, DEL, C1) would let it move the cursor, recolour or retitle
// the terminal, or forge tree lines. Each is written as an escape instead.
const escapeControls = (line: string): string =>
  line.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => shortEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/**
 * Renders spans as one indented tree per trace: name, kind, duration, status and key attributes. Control characters
 * in them are escaped (`\n`, `\u001b`), so each span is one line and nothing reaches the terminal as a command.
 *
 * @internal
 */
export const renderTree = (spans: ReadonlyArray<SpanData>): string => {
  const lines: Array<string> = []
  const line = (span: SpanData, depth: number) => {
    const mark = span.status.code === "error"
      ? `✗ ${span.status.message}`
      : span.attributes["effect.fiber.interrupted"] === true
      ? "⊘ interrupted"
      : "✓"
    const attrs = keyAttributes.filter((k) => k in span.attributes && !span.name.includes(String(span.attributes[k])))
      .map((k) => `${k}=${formatValue(span.attributes[k]!)}`)
    const custom = Object.keys(span.attributes).filter((k) => !standardPrefixes.some((p) => k.startsWith(p)))
      .map((k) => `${k}=${formatValue(span.attributes[k]!)}`)
    const details = [...attrs, ...custom].join(" ")
    // Past a readable depth the indentation stops growing and the depth is written instead: a trace thousands of
    // spans deep costs lines of bounded length.
    const indent = depth <= maxIndent ? "  ".repeat(depth) : `${"  ".repeat(maxIndent)}[depth ${depth}] `
    lines.push(escapeControls(
      `${indent}${depth === 0 ? "" : "└─ "}${span.name} [${span.kind}] ${span.durationMillis.toFixed(2)} ms ${mark}` +
        (details === "" ? "" : `  ${details}`)
    ))
  }
  // Every span's children, found once: the tree of a large trace takes time linear in its spans.
  const children = new Map<string, Array<SpanData>>()
  for (const span of spans) {
    if (span.parentSpanId === undefined) continue
    const key = `${span.traceId}/${span.parentSpanId}`
    const siblings = children.get(key)
    if (siblings === undefined) children.set(key, [span])
    else siblings.push(span)
  }
  for (const siblings of children.values()) siblings.sort(byStart)
  for (const root of roots(spans)) {
    // A tree whose top span has a parent elsewhere: continued from another process, or ended after the rest was
    // printed (a late child).
    const continued = root.parentSpanId === undefined ? "" : ` (continued from span ${root.parentSpanId})`
    lines.push(escapeControls(`trace ${root.traceId}${continued}`))
    // Depth first without recursion: a chain of any depth cannot overflow the stack.
    const stack: Array<readonly [SpanData, number]> = [[root, 1]]
    while (stack.length > 0) {
      const [span, depth] = stack.pop()!
      line(span, depth)
      const below = children.get(`${span.traceId}/${span.spanId}`)
      if (below !== undefined) for (let i = below.length - 1; i >= 0; i--) stack.push([below[i]!, depth + 1])
    }
  }
  return lines.join("\n")
}

const maxIndent = 40

/** @internal The UTF-8 text of an encoded batch (OTLP/JSON). */
export const textOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
