/**
 * Log lines as span events, on the innermost span only: an SDK tracer's or an Effect span's. Effect's own tracer
 * logger records a line on the current Effect span even when an SDK tracer inside it is the innermost, so this
 * logger takes its place in the set of loggers and does both.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { safeString } from "./diagnostics.ts"
import { EngineSpan, toAttributeValue } from "./effectTracer.ts"
import type { Runtime } from "./runtime.ts"
import * as Span from "./span.ts"

/**
 * The loggers with log lines recorded as events of the innermost span: Effect's tracer logger, if present, is
 * replaced (this one records on Effect spans as it does), and without it only SDK tracers get the events.
 *
 * @internal
 */
export const withSpanEvents = (
  loggers: ReadonlySet<Logger.Logger<unknown, any>>,
  runtime: Runtime
): Set<Logger.Logger<unknown, any>> => {
  const effectSpans = loggers.has(Logger.tracerLogger)
  const out = new Set(loggers)
  out.delete(Logger.tracerLogger)
  out.add(spanEventLogger(runtime, effectSpans))
  return out
}

const spanEventLogger = (runtime: Runtime, effectSpans: boolean): Logger.Logger<unknown, void> =>
  Logger.make(({ cause, fiber, logLevel, message }) => {
    const span = fiber.cache.span
    const engine = runtime.engine
    const handle = engine === undefined || engine.closed ? 0 : Span.innermost(runtime, fiber)?.handle ?? 0
    // Effect's span is the innermost one, or there is no engine span to record on (an unsampled one kept without the
    // engine records nothing).
    const onEffectSpan = span !== undefined && span._tag === "Span" &&
      (handle <= 0 || (span instanceof EngineSpan && span.handle === handle))
    if (!onEffectSpan && handle <= 0) return
    if (onEffectSpan && (!effectSpans || span.status._tag === "Ended")) return
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const text = Array.isArray(message) && message.length === 1 ? message[0] : message
    const name = typeof text === "string" ? text : safeString(toAttributeValue(text))
    const time = fiber.getRef(Clock.Clock).currentTimeNanosUnsafe()
    if (onEffectSpan) {
      // As Effect's tracer logger records it.
      const attributes: Record<string, unknown> = { ...annotations }
      attributes["effect.fiberId"] = fiber.id
      attributes["effect.logLevel"] = logLevel.toUpperCase()
      if (cause.reasons.length > 0) attributes["effect.cause"] = Cause.pretty(cause)
      span.event(name, time, attributes)
      return
    }
    const attributes: Array<unknown> = []
    for (const key in annotations) attributes.push(key, toAttributeValue(annotations[key]), 0)
    attributes.push("effect.fiberId", fiber.id, 0, "effect.logLevel", logLevel.toUpperCase(), 0)
    if (cause.reasons.length > 0) attributes.push("effect.cause", Cause.pretty(cause), 0)
    engine!.addon.span_event(handle, name, time, attributes)
  })
