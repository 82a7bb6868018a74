/**
 * The two forms every tracer is offered in, built on the same start/end rules (runtime.ts):
 * a scoped resource that becomes the current span for the rest of its scope, and a combinator that
 * wraps one effect (cheaper: no Scope, one context update).
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Messaging from "../Messaging.ts"
import * as WebRequest from "../WebRequest.ts"
import type { AttributeValue } from "./addon.ts"
import { Status } from "./codes.ts"
import {
  captureSite,
  decideUnsampled,
  CurrentSpan,
  defaultDataSettings,
  endWithExit,
  engineOf,
  misuse,
  report,
  type Runtime,
  safeString,
  setAttribute,
  setStatus,
  start,
  type StartOptions
} from "./runtime.ts"
import { effectParent } from "./effectSpan.ts"
import { AttributeList } from "./templates.ts"
import * as Unsampled from "./unsampled.ts"
import { addHeaders, isFailure } from "./web.ts"

/**
 * A started span as the scoped API returns it. One small object per scoped tracer; the combinator form
 * creates none.
 *
 * @internal
 */
export class TracerImpl {
  readonly _tag: string
  readonly runtime: Runtime
  readonly handle: number
  readonly operation: string
  /** An unsampled span kept without the engine (handle 0): its context, for the tags it sends. */
  readonly unsampled: string
  /** The current span before this one started: current again once this one ends. */
  readonly parent: number | string
  endedExplicitly = false

  constructor(tag: string, runtime: Runtime, started: number | string, operation: string, parent: number | string) {
    this._tag = tag
    this.runtime = runtime
    this.handle = typeof started === "number" ? started : 0
    this.unsampled = typeof started === "string" ? started : ""
    this.operation = operation
    this.parent = parent
  }

  // What the fiber's CurrentSpan holds while this span is current: its handle, or an unsampled span's context.
  private get current(): number | string {
    return this.handle > 0 ? this.handle : this.unsampled
  }

  // After an explicit end, later spans of this fiber are no longer its children (as after the scope's close).
  private restoreParent(fiber: Fiber.Fiber<unknown, unknown>): void {
    const self = this.current
    if (self !== "" && fiber.getRef(CurrentSpan) === self) {
      fiber.setContext(Context.add(fiber.context, CurrentSpan, this.parent))
    }
  }

  /**
   * For an unsampled span kept without the engine: whether it is still open, reporting a use after `end` as
   * the engine does for its spans.
   */
  private unsampledOpen(method: string): boolean {
    if (this.endedExplicitly) report(this.runtime, Status.AlreadyEnded, `${this.operation}.${method}`)
    return !this.endedExplicitly
  }

  /** The tag an unsampled span sends, or "" (reported) after its end or the SDK's shutdown. */
  private unsampledTag(method: string): string {
    if (!this.unsampledOpen(method)) return ""
    const engine = engineOf(this.runtime, `${this.operation}.${method}`)
    return engine === undefined ? "" : Unsampled.childTag(engine, this.unsampled)
  }

  get end(): Effect.Effect<void> {
    return Effect.withFiber((fiber) => {
      if (this.unsampled !== "") {
        if (this.unsampledOpen("end")) {
          this.endedExplicitly = true
          this.restoreParent(fiber)
        }
        return Effect.void
      }
      const engine = this.handle > 0 ? engineOf(this.runtime, `${this.operation}.end`) : undefined
      if (engine === undefined) return Effect.void
      const first = !this.endedExplicitly
      this.endedExplicitly = true
      this.runtime.starts?.delete(this.handle)
      report(this.runtime, engine.addon.span_end(this.handle), `${this.operation}.end`)
      if (first) this.restoreParent(fiber)
      return Effect.void
    })
  }

  markFailed(type: string, message: string): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.unsampled !== "") return void this.unsampledOpen("markFailed")
      const engine = this.handle > 0 ? engineOf(this.runtime, `${this.operation}.markFailed`) : undefined
      if (engine === undefined) return
      const status = engine.addon.span_fail(this.handle, safeString(type), safeString(message), "")
      report(this.runtime, status, `${this.operation}.markFailed`)
    })
  }

  get outgoingStringTag(): Effect.Effect<string> {
    return Effect.sync(() => {
      if (this.unsampled !== "") return this.unsampledTag("outgoingStringTag")
      const engine = this.handle > 0 ? engineOf(this.runtime, `${this.operation}.outgoingStringTag`) : undefined
      if (engine === undefined) return ""
      const tag = engine.addon.span_tag(this.handle)
      if (typeof tag === "string") return tag
      report(this.runtime, tag, `${this.operation}.outgoingStringTag`)
      return ""
    })
  }

  get outgoingByteTag(): Effect.Effect<Uint8Array> {
    return Effect.sync(() => {
      if (this.unsampled !== "") {
        const tag = this.unsampledTag("outgoingByteTag")
        return tag === "" ? new Uint8Array(0) : Unsampled.binaryTag(tag)
      }
      const engine = this.handle > 0 ? engineOf(this.runtime, `${this.operation}.outgoingByteTag`) : undefined
      if (engine === undefined) return new Uint8Array(0)
      const tag = engine.addon.span_tag_bytes(this.handle)
      if (typeof tag !== "number") return tag
      report(this.runtime, tag, `${this.operation}.outgoingByteTag`)
      return new Uint8Array(0)
    })
  }

  /** Sets an attribute while the tracer is open (misuse after it ended). */
  attribute(key: string, value: AttributeValue, method: string, limit?: number): Effect.Effect<void> {
    return Effect.sync(() => setAttribute(this.runtime, this.handle, key, value, `${this.operation}.${method}`, limit))
  }

  setRowsReturned(rows: number): Effect.Effect<void> {
    return this.attribute("db.response.returned_rows", rows, "setRowsReturned")
  }

  setRoundTripCount(count: number): Effect.Effect<void> {
    return this.attribute("oneagent.db.round_trip_count", count, "setRoundTripCount")
  }

  setVendorMessageId(id: string): Effect.Effect<void> {
    return this.attribute("messaging.message.id", id, "setVendorMessageId")
  }

  setCorrelationId(id: string): Effect.Effect<void> {
    return this.attribute("messaging.message.conversation_id", id, "setCorrelationId")
  }

  setStatusCode(code: number): Effect.Effect<void> {
    return Effect.sync(() => setStatusCodeUnsafe(this.runtime, this.handle, code, this._tag, this.operation))
  }

  addResponseHeaders(headers: WebRequest.Headers): Effect.Effect<void> {
    return Effect.sync(() => addResponseHeadersUnsafe(this.runtime, this.handle, headers, this.operation))
  }

  addParameter(name: string, value: string): Effect.Effect<void> {
    return this.attribute(`oneagent.web.parameter.${safeString(name)}`, safeString(value), "addParameter")
  }

  get outgoingHeaders(): Effect.Effect<Readonly<Record<string, string>>> {
    return Effect.map(this.outgoingStringTag, (tag) =>
      tagCarrier(tag, currentTraceState(this.runtime, this.current), webTagNames))
  }

  get outgoingProperties(): Effect.Effect<Readonly<Record<string, string>>> {
    return Effect.map(this.outgoingStringTag, (tag) =>
      tagCarrier(tag, currentTraceState(this.runtime, this.current), messageTagNames))
  }

  /** Ends from the scope's Exit unless `end` was called already. */
  close(exit: Exit.Exit<unknown, unknown>): void {
    if (this.handle <= 0 || this.endedExplicitly) return
    endWithExit(this.runtime, this.handle, exit, this.operation)
  }
}

/**
 * Starts a tracer as a scoped resource: it becomes the current span of this fiber for the rest of the
 * scope, and ends (restoring the previous current span) when the scope closes.
 *
 * @internal
 */
export const scoped = <T>(
  runtime: Runtime,
  tag: string,
  operation: string,
  options: StartOptions,
  site: Error | undefined = captureSite()
): Effect.Effect<T, never, Scope.Scope> => {
  const startOptions = site === undefined ? options : { ...options, site }
  return Effect.uninterruptible(Effect.withFiber((fiber) => {
    const parent = fiber.getRef(CurrentSpan)
    const started = start(runtime, parent, startOptions, operation, effectParent(fiber.cache.span))
    const tracer = new TracerImpl(tag, runtime, started, operation, parent)
    if (started === 0 || started === parent) return Effect.succeed(tracer as T)
    const scope = Context.getUnsafe(fiber.context, Scope.Scope)
    fiber.setContext(Context.add(fiber.context, CurrentSpan, started))
    return Effect.as(
      Scope.addFinalizerExit(scope, (exit) =>
        Effect.withFiber((closing) => {
          tracer.close(exit)
          if (closing.getRef(CurrentSpan) === started) {
            closing.setContext(Context.add(closing.context, CurrentSpan, parent))
          }
          return Effect.void
        })),
      tracer as T
    )
  }))
}

/**
 * Wraps an effect in a span: started before it runs, current span while it runs, ended with its Exit.
 * The finalizer is registered before the span starts, so an interruption at any point still ends it.
 *
 * @internal
 */
export const traced = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  runtimeOf: (context: Context.Context<never>) => Runtime,
  operation: string,
  options: StartOptions,
  onSuccess?: (runtime: Runtime, handle: number, value: A) => void
): Effect.Effect<A, E, R> => {
  const site = captureSite()
  const startOptions = site === undefined ? options : { ...options, site }
  return Effect.withFiber((fiber) => {
    const runtime = runtimeOf(fiber.context)
    const parent = fiber.getRef(CurrentSpan)
    const effectSpan = effectParent(fiber.cache.span)
    // Unsampled: no span to start or end. A child stays in its parent's context; a new context is only provided.
    const decided = decideUnsampled(runtime, parent, startOptions, effectSpan)
    if (typeof decided === "string") {
      return decided === parent ? self : Effect.provideService(self, CurrentSpan, decided)
    }
    let handle = 0
    let outer: Context.Context<never> | undefined
    return Effect.onExitPrimitive(
      // Started inside, so that an interruption at any point after the start still ends the span.
      Effect.withFiber<A, E, R>((current) => {
        const started = start(runtime, parent, startOptions, operation, effectSpan, decided)
        // Nothing started, or an unsampled child that stays in its parent's context: nothing to set or end.
        if (started === 0 || started === parent) return self
        if (typeof started === "number") handle = started
        // Set here and restored by the onExit below (as Effect.provideService would restore it), without the
        // extra frames and closures provideService builds per call.
        outer = current.context
        current.setContext(Context.add(outer, CurrentSpan, started))
        return self
      }),
      (exit) => {
        if (outer === undefined) return undefined
        fiber.setContext(outer)
        if (handle <= 0) return undefined
        if (onSuccess !== undefined && exit._tag === "Success") onSuccess(runtime, handle, exit.value)
        endWithExit(runtime, handle, exit, operation)
        return undefined
      }
    )
  })
}

/** @internal Records a status code; an error code (by the tracer's side) fails the span without an exception. */
export const setStatusCodeUnsafe = (runtime: Runtime, handle: number, code: number, tag: string, operation: string) => {
  if (typeof code !== "number" || !Number.isInteger(code)) {
    misuse(runtime, `${operation}.setStatusCode: expects an integer status code`)
    return
  }
  setAttribute(runtime, handle, "http.response.status_code", code, `${operation}.setStatusCode`)
  if (isFailure(code, tag === "IncomingWebRequestTracer" ? "server" : "client")) {
    setStatus(runtime, handle, 2, `HTTP ${code}`, `${operation}.setStatusCode`)
  }
}

/** @internal */
export const addResponseHeadersUnsafe = (runtime: Runtime, handle: number, headers: WebRequest.Headers, operation: string) => {
  const list = new AttributeList()
  addHeaders(list, "http.response.header", headers, runtime.data ?? defaultDataSettings)
  for (const problem of list.problems) misuse(runtime, `${operation}.addResponseHeaders: ${problem}`)
  for (const [key, value, limit] of list.list) {
    setAttribute(runtime, handle, key, value, `${operation}.addResponseHeaders`, limit)
  }
}

/**
 * The `tracestate` to send along the tag of a span: what its trace brought in (an unsampled span kept without the
 * engine carries it in its context). "" for none and outside a trace.
 *
 * @internal
 */
export const currentTraceState = (runtime: Runtime, handle: number | string): string => {
  if (typeof handle === "string") return Unsampled.carriedTraceState(handle)
  if (handle <= 0 || runtime.engine === undefined || runtime.engine.closed) return ""
  const state = runtime.engine.addon.span_trace_state(handle)
  return typeof state === "string" ? state : ""
}

/**
 * The headers (or message properties) that carry a tag: the tag under each of `tagNames`, and `tracestate` when
 * the trace has one. Empty without a tag.
 *
 * @internal
 */
export const tagCarrier = (
  tag: string,
  traceState: string,
  tagNames: ReadonlyArray<string>
): Readonly<Record<string, string>> => {
  if (tag === "") return {}
  const carrier: Record<string, string> = {}
  for (const name of tagNames) carrier[name] = tag
  if (traceState !== "") carrier.tracestate = traceState
  return carrier
}

/** @internal The header names a web request carries its tag under. */
export const webTagNames = ["traceparent", WebRequest.DYNATRACE_HTTP_HEADER_NAME] as const

/** @internal The property names a message carries its tag under. */
export const messageTagNames = [Messaging.DYNATRACE_MESSAGE_PROPERTY_NAME, "traceparent"] as const

/** @internal Reads the current span's tag, or "" outside a trace. */
export const currentTag = (runtime: Runtime, handle: number | string, operation: string): string => {
  if (typeof handle === "string") return Unsampled.childTag(runtime.engine, handle)
  if (handle <= 0 || runtime.engine === undefined || runtime.engine.closed) return ""
  const tag = runtime.engine.addon.span_tag(handle)
  if (typeof tag === "string") return tag
  if (tag !== Status.AlreadyEnded) report(runtime, tag, operation)
  return ""
}
