/**
 * Custom services: the span shape of a meaningful piece of work that fits no other tracer (SERVER, a service call),
 * and the two forms of its tracer.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as CustomService from "../CustomService.ts"
import { AttributeList, spanName } from "./attributes.ts"
import { Kind, StartFlag } from "./codes.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import type { StartOptions } from "./span.ts"
import { fromList, plainStart, ShapeCache, type Template } from "./templates.ts"
import * as Tracer from "./tracer.ts"

const shapes = new ShapeCache()

const makeShape = (options: CustomService.CustomServiceOptions): Template => {
  const list = new AttributeList()
  const method = list.required("method", options.method)
  const service = list.required("service", options.service)
  list.add("oneagent.custom_service.name", service).add("oneagent.custom_service.method", method)
  return fromList(list, list.name(spanName(service, "/", method)), Kind.Server, StartFlag.ServiceCall)
}

/** @internal */
export const start = (options: CustomService.CustomServiceOptions): StartOptions =>
  plainStart(shapes.get(options.method, options.service, undefined, undefined, makeShape, options))

/** @internal */
export const trace = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomService.CustomServiceOptions): Effect.Effect<A, E, R> =>
    Tracer.tracedOnce(self, runtimeOf, "traceCustomService", start, options)
)

/** @internal */
export const scoped = (
  runtime: Runtime,
  options: CustomService.CustomServiceOptions
): Effect.Effect<CustomService.CustomServiceTracer, never, Scope.Scope> =>
  Tracer.scoped(runtime, "CustomServiceTracer", "traceCustomService", () => start(options))
