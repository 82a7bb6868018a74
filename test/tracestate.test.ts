// W3C trace context: the tracestate that came in with a trace travels on with every tag the trace sends, from
// engine spans and from unsampled ones alike; only a well-formed one, at most 512 characters, cut between members.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ChannelType, Messaging, OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { withTest } from "./support/sdk.ts"

const withSdk = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(Effect.provide(OneAgentSdk.layer({ export: { file: "/dev/null", shutdownTimeout: 0 } })))

const sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
const state = "dt=a1b2@dt,congo=t61rcWkgMzE"
const incoming = { method: "handle", service: "Orders", endpoint: "rpc://orders" } as const
const outgoing = {
  method: "charge",
  service: "Payments",
  endpoint: "rpc://payments",
  channel: { type: ChannelType.TCP_IP, endpoint: "payments:443" }
} as const
const info = {
  vendor: "kafka",
  destination: "orders",
  destinationType: Messaging.DestinationType.TOPIC,
  channel: { type: ChannelType.TCP_IP, endpoint: "kafka:9092" }
} as const

// Everything a trace sends from inside an incoming call that continued `tag` with `traceState`.
const sentFrom = (tag: string, traceState: string | undefined) =>
  Effect.gen(function*() {
    const sdk = yield* OneAgentSdk
    const messaging = yield* OneAgentSdk.createMessagingSystemInfo(info)
    const headers = yield* OneAgentSdk.outgoingHeaders.pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
    const properties = yield* OneAgentSdk.outgoingMessageProperties.pipe(OneAgentSdk.traceOutgoingMessage(messaging))
    const web = yield* Effect.flatMap(sdk.traceOutgoingWebRequest({ url: "http://down/x", method: "GET" }), (t) => t.outgoingHeaders)
    const message = yield* Effect.flatMap(sdk.traceOutgoingMessage(messaging), (t) => t.outgoingProperties)
    return { headers, properties, web, message }
  }).pipe(
    Effect.scoped,
    OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: tag, traceState })
  )

describe("tracestate", () => {
  for (const [label, tag] of [["sampled", sampled], ["unsampled", unsampled]] as const) {
    it.effect(`travels on with every tag a ${label} trace sends`, () =>
      Effect.gen(function*() {
        const sent = yield* sentFrom(tag, state)
        for (const carrier of [sent.headers, sent.properties, sent.web, sent.message]) {
          expect(carrier.tracestate).toBe(state)
          expect(carrier.traceparent).toMatch(new RegExp(`^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-${tag.slice(53)}$`))
        }
        expect(sent.headers["X-dynaTrace"]).toBe(sent.headers.traceparent)
        expect(sent.properties.dtdTraceTagInfo).toBe(sent.properties.traceparent)
      }).pipe(withSdk))
  }

  it.effect("an unsampled trace carries it without the engine: no engine span is opened for it", () =>
    Effect.gen(function*() {
      const sdk = yield* OneAgentSdk
      const inside = yield* Effect.all([sdk.openSpans, OneAgentSdk.outgoingHeaders]).pipe(
        Effect.flatMap(([open, headers]) =>
          Effect.map(
            // A child of the unsampled span, which the engine makes (Effect spans need a handle), keeps it too.
            OneAgentSdk.outgoingHeaders.pipe(Effect.withSpan("child")),
            (child) => ({ open, headers, child })
          )
        ),
        OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampled, traceState: state })
      )
      expect(inside.open).toEqual([])
      expect(inside.headers.tracestate).toBe(state)
      expect(inside.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/)
      expect(inside.child.tracestate).toBe(state)
      expect(inside.child.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/)
    }).pipe(withSdk))

  it.effect("a trace without one sends none; the strict test layer records the incoming one", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sent = yield* sentFrom(sampled, undefined)
      expect(sent.headers).not.toHaveProperty("tracestate")
      expect(Object.keys(sent.properties).sort()).toEqual(["dtdTraceTagInfo", "traceparent"])
      yield* sentFrom(sampled, state).pipe(Effect.andThen(test.clear))
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: sampled, traceState: state }))
      expect((yield* test.span("Orders/handle")).traceState).toBe(state)
    }).pipe(withTest))

  it.effect("only a well-formed tracestate travels, cut to 512 characters between members", () =>
    Effect.gen(function*() {
      const members = Array.from({ length: 32 }, (_, i) => `vendor${String(i).padStart(2, "0")}=${"v".repeat(20)}`)
      const long = members.join(",")
      expect(long.length).toBeGreaterThan(512)
      const cut = (yield* sentFrom(sampled, long)).headers.tracestate!
      expect(cut.length).toBeLessThanOrEqual(512)
      expect(long.startsWith(cut)).toBe(true)
      expect(cut.split(",").every((m) => members.includes(m))).toBe(true)
      // What does not parse as W3C tracestate is not propagated at all.
      const tooMany = Array.from({ length: 33 }, (_, i) => `v${i}=x`).join(",")
      for (const bad of ["dt=ä", "dt=a\nx", "dt=\u0000", "=bad", "a b=c", "ABC=1", "k=v,k=w", "k=v=w", "k=", tooMany]) {
        expect((yield* sentFrom(sampled, bad)).headers, bad).not.toHaveProperty("tracestate")
      }
      // Multi-tenant keys (Dynatrace's), empty members and spaces around members are fine.
      const dynatrace = "14cf8a95-ab@dt=fw4;0;0;0;0;0;0;ab , ,congo=t61"
      expect((yield* sentFrom(sampled, dynatrace)).headers.tracestate).toBe("14cf8a95-ab@dt=fw4;0;0;0;0;0;0;ab,congo=t61")
    }).pipe(withSdk))
})
