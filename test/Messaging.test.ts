import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Queue } from "effect"
import { ChannelType, Messaging, OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { withTest } from "./support/sdk.ts"

const requests = {
  vendor: "myMessagingSystem",
  destination: "requestQueue",
  destinationType: Messaging.DestinationType.QUEUE,
  channel: { type: ChannelType.TCP_IP, endpoint: "mq.internal:5672" }
} as const

interface Message {
  readonly body: string
  readonly properties: Readonly<Record<string, string>>
}

describe("Messaging", () => {
  it.effect("a producer fiber and a consumer fiber over a Queue form one trace", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createMessagingSystemInfo(requests)
      const queue = yield* Queue.unbounded<Message>()

      const consumer = yield* Effect.forkChild(Effect.gen(function*() {
        // The blocking receive, traced inside the consumer's own poll trace...
        const message = yield* Queue.take(queue).pipe(
          OneAgentSdk.traceIncomingMessageReceive(info),
          OneAgentSdk.traceCustomService({ method: "poll", service: "Consumer" })
        )
        // ...and the processing, which continues the producer's trace from the message property.
        yield* OneAgentSdk.addCustomRequestAttribute("body", message.body).pipe(
          OneAgentSdk.traceIncomingMessageProcess(info, {
            properties: message.properties,
            vendorMessageId: "msg-1",
            correlationId: "corr-9"
          })
        )
      }))

      yield* Effect.gen(function*() {
        const properties = yield* OneAgentSdk.outgoingMessageProperties
        yield* Queue.offer(queue, { body: "hello", properties })
      }).pipe(
        OneAgentSdk.traceOutgoingMessage(info, { vendorMessageId: "msg-1" }),
        OneAgentSdk.traceCustomService({ method: "publish", service: "Producer" })
      )
      yield* Fiber.join(consumer)

      const publish = yield* test.span("Producer/publish")
      const send = yield* test.span("send requestQueue")
      const receive = yield* test.span("receive requestQueue")
      const process = yield* test.span("process requestQueue")
      expect(send.kind).toBe("producer")
      expect(send.parentSpanId).toBe(publish.spanId)
      expect(process.kind).toBe("consumer")
      expect(process.traceId).toBe(send.traceId)
      expect(process.parentSpanId).toBe(send.spanId)
      expect(receive.kind).toBe("consumer")
      expect(receive.parentSpanId).toBe((yield* test.span("Consumer/poll")).spanId)
      expect(process.attributes).toMatchObject({
        "messaging.system": "myMessagingSystem",
        "messaging.destination.name": "requestQueue",
        "messaging.operation.type": "process",
        "messaging.message.id": "msg-1",
        "messaging.message.conversation_id": "corr-9",
        "oneagent.messaging.destination_type": "QUEUE",
        body: "hello"
      })
      expect(send.attributes["messaging.message.id"]).toBe("msg-1")
    }).pipe(Effect.scoped, withTest))

  it.effect("a message processed inside the consumer's own trace continues the producer's, linked back to it", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createMessagingSystemInfo(requests)
      const properties = yield* OneAgentSdk.outgoingMessageProperties.pipe(OneAgentSdk.traceOutgoingMessage(info))
      yield* Effect.void.pipe(
        OneAgentSdk.traceIncomingMessageProcess(info, { properties }),
        OneAgentSdk.traceCustomService({ method: "poll", service: "Consumer" })
      )
      const send = yield* test.span("send requestQueue")
      const poll = yield* test.span("Consumer/poll")
      const process = yield* test.span("process requestQueue")
      expect([process.traceId, process.parentSpanId]).toEqual([send.traceId, send.spanId])
      expect(process.links).toEqual([{ traceId: poll.traceId, spanId: poll.spanId }])
      // Without a local span around it there is nothing to link.
      expect(send.links).toEqual([])
    }).pipe(Effect.scoped, withTest))

  it.effect("the scoped tracers work like the seed's, with the tag in dtdTraceTagInfo", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createMessagingSystemInfo(requests)
      const properties = yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceOutgoingMessage(info)
        yield* tracer.setVendorMessageId("v1")
        yield* tracer.setCorrelationId("c1")
        return yield* tracer.outgoingProperties
      }))
      expect(Object.keys(properties).sort()).toEqual([Messaging.DYNATRACE_MESSAGE_PROPERTY_NAME, "traceparent"])
      yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceIncomingMessageProcess(info, {
          stringTag: properties[Messaging.DYNATRACE_MESSAGE_PROPERTY_NAME]
        })
        yield* tracer.setVendorMessageId("v1")
      }))
      const send = yield* test.span("send requestQueue")
      const process = yield* test.span("process requestQueue")
      expect(send.attributes["messaging.message.conversation_id"]).toBe("c1")
      expect(process.parentSpanId).toBe(send.spanId)
    }).pipe(Effect.scoped, withTest))

  it.effect("a receive tracer with no parent is not recorded; the strict layer calls it misuse", () =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo(requests)
      const exit = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceIncomingMessageReceive(info)))
      assert(Exit.isFailure(exit))
      expect(Cause.pretty(exit.cause)).toContain("only recorded inside another trace")
    }).pipe(Effect.scoped, withTest))

  it.effect("a destination type other than QUEUE or TOPIC is reported", () =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo({
        ...requests,
        destinationType: "FANOUT" as Messaging.DestinationType
      })
      const exit = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceOutgoingMessage(info)))
      assert(Exit.isFailure(exit))
      expect(Cause.pretty(exit.cause)).toContain(`"destinationType" must be "QUEUE" or "TOPIC"`)
    }).pipe(Effect.scoped, withTest))
})
