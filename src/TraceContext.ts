/**
 * The current fiber's trace context: its W3C ids for log correlation and for systems that are not traced, and the tag
 * (`traceparent`) to send with a call.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { runtimeOf } from "./internal/runtime.ts"
import * as Span from "./internal/span.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"

/**
 * The trace context of the current fiber, like the OneAgent SDK for Node.js's trace context info.
 *
 * @since 0.1.0
 * @category models
 */
export interface TraceContextInfo {
  /** False outside any trace (or when tracing is off); the ids are then empty. */
  readonly isValid: boolean
  /** 32 lower-case hex digits. */
  readonly traceId: string
  /** 16 lower-case hex digits. */
  readonly spanId: string
  readonly sampled: boolean
}

const invalid: TraceContextInfo = { isValid: false, traceId: "", spanId: "", sampled: false }

/**
 * The current fiber's trace context: the innermost SDK tracer or Effect span. For an unsampled span kept without the
 * engine, the ids of the span it continues.
 *
 * **Example** (Correlating a log line)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CustomService, OneAgentSdk, TraceContext } from "effect-oneagent"
 *
 * const program = TraceContext.current.pipe(CustomService.trace({ method: "m", service: "s" }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then((context) =>
 *   console.log(context.isValid, context.traceId.length) // => true 32
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const current: Effect.Effect<TraceContextInfo, never, OneAgentSdk> = Effect.withFiber((fiber) => {
  const ref = Span.innermost(runtimeOf(fiber.context), fiber)
  return Effect.succeed(
    ref === undefined ? invalid : { isValid: true, traceId: ref.traceId, spanId: ref.spanId, sampled: ref.sampled }
  )
})

/**
 * The W3C `traceparent` of the current span ("" outside a trace): the tag to send with an outgoing call, as
 * `traceparent` or as `X-dynaTrace`. Inside an unsampled trace kept without the engine, its trace with a new span id.
 *
 * @since 0.1.0
 * @category tags
 */
export const currentStringTag: Effect.Effect<string, never, OneAgentSdk> = Effect.withFiber((fiber) => {
  const runtime = runtimeOf(fiber.context)
  return Effect.succeed(Span.currentTag(runtime, Span.innermost(runtime, fiber), "currentStringTag"))
})
