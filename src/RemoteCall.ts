/**
 * Remote calls: an incoming call continues the caller's trace from the tag it sent (or starts one), an outgoing call
 * gives the tag to send. The seed's `trace_incoming_remote_call` and `trace_outgoing_remote_call`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Channel } from "./Channel.ts"
import * as internal from "./internal/remoteCall.ts"
import { withRuntime } from "./internal/tracer.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { IncomingTagOptions, OutgoingTaggable, Tracer } from "./Tracers.ts"

/**
 * @since 0.1.0
 * @category options
 */
export interface IncomingRemoteCallOptions extends IncomingTagOptions {
  /** The called method (`rpc.method`). */
  readonly method: string
  /** The called service (`rpc.service`). */
  readonly service: string
  /** The endpoint the service is reached at (`oneagent.remote_call.endpoint`), e.g. `"rpc://orders"`. */
  readonly endpoint: string
  /** The protocol (`network.protocol.name`), e.g. `"grpc"`. */
  readonly protocolName?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface OutgoingRemoteCallOptions {
  /** The called method (`rpc.method`). */
  readonly method: string
  /** The called service (`rpc.service`). */
  readonly service: string
  /** The endpoint the service is reached at (`oneagent.remote_call.endpoint`). */
  readonly endpoint: string
  /** The channel the call goes over; a TCP/IP `host:port` endpoint also gives `server.address` and `server.port`. */
  readonly channel: Channel
  /** The protocol (`network.protocol.name`). */
  readonly protocolName?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IncomingRemoteCallTracer extends Tracer {
  readonly _tag: "IncomingRemoteCallTracer"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OutgoingRemoteCallTracer extends Tracer, OutgoingTaggable {
  readonly _tag: "OutgoingRemoteCallTracer"
}

/**
 * Wraps an effect in an incoming remote call tracer: a SERVER span and a service call (custom request attributes
 * inside it land on it), which continues the caller's trace from `stringTag` / `byteTag`, or starts one.
 *
 * **Details**
 *
 * The span starts when the effect starts and ends with its `Exit`: a failure marks it failed with the error's `_tag`
 * and message, an interruption marks it `effect.fiber.interrupted`. A malformed tag starts a new trace (reported on
 * the verbose callback), never an error.
 *
 * **Example** (Serving a call that continues the caller's trace)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { OneAgentSdk, RemoteCall } from "effect-oneagent"
 *
 * const placeOrder = (tag: string) =>
 *   Effect.succeed("placed").pipe(
 *     RemoteCall.traceIncoming({ method: "placeOrder", service: "Orders", endpoint: "rpc://orders", stringTag: tag })
 *   )
 *
 * Effect.runPromise(
 *   placeOrder("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").pipe(Effect.provide(OneAgentSdk.layer()))
 * ).then(console.log) // => "placed"
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceIncoming: {
  (options: IncomingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: IncomingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceIncoming

/**
 * Wraps an effect in an outgoing remote call tracer: a CLIENT span. Inside, `TraceContext.currentStringTag` is the
 * W3C `traceparent` of this call, the tag to send with it.
 *
 * **Example** (Calling a service with the tag)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ChannelType, OneAgentSdk, RemoteCall, TraceContext } from "effect-oneagent"
 *
 * const charge = TraceContext.currentStringTag.pipe(
 *   Effect.map((tag) => ({ traceparent: tag })), // the headers an RPC client would send
 *   RemoteCall.traceOutgoing({
 *     method: "charge",
 *     service: "Payments",
 *     endpoint: "rpc://payments",
 *     channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
 *   })
 * )
 *
 * Effect.runPromise(charge.pipe(Effect.provide(OneAgentSdk.layer()))).then((headers) =>
 *   console.log(headers.traceparent.length) // => 55
 * )
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceOutgoing: {
  (options: OutgoingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceOutgoing

/**
 * Starts an incoming remote call tracer in the current scope (the seed's `with` block): it is the current span for
 * the rest of the scope and ends when the scope closes, failed if the scope failed. Also a method of the SDK service
 * (`sdk.traceIncomingRemoteCall`).
 *
 * **Example** (A scoped incoming call)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { OneAgentSdk, RemoteCall } from "effect-oneagent"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tracer = yield* RemoteCall.startIncoming({ method: "placeOrder", service: "Orders", endpoint: "rpc://orders" })
 *   yield* Effect.log("handling the call")
 *   return tracer._tag
 * }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => "IncomingRemoteCallTracer"
 * ```
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startIncoming = (
  options: IncomingRemoteCallOptions
): Effect.Effect<IncomingRemoteCallTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.incoming(runtime, options))

/**
 * Starts an outgoing remote call tracer in the current scope; its `outgoingStringTag` is the tag to send. Also a
 * method of the SDK service (`sdk.traceOutgoingRemoteCall`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startOutgoing = (
  options: OutgoingRemoteCallOptions
): Effect.Effect<OutgoingRemoteCallTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.outgoing(runtime, options))
