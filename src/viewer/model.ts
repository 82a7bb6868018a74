/**
 * The trace viewer's data model: reading OTLP/JSON lines (one `ExportTraceServiceRequest` per line, as the
 * file sink writes them) into spans, and building each trace's span tree in waterfall order.
 *
 * Everything here is plain data with no dependency on the engine, so it also reads files written by other
 * OTLP/JSON exporters (kinds and status codes as numbers or enum names, ids as hex or base64).
 *
 * @since 0.1.0
 */

/**
 * An attribute as shown: its key, its OTLP value type and its value as text.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attribute {
  readonly key: string
  /** `string`, `int`, `double`, `bool`, `array`, `kvlist`, `bytes` or `empty`. */
  readonly type: string
  readonly value: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SpanEvent {
  readonly name: string
  /** Unix time in nanoseconds. */
  readonly time: bigint
  readonly attributes: ReadonlyArray<Attribute>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SpanLink {
  readonly traceId: string
  readonly spanId: string
  readonly attributes: ReadonlyArray<Attribute>
}

/**
 * One span read from the file, with the resource and scope it was exported under.
 *
 * @since 0.1.0
 * @category models
 */
export interface Span {
  readonly traceId: string
  readonly spanId: string
  /** "" for a root span. */
  readonly parentSpanId: string
  readonly name: string
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly start: bigint
  readonly end: bigint
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number
  readonly statusMessage: string
  readonly flags: number
  readonly traceState: string
  readonly attributes: ReadonlyArray<Attribute>
  readonly events: ReadonlyArray<SpanEvent>
  readonly links: ReadonlyArray<SpanLink>
  readonly droppedAttributesCount: number
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
  /** Index into {@link SpanSet.resources}. */
  readonly resource: number
  /** Index into {@link SpanSet.scopes}. */
  readonly scope: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Scope {
  readonly name: string
  readonly version: string
}

/**
 * What a reader collected: the spans, the distinct resources and scopes they reference, and what was skipped.
 *
 * @since 0.1.0
 * @category models
 */
export interface SpanSet {
  readonly spans: Array<Span>
  readonly resources: Array<ReadonlyArray<Attribute>>
  readonly scopes: Array<Scope>
  /** Non-empty lines read. */
  lines: number
  /** Lines that were not JSON or not an `ExportTraceServiceRequest`. */
  malformedLines: number
  /** Spans inside valid lines that lacked ids or had invalid times. */
  invalidSpans: number
  /** The first few problems, "line N: reason", for the warning. */
  readonly problems: Array<string>
}

/**
 * A span placed in its trace's tree.
 *
 * @since 0.1.0
 * @category models
 */
export interface TreeSpan {
  readonly span: Span
  /** 0 for a root. */
  readonly depth: number
  /** Its parent span id is set but no span of that id is in the file (a remote or lost parent). */
  readonly missingParent: boolean
  readonly childCount: number
}

/**
 * One trace: its spans in waterfall order (depth-first, children by start time).
 *
 * @since 0.1.0
 * @category models
 */
export interface Trace {
  readonly traceId: string
  readonly spans: ReadonlyArray<TreeSpan>
  /** The earliest start of its spans (Unix ns). */
  readonly start: bigint
  /** The latest end of its spans (Unix ns). */
  readonly end: bigint
  /** The root the trace is named after: the earliest span without a parent, else the earliest root. */
  readonly root: Span
  readonly errorCount: number
  /** Some root's parent is not in the file: the trace was continued from a remote (or lost) parent. */
  readonly hasMissingParent: boolean
}

const MAX_PROBLEMS = 5

/**
 * An empty set to read lines into.
 *
 * @since 0.1.0
 * @category constructors
 */
export const emptySpanSet = (): SpanSet => ({
  spans: [],
  resources: [],
  scopes: [],
  lines: 0,
  malformedLines: 0,
  invalidSpans: 0,
  problems: []
})

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const arrayOf = (u: unknown): ReadonlyArray<unknown> => Array.isArray(u) ? u : []

const str = (u: unknown): string => typeof u === "string" ? u : u === undefined || u === null ? "" : String(u)

const HEX = /^[0-9a-fA-F]*$/

/**
 * Normalizes a trace or span id to lowercase hex: OTLP/JSON says hex, but some encoders write base64.
 * An all-zero id is "" (OTLP's "no parent").
 *
 * @since 0.1.0
 * @category parsing
 */
export const normalizeId = (u: unknown, bytes: 8 | 16): string => {
  const s = str(u).trim()
  if (s === "") return ""
  let hex = s.toLowerCase()
  if (!(HEX.test(s) && s.length === bytes * 2) && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const decoded = Buffer.from(s, "base64")
    if (decoded.length === bytes) hex = decoded.toString("hex")
  }
  return /^0+$/.test(hex) ? "" : hex
}

/**
 * Unix nanoseconds from a decimal string (or a number), undefined when not a non-negative integer.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseNanos = (u: unknown): bigint | undefined => {
  if (typeof u === "number") return Number.isFinite(u) && u >= 0 ? BigInt(Math.trunc(u)) : undefined
  if (typeof u === "string" && /^\d+$/.test(u.trim())) return BigInt(u.trim())
  return undefined
}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5
}

const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }

const enumValue = (u: unknown, names: Record<string, number>, max: number): number => {
  const n = typeof u === "number" ? u : typeof u === "string" ? (names[u] ?? Number(u)) : 0
  return Number.isInteger(n) && n >= 0 && n <= max ? n : 0
}

interface Decoded {
  readonly type: string
  readonly text: string
}

const quote = (d: Decoded): string => d.type === "string" ? JSON.stringify(d.text) : d.text

const decodeAnyValue = (u: unknown, depth = 0): Decoded => {
  if (!isObject(u)) return { type: "empty", text: "" }
  if (depth > 16) return { type: "array", text: "…" }
  if ("stringValue" in u) return { type: "string", text: str(u.stringValue) }
  if ("intValue" in u) return { type: "int", text: str(u.intValue) }
  if ("doubleValue" in u) return { type: "double", text: str(u.doubleValue) }
  if ("boolValue" in u) return { type: "bool", text: String(u.boolValue === true || u.boolValue === "true") }
  if ("arrayValue" in u) {
    const values = arrayOf(isObject(u.arrayValue) ? u.arrayValue.values : undefined)
    return { type: "array", text: `[${values.map((v) => quote(decodeAnyValue(v, depth + 1))).join(", ")}]` }
  }
  if ("kvlistValue" in u) {
    const values = arrayOf(isObject(u.kvlistValue) ? u.kvlistValue.values : undefined)
    const parts = values.filter(isObject).map((kv) => `${JSON.stringify(str(kv.key))}: ${quote(decodeAnyValue(kv.value, depth + 1))}`)
    return { type: "kvlist", text: `{${parts.join(", ")}}` }
  }
  if ("bytesValue" in u) return { type: "bytes", text: str(u.bytesValue) }
  return { type: "empty", text: "" }
}

/**
 * OTLP/JSON `KeyValue`s as displayable attributes (malformed entries are left out).
 *
 * @since 0.1.0
 * @category parsing
 */
export const decodeAttributes = (u: unknown): Array<Attribute> => {
  const out: Array<Attribute> = []
  for (const kv of arrayOf(u)) {
    if (!isObject(kv) || typeof kv.key !== "string") continue
    const d = decodeAnyValue(kv.value)
    out.push({ key: kv.key, type: d.type, value: d.text })
  }
  return out
}

const problem = (set: SpanSet, text: string): void => {
  if (set.problems.length < MAX_PROBLEMS) set.problems.push(text)
}

/**
 * Reads one line of the file into the set. Blank lines are ignored; a line that is not an OTLP/JSON
 * `ExportTraceServiceRequest` counts as malformed; a span without ids or with invalid times counts as invalid.
 *
 * @since 0.1.0
 * @category parsing
 */
export const addLine = (set: SpanSet, line: string, lineNumber: number = set.lines + 1): void => {
  const text = line.trim()
  if (text === "") return
  set.lines++
  let request: unknown
  try {
    request = JSON.parse(text)
  } catch (error) {
    set.malformedLines++
    problem(set, `line ${lineNumber}: not JSON (${(error as Error).message})`)
    return
  }
  if (!isObject(request) || !Array.isArray(request.resourceSpans)) {
    set.malformedLines++
    problem(set, `line ${lineNumber}: no resourceSpans array`)
    return
  }
  for (const rs of request.resourceSpans) {
    if (!isObject(rs)) continue
    const resourceAttributes = decodeAttributes(isObject(rs.resource) ? rs.resource.attributes : undefined)
    const resource = internResource(set, resourceAttributes)
    for (const ss of arrayOf(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      if (!isObject(ss)) continue
      const scopeObject = isObject(ss.scope) ? ss.scope : isObject(ss.instrumentationLibrary) ? ss.instrumentationLibrary : {}
      const scope = internScope(set, { name: str(scopeObject.name), version: str(scopeObject.version) })
      for (const s of arrayOf(ss.spans)) {
        const span = decodeSpan(s, resource, scope)
        if (typeof span === "string") {
          set.invalidSpans++
          problem(set, `line ${lineNumber}: span skipped, ${span}`)
        } else {
          set.spans.push(span)
        }
      }
    }
  }
}

// Resources and scopes are deduplicated across lines by their content.
const resourceKeys = new WeakMap<SpanSet, Map<string, number>>()

const internResource = (set: SpanSet, attributes: ReadonlyArray<Attribute>): number => {
  let keys = resourceKeys.get(set)
  if (keys === undefined) resourceKeys.set(set, keys = new Map())
  const key = JSON.stringify(attributes)
  let index = keys.get(key)
  if (index === undefined) {
    index = set.resources.length
    set.resources.push(attributes)
    keys.set(key, index)
  }
  return index
}

const scopeKeys = new WeakMap<SpanSet, Map<string, number>>()

const internScope = (set: SpanSet, scope: Scope): number => {
  let keys = scopeKeys.get(set)
  if (keys === undefined) scopeKeys.set(set, keys = new Map())
  const key = `${scope.name}\u0000${scope.version}`
  let index = keys.get(key)
  if (index === undefined) {
    index = set.scopes.length
    set.scopes.push(scope)
    keys.set(key, index)
  }
  return index
}

const decodeSpan = (s: unknown, resource: number, scope: number): Span | string => {
  if (!isObject(s)) return "not an object"
  const traceId = normalizeId(s.traceId, 16)
  const spanId = normalizeId(s.spanId, 8)
  if (traceId === "") return "no traceId"
  if (spanId === "") return "no spanId"
  const start = parseNanos(s.startTimeUnixNano)
  if (start === undefined) return `invalid startTimeUnixNano in span ${spanId}`
  const endRaw = parseNanos(s.endTimeUnixNano)
  // A span without an end (or ending before it starts) is shown as an instant.
  const end = endRaw === undefined || endRaw < start ? start : endRaw
  const status = isObject(s.status) ? s.status : {}
  const events: Array<SpanEvent> = []
  for (const e of arrayOf(s.events)) {
    if (!isObject(e)) continue
    events.push({ name: str(e.name), time: parseNanos(e.timeUnixNano) ?? start, attributes: decodeAttributes(e.attributes) })
  }
  const links: Array<SpanLink> = []
  for (const l of arrayOf(s.links)) {
    if (!isObject(l)) continue
    links.push({ traceId: normalizeId(l.traceId, 16), spanId: normalizeId(l.spanId, 8), attributes: decodeAttributes(l.attributes) })
  }
  return {
    traceId,
    spanId,
    parentSpanId: normalizeId(s.parentSpanId, 8),
    name: str(s.name),
    kind: enumValue(s.kind, KIND_NAMES, 5),
    start,
    end,
    statusCode: enumValue(status.code, STATUS_NAMES, 2),
    statusMessage: str(status.message),
    flags: typeof s.flags === "number" ? s.flags : 0,
    traceState: str(s.traceState),
    attributes: decodeAttributes(s.attributes),
    events,
    links,
    droppedAttributesCount: Number(s.droppedAttributesCount ?? 0) || 0,
    droppedEventsCount: Number(s.droppedEventsCount ?? 0) || 0,
    droppedLinksCount: Number(s.droppedLinksCount ?? 0) || 0,
    resource,
    scope
  }
}

/**
 * Reads a whole text (all lines) into a new set.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseText = (text: string): SpanSet => {
  const set = emptySpanSet()
  let n = 0
  for (const line of text.split(/\r?\n/)) {
    n++
    addLine(set, line, n)
  }
  return set
}

const byStart = (a: Span, b: Span): number => a.start < b.start ? -1 : a.start > b.start ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0

/**
 * Groups spans into traces and orders each trace's spans depth-first, children by start time. A span whose
 * parent is not in the file is a root (marked `missingParent`); a span seen twice keeps its last copy; a
 * parent cycle (malformed data) is broken at its earliest span. Traces are ordered by start time.
 *
 * @since 0.1.0
 * @category trees
 */
export const buildTraces = (spans: ReadonlyArray<Span>): Array<Trace> => {
  const byTrace = new Map<string, Map<string, Span>>()
  for (const span of spans) {
    let trace = byTrace.get(span.traceId)
    if (trace === undefined) byTrace.set(span.traceId, trace = new Map())
    trace.set(span.spanId, span)
  }
  const traces: Array<Trace> = []
  for (const [traceId, members] of byTrace) traces.push(buildTrace(traceId, members))
  traces.sort((a, b) => a.start < b.start ? -1 : a.start > b.start ? 1 : a.traceId < b.traceId ? -1 : 1)
  return traces
}

const buildTrace = (traceId: string, members: Map<string, Span>): Trace => {
  const children = new Map<string, Array<Span>>()
  const roots: Array<Span> = []
  for (const span of members.values()) {
    const parent = span.parentSpanId
    if (parent !== "" && parent !== span.spanId && members.has(parent)) {
      let list = children.get(parent)
      if (list === undefined) children.set(parent, list = [])
      list.push(span)
    } else {
      roots.push(span)
    }
  }
  for (const list of children.values()) list.sort(byStart)
  roots.sort(byStart)
  const ordered: Array<TreeSpan> = []
  const visited = new Set<string>()
  const walk = (root: Span): void => {
    // Iterative depth-first walk: traces can be deeper than the call stack.
    const stack: Array<{ span: Span; depth: number }> = [{ span: root, depth: 0 }]
    while (stack.length > 0) {
      const { depth, span } = stack.pop()!
      if (visited.has(span.spanId)) continue
      visited.add(span.spanId)
      const kids = children.get(span.spanId) ?? []
      ordered.push({
        span,
        depth,
        missingParent: depth === 0 && span.parentSpanId !== "" && !members.has(span.parentSpanId),
        childCount: kids.length
      })
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 })
    }
  }
  for (const root of roots) walk(root)
  if (visited.size < members.size) {
    // Spans in a parent cycle are reachable from no root: start at the earliest unvisited one.
    const rest = [...members.values()].filter((s) => !visited.has(s.spanId)).sort(byStart)
    for (const span of rest) walk(span)
  }
  let start = ordered[0]!.span.start
  let end = ordered[0]!.span.end
  let errorCount = 0
  for (const { span } of ordered) {
    if (span.start < start) start = span.start
    if (span.end > end) end = span.end
    if (span.statusCode === 2) errorCount++
  }
  const rootNodes = ordered.filter((t) => t.depth === 0)
  const root = (rootNodes.find((t) => t.span.parentSpanId === "") ?? rootNodes[0]!).span
  return {
    traceId,
    spans: ordered,
    start,
    end,
    root,
    errorCount,
    hasMissingParent: rootNodes.some((t) => t.missingParent)
  }
}

/**
 * The `service.name` of a resource, "" when it has none.
 *
 * @since 0.1.0
 * @category trees
 */
export const serviceName = (resource: ReadonlyArray<Attribute> | undefined): string =>
  resource?.find((a) => a.key === "service.name")?.value ?? ""
