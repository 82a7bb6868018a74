/**
 * The span core, the one way every span goes through the engine, whoever starts it (the tracer families, the Effect
 * Tracer bridge, the http middleware, the test layer): start it from the fiber's parent (or an incoming tag, or an
 * in-process link) with the sampling decision, record attributes, a status, events and links on it while it is
 * open, and end it from an Exit. Every engine status becomes a report (diagnostics.ts); nothing here throws into the
 * application unless the strict test layer asks for it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type { AttributeValue } from "./addon.ts"
import { clip, truncatedKey } from "./attributes.ts"
import { Counter, Limit, StartFlag, Status } from "./codes.ts"
import { describeFailure, misuse, notify, report } from "./diagnostics.ts"
import { type Engine, keyId, KeysFull, maxKeys } from "./engine.ts"
import type { Runtime } from "./runtime.ts"
import * as Sampling from "./sampling.ts"
import { redactFailureText } from "./redaction.ts"
import { currentSpanOf, SpanRef, unsampledOf } from "./spanRef.ts"
import { genericTemplate, type Template, templateId } from "./templates.ts"
import * as TraceContext from "./traceContext.ts"

/** @internal What a span starts from besides its parent. */
export interface StartOptions {
  readonly template: Template
  /** An incoming tag: W3C traceparent (also from X-dynaTrace) ... */
  readonly stringTag?: string | undefined
  /** ... or its binary form. Both at once is misuse: both are ignored. */
  readonly byteTag?: Uint8Array | undefined
  readonly traceState?: string | undefined
  /** An in-process link to continue: the reference of the span it was created in. */
  readonly link?: SpanRef | undefined
  /** Per-span attributes as [key, value, limit] triples, set right after the start. */
  readonly attributes?: ReadonlyArray<AttributeValue> | undefined
  /** Where the tracer was created in the application, when open-span tracking is on. */
  readonly site?: Error | undefined
  /** Problems with per-span arguments, reported as misuse when the span starts. */
  readonly problems?: ReadonlyArray<string> | undefined
  /** The caller needs an engine span even when it is unsampled (an Effect span object wraps it). */
  readonly needsHandle?: boolean | undefined
}

/**
 * The second parent a span may have in a fiber besides the SDK's current span: Effect's current span, an engine
 * span (the reference itself) or a span that came in over HTTP (its `traceparent`, continued as a tag).
 *
 * @internal
 */
export type EffectParent = SpanRef | string | undefined

/** @internal Effect's current span as a parent (see {@link EffectParent}). */
export const effectParent = (span: unknown): EffectParent => {
  if (span === undefined) return undefined
  if (span instanceof SpanRef) return span.handle > 0 ? span : undefined
  const external = span as { _tag?: unknown; traceId?: unknown; spanId?: unknown; sampled?: unknown }
  if (external._tag === "ExternalSpan" && typeof external.traceId === "string" && typeof external.spanId === "string" &&
    /^[0-9a-f]{32}$/.test(external.traceId) && /^[0-9a-f]{16}$/.test(external.spanId)) {
    return TraceContext.formatTraceparent(external.traceId, external.spanId, external.sampled === true ? 1 : 0)
  }
  return undefined
}

/**
 * The fast path of {@link start}, before any span exists: the sampling decision when there is nothing to report. A
 * reference is an unsampled span's, for the caller to run its effect in; otherwise the caller starts the span with
 * {@link start}, passing the decision on (undefined: there is something to report, so `start` decides).
 *
 * @internal
 */
export const decideFast = (
  runtime: Runtime,
  parent: SpanRef | undefined,
  options: StartOptions,
  effect: EffectParent
): Sampling.Decision | undefined => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed || runtime.released) return undefined
  if (options.problems !== undefined || options.template.problems.length > 0) return undefined
  const { byteTag, stringTag } = options
  if (byteTag !== undefined && stringTag !== undefined) return undefined
  return decision(runtime, engine, parent, options, continuedTag(stringTag ?? byteTag, parent, effect), effect)
}

const decision = (
  runtime: Runtime,
  engine: Engine,
  parent: SpanRef | undefined,
  options: StartOptions,
  tag: string | Uint8Array | undefined,
  effect: EffectParent
): Sampling.Decision => {
  if (options.needsHandle === true) return Sampling.EngineDecides
  const requireParent = (options.template.flags & StartFlag.RequireParent) !== 0
  const link = options.link
  if (link === undefined) {
    const traceState = TraceContext.validTraceState(options.traceState)
    return Sampling.decide(runtime, engine, parent, tag, traceState, requireParent, effect !== undefined)
  }
  // A link names its span; one to an unsampled span kept without the engine continues its ids as a tag would.
  return link.handle > 0
    ? Sampling.EngineDecides
    : Sampling.decide(runtime, engine, undefined, link.traceparent, link.traceState, requireParent, false)
}

// The tag a span continues: its own incoming tag; else, with no SDK parent, the remote context of Effect's current
// span (one that came in over HTTP).
const continuedTag = (
  tag: string | Uint8Array | undefined,
  parent: SpanRef | undefined,
  effect: EffectParent
): string | Uint8Array | undefined => tag !== undefined ? tag : typeof effect === "string" && parent === undefined ? effect : undefined

/**
 * Makes the reference of a span the engine started, from the ids it published: a plain {@link SpanRef}, or an object
 * that is one (an Effect span), so a start allocates one object. `arg` is what the caller passed along with it.
 *
 * @internal
 */
export type MakeRef<X> = (handle: number, order: number, ids: Int32Array, traceState: string, arg: X) => SpanRef

const plainRef: MakeRef<unknown> = (handle, order, ids, traceState) => new SpanRef(handle, order, ids, traceState)

/**
 * Starts a span under `parent` (the fiber's current span) and, when Effect's current span is an engine span too,
 * under the inner of the two. Returns its reference (made by `make`, with `arg`), the reference of an unsampled span
 * kept without the engine (a child of one is its parent's), or undefined when none was created (tracing off, by
 * rule, or on an error already reported).
 *
 * @internal
 */
export const start = <X = undefined>(
  runtime: Runtime,
  parent: SpanRef | undefined,
  options: StartOptions,
  operation: string,
  effect: EffectParent = undefined,
  decided?: Sampling.Decision,
  make: MakeRef<X> = plainRef as MakeRef<X>,
  arg?: X
): SpanRef | undefined => {
  const engine = runtime.engine
  if (engine === undefined) {
    if (runtime.ignoreReason !== undefined) notify(runtime, "diagnostic", `${operation}: ${runtime.ignoreReason}`)
    return undefined
  }
  if (runtime.released || engine.closed) {
    report(runtime, Status.ShutDown, operation)
    return undefined
  }
  const addon = engine.addon
  let t = options.template
  for (const problem of t.problems) misuse(runtime, `${operation}: ${problem}`)
  if (options.problems !== undefined) for (const problem of options.problems) misuse(runtime, `${operation}: ${problem}`)
  let id = templateId(engine, t)
  const fallback = id <= 0
  if (fallback) id = templateId(engine, t = genericTemplate(t.kind, t.flags))
  engine.counters[Counter.LastNote] = 0
  const tag = continuedTag(incomingTag(runtime, options, operation), parent, effect)
  const decided_ = decided ?? decision(runtime, engine, parent, options, tag, effect)
  if (decided_ instanceof SpanRef) return decided_
  // Of the SDK's and Effect's current spans (both engine spans on one chain), the inner one is the parent.
  const local = typeof effect === "object" && (parent === undefined || effect.order > parent.order) ? effect : parent
  let handle: number
  let traceState: string
  if (options.link !== undefined) {
    traceState = options.link.traceState
    handle = startUnder(engine, options.link, id)
  } else if (tag !== undefined || (local !== undefined && local.handle === 0)) {
    // An incoming tag, or an unsampled parent kept without the engine that the engine must continue (the strict
    // layer, an Effect span): started as a continuation of the tag, inside the local span it runs in.
    // (A tag of the wrong type from an untyped caller goes to the engine too, which reports it as malformed.)
    const continued = tag !== undefined ? tag : local!.traceparent
    traceState = tag !== undefined ? TraceContext.validTraceState(options.traceState) : local!.traceState
    handle = addon.span_start_tagged(local !== undefined ? local.handle : 0, id, continued, traceState)
  } else if (local !== undefined) {
    traceState = local.traceState
    handle = startUnder(engine, local, id)
  } else {
    traceState = ""
    handle = addon.span_start(0, id, decided_ === Sampling.SampledRoot ? 1 : 0)
  }
  const note = engine.counters[Counter.LastNote]!
  if (note !== 0) report(runtime, note, operation)
  if (handle <= 0) {
    report(runtime, handle, operation)
    return undefined
  }
  const ref = make(handle, engine.counters[Counter.LastOrder]!, engine.ids, traceState, arg as X)
  if (tag !== undefined && local !== undefined && local.handle > 0 && note === 0) {
    // A tag took the span out of the local span it runs in (a message processed inside the receive that got it):
    // a link keeps the way back to it.
    addon.span_link(handle, local.traceparent, [])
  }
  if (fallback) {
    addon.span_name(handle, options.template.name)
    setAttributes(runtime, engine, handle, options.template.attributes)
  }
  if (options.attributes !== undefined) setAttributes(runtime, engine, handle, options.attributes)
  if (runtime.starts !== undefined) runtime.starts.set(handle, runtime.captureSites ? options.site ?? new Error() : undefined)
  runtime.recorded?.add(ref.spanId)
  return ref
}

// A child of `parent`, also when the engine has reused its slot (the parent ended long ago): then the child
// continues the parent's ids, which the reference kept.
const startUnder = (engine: Engine, parent: SpanRef, template: number): number => {
  const handle = parent.handle > 0 ? engine.addon.span_start(parent.handle, template, 0) : Status.StaleParent
  return handle === Status.StaleParent
    ? engine.addon.span_start_tagged(0, template, parent.traceparent, parent.traceState)
    : handle
}

const incomingTag = (runtime: Runtime, options: StartOptions, operation: string): string | Uint8Array | undefined => {
  const { byteTag, stringTag } = options
  if (stringTag === undefined) return byteTag
  if (byteTag === undefined) return stringTag
  misuse(runtime, `${operation}: both a string and a byte tag were given; both are ignored`)
  return undefined
}

/**
 * The engine for a call on an existing span: undefined when tracing is off, or (reported) when the engine that made
 * the handle was shut down. Its handles must never reach a newer engine, where the same number can name another span.
 *
 * @internal
 */
export const engineOf = (runtime: Runtime, operation: string): Engine | undefined => {
  const engine = runtime.engine
  if (engine === undefined) return undefined
  if (engine.closed) {
    report(runtime, Status.ShutDown, operation)
    return undefined
  }
  return engine
}

let interruptedKey = -1
let interruptedEpoch = -1

/**
 * Ends a span from an Exit: a failure (typed error or defect) marks it failed with an exception event; an
 * interruption is not a failure and sets `effect.fiber.interrupted`.
 *
 * @internal
 */
export const end = (runtime: Runtime, handle: number, exit: Exit.Exit<unknown, unknown>, operation: string): void => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  const addon = engine.addon
  if (exit._tag === "Failure") {
    const cause = exit.cause
    if (Cause.hasInterrupts(cause)) {
      if (interruptedEpoch !== engine.epoch) {
        interruptedKey = keyId(engine, "effect.fiber.interrupted")
        interruptedEpoch = engine.epoch
      }
      addon.span_attr(handle, interruptedKey, true)
    }
    if (!Cause.hasInterruptsOnly(cause)) {
      const failure = describeFailure(Cause.squash(cause))
      // Failure text quotes what failed: a URL with its credentials (fetch's TypeError), a signed query.
      const redacts = runtime.data.redacts
      addon.span_fail(
        handle,
        failure.type,
        redactFailureText(failure.message, Limit.Long, redacts),
        redactFailureText(failure.stack, 4 * Limit.Long, redacts)
      )
    }
  }
  runtime.starts?.delete(handle)
  report(runtime, addon.span_end(handle), operation)
}

/** @internal Sets a status without an exception event (HTTP error codes). */
export const setStatus = (runtime: Runtime, handle: number, code: 0 | 1 | 2, message: string, operation: string) => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  report(runtime, engine.addon.span_status(handle, code, message), operation)
}

/** @internal Sets an attribute on an open span, with the string limit of its key. */
export const setAttribute = (
  runtime: Runtime,
  handle: number,
  key: string,
  value: AttributeValue,
  operation: string,
  limit: number = Limit.Default
): void => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  const id = attributeKey(runtime, engine, key)
  if (id === KeysFull) return
  report(runtime, engine.addon.span_attr(handle, id, value, limit), operation)
  // The engine cuts a long key as it cuts a long value; the cut is marked the same way.
  const kept = clip(key, Limit.Default)
  if (kept !== key) engine.addon.span_attr(handle, keyId(engine, truncatedKey), kept, Limit.Default)
}

/** @internal Sets [key, value, limit] triples right after a start. */
export const setAttributes = (
  runtime: Runtime,
  engine: Engine,
  handle: number,
  triples: ReadonlyArray<AttributeValue>
): void => {
  for (let i = 0; i + 2 < triples.length; i += 3) {
    const id = attributeKey(runtime, engine, triples[i] as string)
    if (id !== KeysFull) engine.addon.span_attr(handle, id, triples[i + 1]!, triples[i + 2] as number)
  }
}

/**
 * The interned id of an attribute key, or {@link KeysFull}: then the attribute is dropped, counted with the dropped
 * attributes, and reported once per engine.
 *
 * @internal
 */
export const attributeKey = (runtime: Runtime, engine: Engine, key: string): number => {
  const id = keyId(engine, key)
  if (id === KeysFull) {
    engine.counters[Counter.DroppedAttributes]!++
    if (!keysFullReported.has(engine)) {
      keysFullReported.add(engine)
      notify(runtime, "diagnostic", `${maxKeys.toLocaleString("en-US")} distinct header and parameter names are ` +
        `recorded: attributes with new ones are dropped (set captureHeaders to the headers you need)`)
    }
  }
  return id
}

const keysFullReported = new WeakSet<Engine>()

/**
 * The innermost current span of a fiber: the SDK's current span or Effect's current span, whichever started later
 * (they lie on one chain). Undefined outside any trace or when tracing is off.
 *
 * @internal
 */
export const innermost = (runtime: Runtime, fiber: Fiber.Fiber<unknown, unknown>): SpanRef | undefined => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed) return undefined
  const sdk = currentSpanOf(fiber)
  const span = fiber.cache.span
  const effect = span instanceof SpanRef && span.handle > 0 ? span : undefined
  if (effect === undefined) return sdk
  return sdk === undefined || effect.order > sdk.order ? effect : sdk
}

/**
 * The tag the current span sends on, "" outside a trace: an engine span's traceparent, or for an unsampled span kept
 * without the engine its trace with a new span id (the downstream's parent). A current span that has ended (a fiber
 * that outlived it) still gives its own context, so what it calls joins the trace.
 *
 * @internal
 */
export const currentTag = (runtime: Runtime, ref: SpanRef | undefined, operation: string): string => {
  if (ref === undefined) return ""
  const engine = engineOf(runtime, operation)
  if (engine === undefined) return ""
  if (ref.handle === 0) return unsampledTag(engine, ref)
  const tag = engine.addon.span_tag(ref.handle)
  return typeof tag === "string" ? tag : ref.traceparent
}

/**
 * The tag of a tracer's own span, "" when there is none: reading it after the span ended is misuse (reported), as
 * the seed has it.
 *
 * @internal
 */
export const ownTag = (runtime: Runtime, ref: SpanRef, operation: string): string => {
  const engine = engineOf(runtime, operation)
  if (engine === undefined) return ""
  if (ref.handle === 0) return unsampledTag(engine, ref)
  const tag = engine.addon.span_tag(ref.handle)
  if (typeof tag === "string") return tag
  report(runtime, tag, operation)
  return ""
}

const unsampledTag = (engine: Engine, ref: SpanRef): string => {
  const spanId = engine.addon.span_id_hex()
  return typeof spanId === "string" ? TraceContext.formatTraceparent(ref.traceId, spanId, ref.flags) : ""
}

/** @internal A parsed unsampled context from a traceparent, for callers outside a start (http middleware). */
export const unsampledContext = (engine: Engine, traceparent: string, traceState: string): SpanRef | undefined =>
  unsampledOf(traceparent, traceState, engine.counters)
