/**
 * Finished spans as plain data: what the test layer records and what the console sink prints.
 *
 * @since 0.1.0
 */
import type { RawRecord } from "./internal/addon.ts"

/**
 * @since 0.1.0
 * @category models
 */
export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer"

/**
 * @since 0.1.0
 * @category models
 */
export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean>

/**
 * @since 0.1.0
 * @category models
 */
export interface SpanData {
  readonly traceId: string
  readonly spanId: string
  /** The parent's span id; undefined for a root span (a span whose parent is in another process has one). */
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: SpanKind
  readonly sampled: boolean
  readonly traceState: string
  /** Unix epoch nanoseconds. */
  readonly startTime: bigint
  readonly endTime: bigint
  readonly durationMillis: number
  readonly status: { readonly code: "unset" | "ok" | "error"; readonly message: string }
  /** A key given more than once (custom request attributes) keeps every value, as an array. */
  readonly attributes: Readonly<Record<string, AttributeValue>>
  readonly events: ReadonlyArray<{
    readonly name: string
    readonly time: bigint
    readonly attributes: Readonly<Record<string, AttributeValue>>
  }>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>
  readonly droppedAttributesCount: number
  /** Events and links past the bound (128 each) are counted here instead of recorded. */
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
}

const kinds: ReadonlyArray<SpanKind> = ["internal", "internal", "server", "client", "producer", "consumer"]
const statuses = ["unset", "ok", "error"] as const

/**
 * @since 0.1.0
 * @category constructors
 * @internal
 */
export const fromRecord = (r: RawRecord): SpanData => ({
  traceId: r.traceId,
  spanId: r.spanId,
  parentSpanId: r.parentSpanId === "" ? undefined : r.parentSpanId,
  name: r.name,
  kind: kinds[r.kind] ?? "internal",
  sampled: (r.traceFlags & 1) === 1,
  traceState: r.traceState,
  startTime: r.startTimeNs,
  endTime: r.endTimeNs,
  durationMillis: Number(r.endTimeNs - r.startTimeNs) / 1e6,
  status: { code: statuses[r.statusCode] ?? "unset", message: r.statusMessage },
  attributes: r.attributes,
  events: r.events.map((e) => ({ name: e.name, time: e.timeNs, attributes: e.attributes })),
  links: r.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
  droppedAttributesCount: r.droppedAttributesCount,
  droppedEventsCount: r.droppedEventsCount,
  droppedLinksCount: r.droppedLinksCount
})

/**
 * Spans whose parent is `parent` (by span id), in start order.
 *
 * @since 0.1.0
 * @category queries
 */
export const childrenOf = (spans: ReadonlyArray<SpanData>, parent: SpanData): Array<SpanData> =>
  spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId)
    .sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0))

/**
 * The spans of each trace that have no parent among the given spans, in start order.
 *
 * @since 0.1.0
 * @category queries
 */
export const roots = (spans: ReadonlyArray<SpanData>): Array<SpanData> => {
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`))
  return spans.filter((s) => s.parentSpanId === undefined || !ids.has(`${s.traceId}/${s.parentSpanId}`))
    .sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0))
}

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
 * @since 0.1.0
 * @category rendering
 */
export const renderTree = (spans: ReadonlyArray<SpanData>): string => {
  const lines: Array<string> = []
  const visit = (span: SpanData, depth: number) => {
    const mark = span.status.code === "error"
      ? `✗ ${span.status.message}`
      : span.attributes["effect.fiber.interrupted"] === true
      ? "⊘ interrupted"
      : "✓"
    const attrs = keyAttributes.filter((k) => k in span.attributes && !span.name.includes(String(span.attributes[k])))
      .map((k) => `${k}=${formatValue(span.attributes[k]!)}`)
    const custom = Object.keys(span.attributes).filter((k) => !standardPrefixes.some((p) => k.startsWith(p))).map((k) => `${k}=${formatValue(span.attributes[k]!)}`)
    const details = [...attrs, ...custom].join(" ")
    lines.push(escapeControls(
      `${"  ".repeat(depth)}${depth === 0 ? "" : "└─ "}${span.name} [${span.kind}] ${span.durationMillis.toFixed(2)} ms ${mark}` +
        (details === "" ? "" : `  ${details}`)
    ))
    for (const child of childrenOf(spans, span)) visit(child, depth + 1)
  }
  for (const root of roots(spans)) {
    // A tree whose top span has a parent elsewhere: continued from another process, or ended after the rest was
    // printed (a late child).
    const continued = root.parentSpanId === undefined ? "" : ` (continued from span ${root.parentSpanId})`
    lines.push(escapeControls(`trace ${root.traceId}${continued}`))
    visit(root, 1)
  }
  return lines.join("\n")
}
