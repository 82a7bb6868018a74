/**
 * Log correlation: inside a traced fiber, every log line carries the `trace_id` and `span_id` of the
 * current span (the innermost SDK tracer or Effect span), so logs and traces join in the backend.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { runtimeOf } from "./internal/runtime.ts"
import * as Span from "./internal/span.ts"

/**
 * Wraps a logger so that, inside a trace, it logs with the annotations `trace_id`, `span_id` and
 * `trace_flags` added. Outside a trace (or without the SDK) it logs unchanged.
 *
 * @since 0.1.0
 * @category loggers
 */
export const withTraceContext = <Message, Output>(logger: Logger.Logger<Message, Output>): Logger.Logger<Message, Output> =>
  Logger.make((options) => {
    const fiber = options.fiber
    const ref = Span.innermost(runtimeOf(fiber.context), fiber)
    if (ref === undefined) return logger.log(options)
    const previous = fiber.context
    // The wrapped logger reads annotations from the fiber; they are added for this one call only.
    fiber.setContext(Context.add(previous, References.CurrentLogAnnotations, {
      ...fiber.getRef(References.CurrentLogAnnotations),
      trace_id: ref.traceId,
      span_id: ref.spanId,
      trace_flags: ref.sampled ? "01" : "00"
    }))
    try {
      return logger.log(options)
    } finally {
      fiber.setContext(previous)
    }
  })

/**
 * Replaces the current loggers with trace-correlated versions of themselves: add it next to
 * `OneAgentSdk.layer()` and every log line in a trace carries `trace_id` and `span_id`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never> = Layer.effect(
  Logger.CurrentLoggers,
  Effect.withFiber((fiber) =>
    Effect.succeed(new Set([...fiber.getRef(Logger.CurrentLoggers)].map((logger) => withTraceContext(logger))))
  )
)
