/**
 * The self-contained HTML page: inline CSS, an inline vanilla-JS app, and the traces embedded as JSON in a
 * `<script type="application/json">` element. No external resource of any kind.
 *
 * @since 0.1.0
 */
import { APP, CSS } from "./assets.ts"
import type { Attribute, SpanSet, Trace } from "./model.ts"
import { serviceName } from "./model.ts"

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @since 0.1.0
 * @category escaping
 */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "\"" ? "&quot;" : "&#39;")

/**
 * JSON that is safe inside a `<script>` element: `<`, `>` and `&` (so no `</script`, `<!--` or `-->`) and the
 * line separators U+2028/U+2029 are written as `\u` escapes, which only occur inside JSON strings.
 *
 * @since 0.1.0
 * @category escaping
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

type AttributeTuple = readonly [key: string, type: string, value: string]

const tuples = (list: ReadonlyArray<Attribute>): Array<AttributeTuple> => list.map((a) => [a.key, a.type, a.value])

/** Unix nanoseconds as (fractional) milliseconds for the browser's Date. */
const millis = (ns: bigint): number => Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6

/**
 * The page's data for one trace: times relative to the trace start in nanoseconds (exact as numbers for any
 * trace shorter than 104 days), attributes as [key, type, value] tuples.
 *
 * @since 0.1.0
 * @category data
 */
export const traceJson = (trace: Trace, set: SpanSet) => ({
  id: trace.traceId,
  rootName: trace.root.name,
  service: serviceName(set.resources[trace.root.resource]),
  startMs: millis(trace.start),
  duration: Number(trace.end - trace.start),
  errors: trace.errorCount,
  missingParent: trace.hasMissingParent,
  spans: trace.spans.map(({ childCount, depth, missingParent, span }) => ({
    id: span.spanId,
    parent: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    depth,
    children: childCount,
    missingParent,
    offset: Number(span.start - trace.start),
    duration: Number(span.end - span.start),
    status: span.statusCode,
    statusMessage: span.statusMessage,
    traceState: span.traceState,
    resource: span.resource,
    scope: span.scope,
    attributes: tuples(span.attributes),
    events: span.events.map((e) => ({ name: e.name, offset: Number(e.time - trace.start), attributes: tuples(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: tuples(l.attributes) })),
    dropped: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount]
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PageOptions {
  /** Shown in the header and the title: usually the input file's name. */
  readonly source: string
  readonly title?: string | undefined
}

const SEARCH_ICON =
  `<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><circle cx="7" cy="7" r="5"/><path d="M11 11l3.5 3.5"/></svg>`

/**
 * The page as chunks of text, so a large file can be written without one giant string: the data JSON is
 * one chunk per trace.
 *
 * @since 0.1.0
 * @category rendering
 */
export function* renderPage(set: SpanSet, traces: ReadonlyArray<Trace>, options: PageOptions): Generator<string> {
  if (/<\/script|<!--/i.test(APP) || /<\/style/i.test(CSS)) throw new Error("viewer assets must not close their element")
  const title = options.title ?? `${options.source} · Traces`
  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="effect-oneagent view">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="topbar">
  <div class="brand"><span class="logo" aria-hidden="true">◆</span><span>effect-oneagent</span><span class="sub">Trace viewer</span></div>
  <div class="source mono" id="source">${escapeHtml(options.source)}</div>
  <div class="stats" id="stats"></div>
</header>
<main class="layout">
  <nav class="pane" aria-label="Traces">
    <div class="pane-head">
      <label class="search">${SEARCH_ICON}<input id="search" type="search" placeholder="Search span names, attributes, trace ids…" aria-label="Search traces" autocomplete="off" spellcheck="false"></label>
      <div class="list-tools">
        <span id="trace-count" aria-live="polite"></span>
        <select id="sort" aria-label="Sort traces">
          <option value="start-asc">Oldest first</option>
          <option value="start-desc">Newest first</option>
          <option value="dur-desc">Longest first</option>
          <option value="errors">Errors first</option>
        </select>
      </div>
    </div>
    <div class="scroll"><ul id="trace-list" role="listbox" aria-label="Trace list"></ul></div>
  </nav>
  <section class="pane" aria-label="Waterfall"><div id="trace-view"></div></section>
  <aside class="pane" id="details" aria-label="Span details">
    <div class="pane-head"><h2>Span details</h2></div>
    <div class="scroll"><div class="d-body" id="details-body"></div>
      <div class="d-body hint"><kbd>/</kbd> search · <kbd>↑</kbd><kbd>↓</kbd> move · <kbd>←</kbd><kbd>→</kbd> collapse, expand · <kbd>Enter</kbd> toggle</div>
    </div>
  </aside>
</main>
<script type="application/json" id="trace-data">{"meta":`
  yield scriptJson({
    source: options.source,
    spanCount: traces.reduce((n, t) => n + t.spans.length, 0),
    lines: set.lines,
    malformedLines: set.malformedLines,
    invalidSpans: set.invalidSpans,
    resources: set.resources.map(tuples),
    scopes: set.scopes.map((s) => [s.name, s.version])
  })
  yield `,"traces":[`
  let first = true
  for (const trace of traces) {
    yield (first ? "" : ",") + scriptJson(traceJson(trace, set))
    first = false
  }
  yield `]}</script>
<script>${APP}</script>
</body>
</html>
`
}

/**
 * The whole page as one string (tests, small files).
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderHtml = (set: SpanSet, traces: ReadonlyArray<Trace>, options: PageOptions): string => [...renderPage(set, traces, options)].join("")
