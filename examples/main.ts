/**
 * The main example: an order service that receives a remote call, charges a payment service over an
 * outgoing remote call (sending the tag), runs a custom service, adds custom request attributes, and
 * continues its trace in a forked fiber through an in-process link.
 *
 * Run: npm start   (prints each trace as a tree to stderr)
 */
import { Effect, Fiber } from "effect"
import { ChannelType, OneAgentSdk } from "../src/index.ts"

interface OrderRequest {
  readonly orderId: number
  readonly amount: number
  readonly tag: string | undefined
}

// Stands in for a real RPC client: it "sends" the headers and answers after a short delay.
const sendRpc = (headers: Record<string, string>) =>
  Effect.sleep("15 millis").pipe(Effect.as({ ok: headers["X-dynaTrace"] !== undefined }))

const charge = (request: OrderRequest) =>
  Effect.gen(function*() {
    const tag = yield* OneAgentSdk.currentStringTag
    return yield* sendRpc({ "X-dynaTrace": tag })
  }).pipe(
    OneAgentSdk.traceOutgoingRemoteCall({
      method: "charge",
      service: "Payments",
      endpoint: "rpc://payments",
      channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
    }),
    Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("amount", request.amount))
  )

const audit = (orderId: number) =>
  Effect.sleep("5 millis").pipe(
    Effect.andThen(OneAgentSdk.addCustomRequestAttribute("audited.order", orderId)),
    OneAgentSdk.traceCustomService({ method: "record", service: "AuditLog" })
  )

const handle = (request: OrderRequest) =>
  Effect.scoped(Effect.gen(function*() {
    yield* OneAgentSdk.addCustomRequestAttribute("order.id", request.orderId)
    const receipt = yield* charge(request)
    // Work that continues after the response, in another fiber, stays in this trace through a link.
    const link = yield* OneAgentSdk.createInProcessLink
    const background = yield* Effect.forkChild(
      audit(request.orderId).pipe(OneAgentSdk.traceInProcessLink(link))
    )
    yield* Fiber.join(background)
    return receipt
  })).pipe(
    OneAgentSdk.traceIncomingRemoteCall({
      method: "placeOrder",
      service: "Orders",
      endpoint: "rpc://orders",
      stringTag: request.tag
    })
  )

const program = Effect.gen(function*() {
  const sdk = yield* OneAgentSdk
  yield* Effect.logInfo(`InitResult: ${JSON.stringify(sdk.initResult)}, version ${sdk.agentVersionString}`)
  const results = yield* Effect.forEach(
    [
      { orderId: 1, amount: 12.5, tag: undefined },
      // A request that arrives from a traced caller continues the caller's trace.
      { orderId: 2, amount: 99, tag: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
    ],
    handle,
    { concurrency: "unbounded" }
  )
  yield* Effect.logInfo(`handled ${results.length} orders`)
})

Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer({ console: true }))))
