/**
 * Messaging: the messaging system info object, the span shapes of sending (PRODUCER), receiving (CONSUMER, only
 * inside another trace) and processing (CONSUMER, a service call that continues the sender's trace) a message, and
 * the two forms of their tracers.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as Messaging from "../Messaging.ts"
import { AttributeList, spanName } from "./attributes.ts"
import { Kind, StartFlag } from "./codes.ts"
import * as Info from "./info.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import type * as Span from "./span.ts"
import { fromList } from "./templates.ts"
import * as Tracer from "./tracer.ts"
import { tagOf } from "./headers.ts"

/** @internal The message property the seed uses for the string tag. */
export const DYNATRACE_MESSAGE_PROPERTY_NAME = "dtdTraceTagInfo"

/** @internal The property names a message carries its tag under. */
export const tagNames = [DYNATRACE_MESSAGE_PROPERTY_NAME, "traceparent"] as const

/** @internal */
export const DestinationType = { QUEUE: "QUEUE", TOPIC: "TOPIC" } as const

/** @internal */
export const createInfo = (
  options: Messaging.MessagingSystemInfoOptions
): Effect.Effect<Messaging.MessagingSystemInfo, never, Scope.Scope> =>
  Info.make<Messaging.MessagingSystemInfo>("MessagingSystemInfo", () => {
    const list = new AttributeList()
    const destinationType = list.required("destinationType", options.destinationType)
    if (destinationType !== "QUEUE" && destinationType !== "TOPIC") {
      list.problems.push(`"destinationType" must be "QUEUE" or "TOPIC"`)
    }
    list.add("messaging.system", list.required("vendor", options.vendor))
      .add("messaging.destination.name", list.required("destination", options.destination))
      .add("oneagent.messaging.destination_type", destinationType)
      .channel(options.channel)
    return {
      info: {
        _tag: "MessagingSystemInfo",
        vendor: options.vendor,
        destination: options.destination,
        destinationType: options.destinationType,
        channel: options.channel
      },
      attributes: list
    }
  })

type Operation = "send" | "receive" | "process"

const operations: Record<Operation, string> = {
  send: "traceOutgoingMessage",
  receive: "traceIncomingMessageReceive",
  process: "traceIncomingMessageProcess"
}

/** @internal */
export const start = (
  runtime: Runtime,
  info: Messaging.MessagingSystemInfo,
  kind: Operation,
  options?: Messaging.IncomingMessageProcessOptions | Messaging.OutgoingMessageOptions
): Span.StartOptions | undefined => {
  const state = Info.stateOf(runtime, info, "MessagingSystemInfo", operations[kind])
  if (state === undefined) return undefined
  const template = Info.templateOf(state, kind, undefined, () => {
    const list = new AttributeList().addAll(state.attributes).add("messaging.operation.type", kind)
    const flags = kind === "receive" ? StartFlag.RequireParent : kind === "process" ? StartFlag.ServiceCall : StartFlag.None
    const name = list.name(spanName(kind, " ", info.destination, "first"))
    return fromList(list, name, kind === "send" ? Kind.Producer : Kind.Consumer, flags)
  })
  const ids = new AttributeList()
  ids.add("messaging.message.id", ids.optional("vendorMessageId", options?.vendorMessageId))
    .add("messaging.message.conversation_id", ids.optional("correlationId", options?.correlationId))
  if (kind !== "process") return { template, attributes: ids.flat(), problems: ids.problems }
  const process = options as Messaging.IncomingMessageProcessOptions | undefined
  const explicit = process?.stringTag !== undefined || process?.byteTag !== undefined
  const tag = explicit
    ? { stringTag: process?.stringTag, byteTag: process?.byteTag, traceState: process?.traceState }
    : tagOf(process?.properties, "dtdtracetaginfo")
  return { template, ...tag, attributes: ids.flat(), problems: ids.problems }
}

const traceMessage = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: Messaging.MessagingSystemInfo,
  kind: Operation,
  options?: Messaging.IncomingMessageProcessOptions | Messaging.OutgoingMessageOptions
): Effect.Effect<A, E, R> => Tracer.traced(self, runtimeOf, operations[kind], (runtime) => start(runtime, info, kind, options))

/** @internal */
export const traceOutgoing = dual(Tracer.isEffectFirst, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: Messaging.MessagingSystemInfo,
  options?: Messaging.OutgoingMessageOptions
): Effect.Effect<A, E, R> => traceMessage(self, info, "send", options))

/** @internal */
export const traceReceive = dual(2, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: Messaging.MessagingSystemInfo
): Effect.Effect<A, E, R> => traceMessage(self, info, "receive"))

/** @internal */
export const traceProcess = dual(Tracer.isEffectFirst, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: Messaging.MessagingSystemInfo,
  options?: Messaging.IncomingMessageProcessOptions
): Effect.Effect<A, E, R> => traceMessage(self, info, "process", options))

/** @internal The scoped messaging tracers (all three kinds: the interfaces show each its own methods). */
export class MessageTracer extends Tracer.TracerImpl
  implements Messaging.OutgoingMessageTracer, Messaging.IncomingMessageReceiveTracer, Messaging.IncomingMessageProcessTracer
{
  declare readonly _tag: any
  setVendorMessageId(id: string): Effect.Effect<void> {
    return this.attribute("messaging.message.id", id, "setVendorMessageId")
  }
  setCorrelationId(id: string): Effect.Effect<void> {
    return this.attribute("messaging.message.conversation_id", id, "setCorrelationId")
  }
  get outgoingProperties(): Effect.Effect<Readonly<Record<string, string>>> {
    return this.carrier(tagNames, "outgoingProperties")
  }
}

const tracerTags: Record<Operation, string> = {
  send: "OutgoingMessageTracer",
  receive: "IncomingMessageReceiveTracer",
  process: "IncomingMessageProcessTracer"
}

/** @internal */
export const scoped = <T>(
  runtime: Runtime,
  info: Messaging.MessagingSystemInfo,
  kind: Operation,
  options?: Messaging.IncomingMessageProcessOptions | Messaging.OutgoingMessageOptions
): Effect.Effect<T, never, Scope.Scope> =>
  Tracer.scoped(runtime, tracerTags[kind], operations[kind], () => start(runtime, info, kind, options), MessageTracer)

/** @internal The message properties that carry the current span's tag. */
export const outgoingProperties: Effect.Effect<Readonly<Record<string, string>>> = Tracer.currentCarrier(
  runtimeOf,
  tagNames,
  "outgoingMessageProperties"
)
