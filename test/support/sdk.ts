// What the family tests share: the strict test layer around a test body, and the remote calls they trace (an
// incoming call that starts or continues a trace, an outgoing one over TCP).
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { ChannelType, OneAgentTest } from "../../src/index.ts"

/** Runs a test body with the strict test layer, which records spans and turns misuse into a defect. */
export const withTest = <A, E, R>(self: Effect.Effect<A, E, R>, options?: Parameters<typeof OneAgentTest.layer>[0]) =>
  self.pipe(Effect.provide(OneAgentTest.layer(options)))

export const incoming = { method: "placeOrder", service: "Orders", endpoint: "rpc://orders" } as const

export const outgoing = {
  method: "charge",
  service: "Payments",
  endpoint: "rpc://payments",
  channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
} as const

/** A sampled W3C traceparent: trace id and span id. */
export const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

export class PaymentDeclined extends Data.TaggedError("PaymentDeclined")<{ readonly message: string }> {}
