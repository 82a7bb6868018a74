/**
 * Messaging (the seed's `create_messaging_system_info`, `trace_outgoing_message`, `trace_incoming_message_receive`
 * and `trace_incoming_message_process`): a messaging system info object describes a destination once; sending is a
 * PRODUCER span whose tag goes out in the message's properties, receiving a CONSUMER span recorded only inside
 * another trace, and processing a CONSUMER span and service call that continues the sender's trace.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Channel } from "./Channel.ts"
import * as internal from "./internal/messaging.ts"
import { withRuntime } from "./internal/tracer.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { IncomingTagOptions, OutgoingTaggable, Tracer } from "./Tracers.ts"

/**
 * The message property the seed uses for the string tag. Outgoing messages carry the tag in it and in
 * `traceparent`; incoming messages are read from either.
 *
 * @since 0.1.0
 * @category constants
 */
export const DYNATRACE_MESSAGE_PROPERTY_NAME: "dtdTraceTagInfo" = internal.DYNATRACE_MESSAGE_PROPERTY_NAME

/**
 * @since 0.1.0
 * @category constants
 */
export const DestinationType: { readonly QUEUE: "QUEUE"; readonly TOPIC: "TOPIC" } = internal.DestinationType

/**
 * @since 0.1.0
 * @category models
 */
export type DestinationType = typeof DestinationType[keyof typeof DestinationType]

/**
 * @since 0.1.0
 * @category options
 */
export interface MessagingSystemInfoOptions {
  /** The messaging system (`messaging.system`), e.g. `"kafka"`, `"rabbitmq"`, `"myMessagingSystem"`. */
  readonly vendor: string
  /** The queue or topic name (`messaging.destination.name`). */
  readonly destination: string
  readonly destinationType: DestinationType
  readonly channel: Channel
}

/**
 * Information about a messaging destination that does not change between messages. A scoped resource;
 * using it after its scope closed is misuse.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessagingSystemInfo extends MessagingSystemInfoOptions {
  readonly _tag: "MessagingSystemInfo"
}

/**
 * Setters shared by the tracers of sent and processed messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageIds {
  /** The vendor's message id (`messaging.message.id`). */
  readonly setVendorMessageId: (id: string) => Effect.Effect<void>
  /** The correlation id (`messaging.message.conversation_id`). */
  readonly setCorrelationId: (id: string) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OutgoingMessageTracer extends Tracer, OutgoingTaggable, MessageIds {
  readonly _tag: "OutgoingMessageTracer"
  /** The properties to add to the message: `dtdTraceTagInfo`, `traceparent` and any `tracestate` (empty when not tracing). */
  readonly outgoingProperties: Effect.Effect<Readonly<Record<string, string>>>
}

/**
 * The tracer of a (blocking) receive. Recorded only inside another trace.
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingMessageReceiveTracer extends Tracer {
  readonly _tag: "IncomingMessageReceiveTracer"
}

/**
 * The tracer of processing one received message: a service call that continues the sender's trace.
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingMessageProcessTracer extends Tracer, MessageIds {
  readonly _tag: "IncomingMessageProcessTracer"
}

/**
 * @since 0.1.0
 * @category options
 */
export interface IncomingMessageProcessOptions extends IncomingTagOptions {
  /**
   * The received message's properties: the tag is taken from `dtdTraceTagInfo` or `traceparent` (with
   * `tracestate`) when no explicit tag is given.
   */
  readonly properties?: Readonly<Record<string, string | undefined>> | undefined
  readonly vendorMessageId?: string | undefined
  readonly correlationId?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface OutgoingMessageOptions {
  readonly vendorMessageId?: string | undefined
  readonly correlationId?: string | undefined
}

/**
 * Creates a messaging system info object, released with the scope; using it after that is misuse. Also a method of
 * the SDK service (`sdk.createMessagingSystemInfo`).
 *
 * @since 0.1.0
 * @category info objects
 */
export const makeInfo: (options: MessagingSystemInfoOptions) => Effect.Effect<MessagingSystemInfo, never, Scope.Scope> =
  internal.createInfo

/**
 * Wraps sending a message in an outgoing message tracer: a PRODUCER span. Inside, {@link outgoingProperties} gives
 * the properties to add to the message.
 *
 * **Example** (Sending and processing a message in one trace)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ChannelType, CustomService, Messaging, OneAgentSdk } from "effect-oneagent"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* Messaging.makeInfo({
 *     vendor: "kafka",
 *     destination: "orders",
 *     destinationType: Messaging.DestinationType.TOPIC,
 *     channel: { type: ChannelType.TCP_IP, endpoint: "kafka.internal:9092" }
 *   })
 *   const properties = yield* Messaging.outgoingProperties.pipe(Messaging.traceOutgoing(queue))
 *   // ... the consumer, with the properties that came with the message:
 *   return yield* Effect.succeed("processed").pipe(Messaging.traceProcess(queue, { properties }))
 * }).pipe(Effect.scoped, CustomService.trace({ method: "publish", service: "Orders" }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => "processed"
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceOutgoing: {
  (
    info: MessagingSystemInfo,
    options?: OutgoingMessageOptions
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: MessagingSystemInfo,
    options?: OutgoingMessageOptions
  ): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceOutgoing

/**
 * Wraps a blocking receive in an incoming message receive tracer: a CONSUMER span, recorded only inside another trace.
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceReceive: {
  (info: MessagingSystemInfo): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, info: MessagingSystemInfo): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceReceive

/**
 * Wraps processing one message in an incoming message process tracer: a CONSUMER span and a service call that
 * continues the sender's trace from the message's `dtdTraceTagInfo` / `traceparent` property (or an explicit tag).
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceProcess: {
  (
    info: MessagingSystemInfo,
    options?: IncomingMessageProcessOptions
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: MessagingSystemInfo,
    options?: IncomingMessageProcessOptions
  ): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceProcess

/**
 * Starts an outgoing message tracer in the current scope; its `outgoingProperties` go into the message. Also a method
 * of the SDK service (`sdk.traceOutgoingMessage`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startOutgoing = (
  info: MessagingSystemInfo,
  options?: OutgoingMessageOptions
): Effect.Effect<OutgoingMessageTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, info, "send", options))

/**
 * Starts an incoming message receive tracer in the current scope. Also a method of the SDK service
 * (`sdk.traceIncomingMessageReceive`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startReceive = (
  info: MessagingSystemInfo
): Effect.Effect<IncomingMessageReceiveTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, info, "receive"))

/**
 * Starts an incoming message process tracer in the current scope. Also a method of the SDK service
 * (`sdk.traceIncomingMessageProcess`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startProcess = (
  info: MessagingSystemInfo,
  options?: IncomingMessageProcessOptions
): Effect.Effect<IncomingMessageProcessTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, info, "process", options))

/**
 * The message properties that carry the current span's tag: `dtdTraceTagInfo` and `traceparent`, and the trace's
 * `tracestate` when it has one.
 *
 * @since 0.1.0
 * @category tags
 */
export const outgoingProperties: Effect.Effect<Readonly<Record<string, string>>, never, OneAgentSdk> =
  internal.outgoingProperties
