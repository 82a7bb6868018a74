/**
 * In-process links: work that continues in another fiber, or later, stays in the trace it belongs to through a link
 * created where the work forks (the seed's `create_in_process_link` and `trace_in_process_link`). A link is valid
 * only in this process and must not be serialised; it stays usable after the span it was created in ended.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/inProcessLink.ts"
import { withRuntime } from "./internal/tracer.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { Tracer } from "./Tracers.ts"

/**
 * A link to the span it was created in, to continue its trace from any fiber and at any later time. Holds no native
 * resources.
 *
 * @since 0.1.0
 * @category models
 */
export interface InProcessLink {
  readonly _tag: "InProcessLink"
  /** The creating span's engine handle, 0 for an empty link (created outside any trace). */
  readonly handle: number
  /** The creating span's context (its `traceparent`), "" for an empty link. Not for serialising. */
  readonly context: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InProcessLinkTracer extends Tracer {
  readonly _tag: "InProcessLinkTracer"
}

/**
 * Creates a link to the current span (the innermost SDK tracer or Effect span); outside a trace, an empty link, which
 * traces nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<InProcessLink, never, OneAgentSdk> = internal.createFromContext

/**
 * Wraps an effect in an in-process link tracer (an INTERNAL span named `InProcessLink`): it continues the trace the
 * link was created in, from any fiber and at any later time. An empty link traces nothing.
 *
 * **Example** (Sending an e-mail after the response, in the request's trace)
 *
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { CustomService, InProcessLink, OneAgentSdk } from "effect-oneagent"
 *
 * const program = Effect.gen(function*() {
 *   const link = yield* InProcessLink.make
 *   return yield* Effect.forkDetach(Effect.succeed("sent").pipe(InProcessLink.trace(link)))
 * }).pipe(CustomService.trace({ method: "placeOrder", service: "Orders" }))
 *
 * Effect.runPromise(Effect.flatMap(program, Fiber.join).pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log)
 * // => "sent"
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const trace: {
  (link: InProcessLink): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.trace

/**
 * Starts an in-process link tracer in the current scope. Also a method of the SDK service
 * (`sdk.traceInProcessLink`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const start = (link: InProcessLink): Effect.Effect<InProcessLinkTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, link))
