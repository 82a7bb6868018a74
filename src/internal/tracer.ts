/**
 * The two forms every tracer is offered in, on the span core (span.ts): a combinator that wraps one effect (the span
 * is the current span while it runs and ends with its Exit), and a scoped resource that is the current span for the
 * rest of its scope, with the seed's per-tracer operations.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import type { AttributeValue } from "./addon.ts"
import { Limit, Status } from "./codes.ts"
import { captureSite, describeFailure, notify, readArguments, report, safeString } from "./diagnostics.ts"
import { redactFailureText } from "./redaction.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import * as Span from "./span.ts"
import { CurrentSpan, currentSpanOf, holdInScope, releaseFromScope, SpanRef } from "./spanRef.ts"
import * as TraceContext from "./traceContext.ts"

/**
 * Wraps an effect in a span: started before it runs, current span while it runs, ended with its Exit. The exit
 * handler is registered before the span starts, so an interruption at any point still ends it. `options` is called
 * when the effect runs, with the runtime; arguments it cannot read are misuse, and the effect then runs untraced.
 *
 * @internal
 */
export const traced = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  runtimeOf: (context: Context.Context<never>) => Runtime,
  operation: string,
  options: (runtime: Runtime) => Span.StartOptions | undefined,
  onSuccess?: (runtime: Runtime, handle: number, value: A) => void
): Effect.Effect<A, E, R> => {
  const site = captureSite()
  return Effect.withFiber((fiber) => {
    const runtime = runtimeOf(fiber.context)
    const read = readArguments(runtime, operation, () => options(runtime))
    if (read === undefined) return self
    return around(fiber, self, runtime, site === undefined ? read : { ...read, site }, operation, onSuccess)
  })
}

/**
 * {@link traced} for tracers whose start options depend only on their arguments: built once, when the combinator is
 * applied, so running it reads nothing and allocates only what the span needs. Arguments that cannot be read
 * (undefined options, a throwing getter) are reported each time the effect runs, which then runs untraced.
 *
 * @internal
 */
export const tracedOnce = <A, E, R, X = undefined>(
  self: Effect.Effect<A, E, R>,
  runtimeOf: (context: Context.Context<never>) => Runtime,
  operation: string,
  build: (arg: X) => Span.StartOptions | undefined,
  arg?: X
): Effect.Effect<A, E, R> => {
  let built: Span.StartOptions | undefined
  try {
    // `build(arg)` rather than a closure over the arguments: applying the combinator per call allocates less.
    built = build(arg as X)
  } catch (error) {
    return traced(self, runtimeOf, operation, () => {
      throw error
    })
  }
  if (built === undefined) return traced(self, runtimeOf, operation, () => undefined)
  const site = captureSite()
  const startOptions = site === undefined ? built : { ...built, site }
  return Effect.withFiber((fiber) => around(fiber, self, runtimeOf(fiber.context), startOptions, operation, undefined))
}

// Effect.provideService with its key applied once: called with all three arguments it builds its `dual` on every call.
const provideCurrentSpan: <A, E, R>(self: Effect.Effect<A, E, R>, span: SpanRef | undefined) => Effect.Effect<A, E, R> =
  Effect.provideService(CurrentSpan)

// The span around one run of `self` in `fiber`: decided before anything is allocated (an unsampled span needs no exit
// handler), then started inside the exit handler's scope.
const around = <A, E, R>(
  fiber: Fiber.Fiber<unknown, unknown>,
  self: Effect.Effect<A, E, R>,
  runtime: Runtime,
  startOptions: Span.StartOptions,
  operation: string,
  onSuccess: ((runtime: Runtime, handle: number, value: A) => void) | undefined
): Effect.Effect<A, E, R> => {
  const parent = currentSpanOf(fiber)
  const effect = Span.effectParent(fiber.cache.span)
  // Unsampled: no span to start or end. A child stays in its parent's context; a new context is only provided.
  const decided = Span.decideFast(runtime, parent, startOptions, effect)
  if (decided instanceof SpanRef) return decided === parent ? self : provideCurrentSpan(self, decided)
  let handle = 0
  let outer: Context.Context<never> | undefined
  return Effect.onExitPrimitive(
    // Started inside, so that an interruption at any point after the start still ends the span.
    Effect.withFiber<A, E, R>((current) => {
      const started = Span.start(runtime, parent, startOptions, operation, effect, decided)
      // Nothing started, or an unsampled child that stays in its parent's context: nothing to set or end.
      if (started === undefined || started === parent) return self
      handle = started.handle
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
      Span.end(runtime, handle, exit, operation)
      return undefined
    }
  )
}

/**
 * Starts a tracer as a scoped resource: it becomes the current span of this fiber for the rest of the scope, and
 * ends (restoring the previous current span) when the scope closes. Arguments are read when the effect runs, so
 * their misuse is reported where the tracer is used; then a tracer that records nothing is returned.
 *
 * @internal
 */
export const scoped = <T>(
  runtime: Runtime,
  tag: string,
  operation: string,
  options: () => Span.StartOptions | undefined,
  Impl: new(tag: string, runtime: Runtime, ref: SpanRef | undefined, operation: string, parent: SpanRef | undefined) =>
    TracerImpl = TracerImpl
): Effect.Effect<T, never, Scope.Scope> => {
  // Where the application asked for the tracer, before the arguments are read inside the effect.
  const site = captureSite()
  return Effect.uninterruptible(Effect.withFiber((fiber) => {
    const read = readArguments(runtime, operation, options)
    if (read === undefined) return Effect.succeed(noopTracer<T>(tag))
    const startOptions = site === undefined ? read : { ...read, site }
    const parent = currentSpanOf(fiber)
    const started = Span.start(runtime, parent, startOptions, operation, Span.effectParent(fiber.cache.span))
    const tracer = new Impl(tag, runtime, started, operation, parent)
    if (started === undefined || started === parent) return Effect.succeed(tracer as T)
    const scope = Context.getUnsafe(fiber.context, Scope.Scope)
    fiber.setContext(Context.add(fiber.context, CurrentSpan, started))
    // Also held by the scope: a combinator around this acquisition that restores the context when it returns
    // (Effect.fn, Effect.withSpan, ...) would otherwise take the tracer back as the current span.
    holdInScope(scope, fiber.id, started)
    tracer.heldIn = scope
    return Effect.as(
      Scope.addFinalizerExit(scope, (exit) =>
        Effect.withFiber((closing) => {
          tracer.close(exit)
          releaseFromScope(scope, started)
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
 * A started span as the scoped API returns it. One small object per scoped tracer; the combinator form creates none.
 * Family tracers (database, web, messaging) are this object seen through their interfaces.
 *
 * @internal
 */
export class TracerImpl {
  readonly _tag: string
  readonly runtime: Runtime
  /** The span; undefined when nothing is recorded. An unsampled span kept without the engine has handle 0. */
  readonly ref: SpanRef | undefined
  readonly operation: string
  /** The current span before this one started: current again once this one ends. */
  readonly parent: SpanRef | undefined
  endedExplicitly = false
  /** The scope that holds this tracer as a current span until it ends (spanRef.ts `holdInScope`). */
  heldIn: Scope.Scope | undefined = undefined

  constructor(tag: string, runtime: Runtime, ref: SpanRef | undefined, operation: string, parent: SpanRef | undefined) {
    this._tag = tag
    this.runtime = runtime
    // A child of an unsampled span kept without the engine shares its parent's reference (and sends its tags).
    this.ref = ref
    this.operation = operation
    this.parent = parent
  }

  get handle(): number {
    return this.ref?.handle ?? 0
  }

  // After an explicit end, later spans of this fiber are no longer its children (as after the scope's close).
  private restoreParent(fiber: Fiber.Fiber<unknown, unknown>): void {
    if (this.heldIn !== undefined && this.ref !== undefined) releaseFromScope(this.heldIn, this.ref)
    if (this.ref !== undefined && fiber.getRef(CurrentSpan) === this.ref) {
      fiber.setContext(Context.add(fiber.context, CurrentSpan, this.parent))
    }
  }

  // Whether the span is still open, reporting a use after `end`; for an unsampled span kept without the engine this
  // is tracked here, as the engine does for its spans.
  private open(method: string): boolean {
    if (this.ref === undefined) return false
    if (this.ref.handle > 0 || !this.endedExplicitly) return true
    report(this.runtime, Status.AlreadyEnded, `${this.operation}.${method}`)
    return false
  }

  get end(): Effect.Effect<void> {
    return Effect.withFiber((fiber) => {
      const ref = this.ref
      if (ref === undefined || !this.open("end")) return Effect.void
      const first = !this.endedExplicitly
      this.endedExplicitly = true
      if (ref.handle > 0) {
        const engine = Span.engineOf(this.runtime, `${this.operation}.end`)
        if (engine === undefined) return Effect.void
        this.runtime.starts?.delete(ref.handle)
        report(this.runtime, engine.addon.span_end(ref.handle), `${this.operation}.end`)
      }
      if (first) this.restoreParent(fiber)
      return Effect.void
    })
  }

  markFailed(type: string, message: string): Effect.Effect<void> {
    return Effect.sync(() => {
      if (!this.open("markFailed") || this.ref!.handle === 0) return
      const engine = Span.engineOf(this.runtime, `${this.operation}.markFailed`)
      if (engine === undefined) return
      // The application's message may quote a URL with its credentials, as a failure's own message may (span.ts).
      const text = redactFailureText(safeString(message), Limit.Long, this.runtime.data.redacts)
      const status = engine.addon.span_fail(this.ref!.handle, safeString(type), text, "")
      report(this.runtime, status, `${this.operation}.markFailed`)
    })
  }

  get outgoingStringTag(): Effect.Effect<string> {
    return Effect.sync(() => this.open("outgoingStringTag") ? Span.ownTag(this.runtime, this.ref!, `${this.operation}.outgoingStringTag`) : "")
  }

  get outgoingByteTag(): Effect.Effect<Uint8Array> {
    return Effect.sync(() => {
      if (!this.open("outgoingByteTag")) return new Uint8Array(0)
      const ref = this.ref!
      if (ref.handle === 0) {
        const tag = Span.ownTag(this.runtime, ref, `${this.operation}.outgoingByteTag`)
        return tag === "" ? new Uint8Array(0) : TraceContext.binaryTag(tag)
      }
      const engine = Span.engineOf(this.runtime, `${this.operation}.outgoingByteTag`)
      if (engine === undefined) return new Uint8Array(0)
      const tag = engine.addon.span_tag_bytes(ref.handle)
      if (typeof tag !== "number") return tag
      report(this.runtime, tag, `${this.operation}.outgoingByteTag`)
      return new Uint8Array(0)
    })
  }

  /** The carrier (headers or message properties) of the span's tag, empty when there is none. */
  carrier(tagNames: ReadonlyArray<string>, method: string): Effect.Effect<Readonly<Record<string, string>>> {
    return Effect.sync(() => {
      if (!this.open(method)) return {}
      return tagCarrier(Span.ownTag(this.runtime, this.ref!, `${this.operation}.${method}`), this.ref!.traceState, tagNames)
    })
  }

  /** Sets an attribute while the tracer is open (misuse after it ended). */
  attribute(key: string, value: AttributeValue, method: string, limit?: number): Effect.Effect<void> {
    return Effect.sync(() => Span.setAttribute(this.runtime, this.handle, key, value, `${this.operation}.${method}`, limit))
  }

  /** Ends from the scope's Exit unless `end` was called already. */
  close(exit: Exit.Exit<unknown, unknown>): void {
    if (this.handle <= 0 || this.endedExplicitly) return
    Span.end(this.runtime, this.handle, exit, this.operation)
  }
}

/** @internal A tracer that records nothing, for starts that did not happen. */
export const noopTracer = <T>(tag: string): T =>
  ({
    _tag: tag,
    handle: 0,
    end: Effect.void,
    markFailed: () => Effect.void,
    outgoingStringTag: Effect.succeed(""),
    outgoingByteTag: Effect.succeed(new Uint8Array(0)),
    outgoingHeaders: Effect.succeed({}),
    outgoingProperties: Effect.succeed({}),
    setRowsReturned: () => Effect.void,
    setRoundTripCount: () => Effect.void,
    setStatusCode: () => Effect.void,
    addResponseHeaders: () => Effect.void,
    addParameter: () => Effect.void,
    setVendorMessageId: () => Effect.void,
    setCorrelationId: () => Effect.void
  }) as T

/**
 * The headers (or message properties) that carry a tag: the tag under each of `tagNames`, and `tracestate` when the
 * trace has one. Empty without a tag.
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

/**
 * The carrier of the current span's tag (see {@link tagCarrier}), for the combinator API.
 *
 * @internal
 */
export const currentCarrier = (
  runtimeOf: (context: Context.Context<never>) => Runtime,
  tagNames: ReadonlyArray<string>,
  operation: string
): Effect.Effect<Readonly<Record<string, string>>> =>
  Effect.withFiber((fiber) => {
    const runtime = runtimeOf(fiber.context)
    const ref = Span.innermost(runtime, fiber)
    return Effect.succeed(tagCarrier(Span.currentTag(runtime, ref, operation), ref?.traceState ?? "", tagNames))
  })

/**
 * Derives end data from a success value with the user's function (combinator options such as `rowsReturned`);
 * reading the option (null options from untyped callers) or calling it may throw anything, even a value without
 * toString: reported, never raised.
 *
 * @internal
 */
export const derive = <A, B>(
  runtime: Runtime,
  operation: string,
  option: () => ((a: A) => B) | undefined,
  value: A
): B | undefined => {
  try {
    const f = option()
    return f === undefined ? undefined : f(value)
  } catch (error) {
    const failure = describeFailure(error)
    notify(runtime, "diagnostic", `${operation}: deriving end data failed: ${failure.type}: ${failure.message}`)
    return undefined
  }
}

/**
 * The data-first test of combinators with optional arguments; a hostile first argument (a Proxy whose `has` trap
 * throws) is data-last, so the misuse is reported when the effect runs instead of thrown here.
 *
 * @internal
 */
export const isEffectFirst = (args: IArguments): boolean => {
  try {
    return Effect.isEffect(args[0])
  } catch {
    return false
  }
}

/**
 * An effect built with the runtime of the fiber's SDK service: the scoped forms in the family modules, which find
 * the service in the context rather than close over it.
 *
 * @internal
 */
export const withRuntime = <A, E, R>(f: (runtime: Runtime) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => f(runtimeOf(fiber.context)))
