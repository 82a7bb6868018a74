// Remote calls: an incoming call continues the caller's trace from its string or byte tag (or starts one), an
// outgoing call gives the tags of its own span for the callee and records its channel.
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { ChannelType, OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { incoming, outgoing, traceparent, withTest } from "./support/sdk.ts"

describe("RemoteCall", () => {
  describe("incoming remote call", () => {
    it.effect("records a SERVER root span with rpc attributes", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const result = yield* Effect.succeed(42).pipe(OneAgentSdk.traceIncomingRemoteCall(incoming))
        expect(result).toBe(42)
        const span = yield* test.span("Orders/placeOrder")
        expect(span.kind).toBe("server")
        expect(span.parentSpanId).toBeUndefined()
        expect(span.status.code).toBe("unset")
        expect(span.attributes).toMatchObject({
          "rpc.method": "placeOrder",
          "rpc.service": "Orders",
          "oneagent.remote_call.endpoint": "rpc://orders"
        })
        expect(span.endTime >= span.startTime).toBe(true)
      }).pipe(withTest))

    it.effect("continues the caller's trace from a string tag, carrying tracestate", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({
          ...incoming,
          stringTag: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          traceState: "dt=abc,vendor=1"
        }))
        const span = yield* test.span("Orders/placeOrder")
        expect(span.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
        expect(span.parentSpanId).toBe("00f067aa0ba902b7")
        expect(span.traceState).toBe("dt=abc,vendor=1")
      }).pipe(withTest))

    it.effect("continues the caller's trace from a byte tag made by an outgoing call", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        const bytes = yield* Effect.scoped(
          Effect.flatMap(sdk.traceOutgoingRemoteCall(outgoing), (call) => call.outgoingByteTag)
        )
        expect(bytes.length).toBe(29)
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, byteTag: bytes }))
        const client = yield* test.span("Payments/charge")
        const server = yield* test.span("Orders/placeOrder")
        expect(server.traceId).toBe(client.traceId)
        expect(server.parentSpanId).toBe(client.spanId)
      }).pipe(withTest))

    it.effect("starts a new trace for a malformed tag and says so on the verbose callback", () =>
      Effect.gen(function*() {
        const verbose: Array<string> = []
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        yield* sdk.setVerboseCallback((m) => verbose.push(m))
        for (const tag of ["garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "0".repeat(10_000)]) {
          yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: tag }))
        }
        const spans = yield* test.spans
        expect(spans).toHaveLength(3)
        for (const span of spans) expect(span.parentSpanId).toBeUndefined()
        expect(verbose).toHaveLength(3)
        expect(verbose[0]).toContain("could not be parsed")
      }).pipe(withTest))

    it.effect("giving both a string and a byte tag is misuse: the strict layer fails the test", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({
          ...incoming,
          stringTag: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          byteTag: new Uint8Array(29)
        })))
        assert(Exit.isFailure(exit))
        expect(Cause.pretty(exit.cause)).toContain("both a string and a byte tag")
      }).pipe(withTest))

    it.effect("giving both tags in production: diagnostic, both ignored, the effect's result unchanged", () =>
      Effect.gen(function*() {
        const diagnostics: Array<string> = []
        const result = yield* Effect.succeed("ok").pipe(
          OneAgentSdk.traceIncomingRemoteCall({
            ...incoming,
            stringTag: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            byteTag: new Uint8Array(29)
          }),
          Effect.provide(OneAgentSdk.layer({ diagnosticCallback: (m) => diagnostics.push(m) }))
        )
        expect(result).toBe("ok")
        expect(diagnostics).toEqual([expect.stringContaining("both a string and a byte tag")])
      }))
  })

  describe("outgoing remote call", () => {
    it.effect("gives string and byte tags of its own span while started, and channel attributes", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        const [stringTag, byteTag] = yield* Effect.scoped(Effect.gen(function*() {
          const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
          return [yield* call.outgoingStringTag, yield* call.outgoingByteTag] as const
        }))
        const span = yield* test.span("Payments/charge")
        const match = traceparent.exec(stringTag)
        assert(match !== null)
        expect(match[1]).toBe(span.traceId)
        expect(match[2]).toBe(span.spanId)
        expect(Buffer.from(byteTag.subarray(2, 18)).toString("hex")).toBe(span.traceId)
        expect(Buffer.from(byteTag.subarray(19, 27)).toString("hex")).toBe(span.spanId)
        expect(span.kind).toBe("client")
        expect(span.attributes).toMatchObject({
          "oneagent.channel.type": "TCP_IP",
          "server.address": "payments.internal",
          "server.port": 443,
          "network.transport": "tcp"
        })
      }).pipe(withTest))
  })

  describe("channels", () => {
    it.effect("a channel type outside ChannelType is recorded as OTHER and reported (misuse for the strict layer)", () =>
      Effect.gen(function*() {
        const call = { ...outgoing, channel: { type: 99 as ChannelType, endpoint: "x:1" } }
        const strict = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceOutgoingRemoteCall(call), withTest))
        assert(Exit.isFailure(strict))
        expect(Cause.pretty(strict.cause)).toContain("must be a ChannelType (0 to 4), got 99")
        const diagnostics: Array<string> = []
        const result = yield* Effect.succeed("ran").pipe(
          OneAgentSdk.traceOutgoingRemoteCall(call),
          Effect.provide(OneAgentSdk.layer({
            diagnosticCallback: (m) => diagnostics.push(m),
            export: { file: "/dev/null", shutdownTimeout: 0 }
          }))
        )
        expect(result).toBe("ran")
        expect(diagnostics.join("\n")).toContain("recorded as OTHER")
      }))
  })
})
