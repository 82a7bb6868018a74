/**
 * Log lines as span events: what Effect's tracer logger does for Effect spans, done for the SDK's tracers, so a
 * line logged inside `traceIncomingRemoteCall` (and not inside an Effect span within it) is an event of that span.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { EngineSpan, toAttributeValue } from "./effectSpan.ts"
import { type Runtime, safeString } from "./runtime.ts"
import * as TraceContext from "./traceContext.ts"

/** @internal */
export const spanEventLogger = (runtime: Runtime): Logger.Logger<unknown, void> =>
  Logger.make(({ cause, fiber, logLevel, message }) => {
    const engine = runtime.engine
    if (engine === undefined || engine.closed) return
    const handle = TraceContext.currentHandle(runtime, fiber)
    if (typeof handle !== "number" || handle <= 0) return
    // The innermost span is an Effect span: Effect's own tracer logger records the line there.
    const span = fiber.cache.span
    if (span instanceof EngineSpan && span.handle === handle) return
    const attributes: Array<unknown> = []
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    for (const key in annotations) attributes.push(key, toAttributeValue(annotations[key]), 0)
    attributes.push("effect.fiberId", fiber.id, 0, "effect.logLevel", logLevel.toUpperCase(), 0)
    if (cause.reasons.length > 0) attributes.push("effect.cause", Cause.pretty(cause), 0)
    const text = Array.isArray(message) && message.length === 1 ? message[0] : message
    engine.addon.span_event(
      handle,
      typeof text === "string" ? text : safeString(toAttributeValue(text)),
      fiber.getRef(Clock.Clock).currentTimeNanosUnsafe(),
      attributes
    )
  })
