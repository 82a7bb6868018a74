/**
 * Custom request attributes: attached to the service call the current fiber runs in (the nearest incoming remote
 * call, custom service, incoming web request or message process), which the engine finds from the current span.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { clip, truncatedKey } from "./attributes.ts"
import { Limit, Status } from "./codes.ts"
import { misuse, report } from "./diagnostics.ts"
import { keyId, KeysFull } from "./engine.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import * as Span from "./span.ts"
import { currentSpanOf, type SpanRef } from "./spanRef.ts"

/** @internal Adds a custom request attribute to the service call that `ref` belongs to. */
export const addUnsafe = (runtime: Runtime, ref: SpanRef | undefined, key: unknown, value: unknown): void => {
  const operation = "addCustomRequestAttribute"
  const engine = runtime.engine
  if (engine === undefined) return
  if (typeof key !== "string" || key === "" || (typeof value !== "string" && typeof value !== "number")) {
    misuse(runtime, `${operation}: expects a non-empty string key and an int, float or string value`)
    return
  }
  if (ref === undefined) return report(runtime, Status.NoServiceCall, operation)
  // An unsampled span kept without the engine: nothing of it is recorded.
  if (ref.handle === 0) return
  if (engine.closed) return report(runtime, Status.ShutDown, operation)
  const id = Span.attributeKey(runtime, engine, key)
  if (id === KeysFull) return
  const status = engine.addon.span_service_attr(ref.handle, id, value, Limit.Default)
  report(runtime, status, operation)
  const kept = clip(key, Limit.Default)
  if (status >= 0 && kept !== key) engine.addon.span_service_attr(ref.handle, keyId(engine, truncatedKey), kept, Limit.Default)
}

/** @internal In the runtime of the fiber's SDK service. */
export const add = (key: string, value: string | number): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    addUnsafe(runtimeOf(fiber.context), currentSpanOf(fiber), key, value)
    return Effect.void
  })

/** @internal In a given runtime (the service's method). */
export const addIn = (runtime: Runtime, key: string, value: string | number): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    addUnsafe(runtime, currentSpanOf(fiber), key, value)
    return Effect.void
  })
