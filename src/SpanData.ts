/**
 * Finished spans as plain data: what the test layer records and what the console sink prints.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/spanData.ts"

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

/**
 * Spans whose parent is `parent` (by span id), in start order.
 *
 * @since 0.1.0
 * @category queries
 */
export const childrenOf: (spans: ReadonlyArray<SpanData>, parent: SpanData) => Array<SpanData> = internal.childrenOf

/**
 * The spans of each trace that have no parent among the given spans, in start order.
 *
 * @since 0.1.0
 * @category queries
 */
export const roots: (spans: ReadonlyArray<SpanData>) => Array<SpanData> = internal.roots

/**
 * Renders spans as one indented tree per trace: name, kind, duration, status and key attributes. Control characters
 * in them are escaped (`\n`, `\u001b`), so each span is one line and nothing reaches the terminal as a command.
 * Linear in the number of spans.
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderTree: (spans: ReadonlyArray<SpanData>) => string = internal.renderTree
