/**
 * Custom services: a meaningful piece of work that fits no other tracer, such as a timer callback or a job, traced
 * as a service call of its own (the seed's `trace_custom_service`).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/customService.ts"
import { withRuntime } from "./internal/tracer.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { Tracer } from "./Tracers.ts"

/**
 * @since 0.1.0
 * @category options
 */
export interface CustomServiceOptions {
  /** The method (`oneagent.custom_service.method`); the span is named `service/method`. */
  readonly method: string
  /** The service (`oneagent.custom_service.name`). */
  readonly service: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CustomServiceTracer extends Tracer {
  readonly _tag: "CustomServiceTracer"
}

/**
 * Wraps an effect in a custom service tracer: a SERVER span and a service call of its own (custom request
 * attributes inside it land on it). It starts a trace, or joins the one the effect runs in.
 *
 * **Example** (A job traced as a service)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CustomService, OneAgentSdk } from "effect-oneagent"
 *
 * const cleanup = Effect.succeed(3).pipe(CustomService.trace({ method: "onTimer", service: "CleanupTask" }))
 *
 * Effect.runPromise(cleanup.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => 3
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const trace: {
  (options: CustomServiceOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomServiceOptions): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.trace

/**
 * Starts a custom service tracer in the current scope (the seed's `with` block): the current span for the rest of
 * the scope, ended when it closes. Also a method of the SDK service (`sdk.traceCustomService`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const start = (options: CustomServiceOptions): Effect.Effect<CustomServiceTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, options))
