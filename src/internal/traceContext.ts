/**
 * The current fiber's trace context: the innermost of the SDK's current span and Effect's current span.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type { TraceContextInfo } from "../Tracers.ts"
import { EngineSpan } from "./effectSpan.ts"
import { CurrentSpan, type Runtime } from "./runtime.ts"

/** @internal An invalid context: outside any trace, or tracing is off. */
export const invalid: TraceContextInfo = { isValid: false, traceId: "", spanId: "", sampled: false }

/**
 * The innermost current span: an engine handle, or the context of an unsampled span kept without the engine.
 *
 * @internal
 */
export const currentHandle = (runtime: Runtime, fiber: Fiber.Fiber<unknown, unknown>): number | string => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed) return 0
  const sdk = fiber.getRef(CurrentSpan)
  const span = fiber.cache.span
  const effect = span instanceof EngineSpan ? span.handle : 0
  if (effect === 0) return sdk
  if (sdk === 0) return effect
  // An Effect span started inside an unsampled context continues its trace (and has ids of its own); one of
  // another trace is outside it.
  if (typeof sdk === "string") return (span as EngineSpan).traceId === sdk.slice(3, 35) ? effect : sdk
  return engine.addon.span_deeper(sdk, effect)
}

/** @internal */
export const of = (runtime: Runtime, handle: number | string): TraceContextInfo => {
  // An unsampled context is its traceparent already: its trace id and the id of the span it continues.
  let tag: string | number = handle
  if (typeof handle === "number") {
    if (handle <= 0 || runtime.engine === undefined || runtime.engine.closed) return invalid
    tag = runtime.engine.addon.span_tag(handle, true)
  }
  if (typeof tag !== "string") return invalid
  return { isValid: true, traceId: tag.slice(3, 35), spanId: tag.slice(36, 52), sampled: isSampled(tag) }
}

/**
 * Whether a `traceparent` (`00-<trace id>-<span id>-<flags>`) has the sampled flag: bit 0 of its flags byte, which
 * other bits (W3C Level 2's random-trace-id, 0x02) may accompany.
 *
 * @internal
 */
export const isSampled = (traceparent: string): boolean => (Number.parseInt(traceparent.slice(53, 55), 16) & 1) === 1
