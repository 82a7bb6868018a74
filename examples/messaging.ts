/**
 * Messaging: a producer sends messages carrying the tag in their properties, a consumer fiber receives
 * and processes them; each message's processing continues the producer's trace.
 *
 * Run: npx node examples/messaging.ts
 */
import { Effect, Fiber, Queue } from "effect"
import { ChannelType, Messaging, OneAgentSdk } from "../src/index.ts"

interface Message {
  readonly id: string
  readonly body: string
  readonly properties: Readonly<Record<string, string>>
}

const program = Effect.gen(function*() {
  const info = yield* OneAgentSdk.createMessagingSystemInfo({
    vendor: "rabbitmq",
    destination: "orders",
    destinationType: Messaging.DestinationType.QUEUE,
    channel: { type: ChannelType.TCP_IP, endpoint: "mq.internal:5672" }
  })
  const queue = yield* Queue.unbounded<Message>()

  const consume = Effect.gen(function*() {
    const message = yield* Queue.take(queue).pipe(OneAgentSdk.traceIncomingMessageReceive(info))
    yield* Effect.sleep("2 millis").pipe(
      OneAgentSdk.traceIncomingMessageProcess(info, { properties: message.properties, vendorMessageId: message.id })
    )
  }).pipe(OneAgentSdk.traceCustomService({ method: "poll", service: "OrderConsumer" }))

  const consumer = yield* Effect.forkChild(Effect.repeat(consume, { times: 2 }))

  const publish = (id: string, body: string) =>
    Effect.gen(function*() {
      const properties = yield* OneAgentSdk.outgoingMessageProperties
      yield* Queue.offer(queue, { id, body, properties })
    }).pipe(
      OneAgentSdk.traceOutgoingMessage(info, { vendorMessageId: id }),
      OneAgentSdk.traceIncomingRemoteCall({ method: "placeOrder", service: "Orders", endpoint: "rpc://orders" })
    )

  yield* Effect.forEach(["m-1", "m-2", "m-3"], (id) => publish(id, `order ${id}`))
  yield* Fiber.join(consumer)
})

Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(OneAgentSdk.layer({ console: true, export: { file: ".traces/messaging.jsonl" } })))
)
