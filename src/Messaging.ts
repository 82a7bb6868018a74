/**
 * Messaging: the messaging system info object, destination types, the message property that carries
 * the tag, and the tracer types for sending, receiving and processing messages.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Channel } from "./Channel.ts"
import type { IncomingTagOptions, OutgoingTaggable, Tracer } from "./Tracers.ts"

/**
 * The message property the seed uses for the string tag. Outgoing messages carry the tag in it and in
 * `traceparent`; incoming messages are read from either.
 *
 * @since 0.1.0
 * @category constants
 */
export const DYNATRACE_MESSAGE_PROPERTY_NAME = "dtdTraceTagInfo"

/**
 * @since 0.1.0
 * @category constants
 */
export const DestinationType = {
  QUEUE: "QUEUE",
  TOPIC: "TOPIC"
} as const

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
