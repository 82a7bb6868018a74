// Unsampled spans in production: with a parent-based sampler they are kept without the engine (nothing open, no
// record), still propagate their trace with the sampled flag clear, and never reach the receiver; new roots the
// ratio leaves out get trace ids that agree with the decision, as a trace-id ratio sampler elsewhere would make it.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import fc from "fast-check"
import { ChannelType, OneAgentSdk, type OneAgentSdkService } from "../src/index.ts"
import * as TraceContext from "../src/internal/traceContext.ts"
import { receiver, spansOf, withSdk } from "./support/otlp.ts"
import { goKeeps, otelJsKeeps, pythonKeeps } from "./support/samplers.ts"

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const unsampledTag = `00-${traceId}-00f067aa0ba902b7-00`
const sampledTag = `00-${traceId.replace("4bf9", "5caa")}-00f067aa0ba902b7-01`
const incoming = { method: "handle", service: "Orders", endpoint: "rpc://orders" } as const
const outgoing = { method: "charge", service: "Payments", endpoint: "rpc://payments", channel: { type: ChannelType.TCP_IP } }

const tagOf = (tag: string) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(tag)
  expect(match, `a W3C traceparent: "${tag}"`).not.toBeNull()
  return { traceId: match![1]!, spanId: match![2]!, flags: match![3]! }
}

// One request: a custom service inside, an outgoing call inside that, an in-process link continued in another
// fiber. Returns what the application would send on, and what the engine held open meanwhile.
const request = (sdk: OneAgentSdkService, stringTag: string) =>
  Effect.gen(function*() {
    const openInRequest = (yield* sdk.stats).spansOpen
    yield* OneAgentSdk.addCustomRequestAttribute("order.id", 42)
    const context = yield* OneAgentSdk.currentTraceContext
    const link = yield* OneAgentSdk.createInProcessLink
    const linked = yield* Effect.forkChild(OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceInProcessLink(link)))
    const { stringTag: sent, byteTag } = yield* Effect.scoped(Effect.gen(function*() {
      const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
      return { stringTag: yield* call.outgoingStringTag, byteTag: yield* call.outgoingByteTag }
    })).pipe(OneAgentSdk.traceCustomService({ method: "authorize", service: "Fraud" }))
    const headers = yield* OneAgentSdk.outgoingHeaders
    return { openInRequest, context, sent, byteTag, headers, linked: yield* Fiber.join(linked) }
  }).pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag }))

describe("unsampled contexts", () => {
  // The W3C grammar for version 00, with the ids not all zero and the sampled flag clear.
  const reference = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f][02468ace]$/
  const hexDigits = "0123456789abcdef".split("")

  it("recognises exactly the unsampled version-00 traceparents", () => {
    // Valid-looking tags with each character replaced at random by a digit, a letter, a dash or upper case.
    const near = fc.tuple(
      fc.array(fc.constantFrom(...hexDigits, "0", "0", "0"), { minLength: 32, maxLength: 32 }),
      fc.array(fc.constantFrom(...hexDigits, "0", "0", "0"), { minLength: 16, maxLength: 16 }),
      fc.constantFrom(...hexDigits),
      fc.constantFrom(...hexDigits),
      fc.array(fc.tuple(fc.nat(54), fc.constantFrom("-", "A", "g", " ", "0", "f")), { maxLength: 2 })
    ).map(([trace, span, high, low, edits]) => {
      const chars = `00-${trace.join("")}-${span.join("")}-${high}${low}`.split("")
      for (const [at, char] of edits) chars[at] = char
      return chars.join("")
    })
    const ids = new Int32Array(10)
    fc.assert(fc.property(fc.oneof(near, fc.string()), (tag) => TraceContext.isUnsampledTraceparent(tag, ids) === reference.test(tag)), {
      numRuns: 20_000
    })
  })

})

describe("unsampled spans in production", () => {
  it.live("an unsampled incoming tag: propagated with the flag clear, nothing held open, nothing exported", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const run = yield* withSdk({ export: { endpoint: rx.url } }, (sdk) =>
        Effect.gen(function*() {
          const unsampled = yield* request(sdk, unsampledTag)
          const sampled = yield* request(sdk, sampledTag)
          return { unsampled, sampled, stats: yield* sdk.stats }
        }))
      const { sampled, unsampled } = run.result

      // The unsampled request held no engine span open; the sampled one did (incoming, and the test's own view).
      expect(unsampled.openInRequest).toBe(0)
      expect(sampled.openInRequest).toBe(1)
      // Its context is the incoming trace, unsampled, and every tag it sends continues it with a new span id.
      expect(unsampled.context).toEqual({ isValid: true, traceId, spanId: "00f067aa0ba902b7", sampled: false })
      for (const tag of [unsampled.sent, unsampled.linked, unsampled.headers.traceparent!]) {
        const parsed = tagOf(tag)
        expect(parsed.traceId).toBe(traceId)
        expect(parsed.flags).toBe("00")
        expect(parsed.spanId).not.toBe("00f067aa0ba902b7")
        expect(parsed.spanId).not.toBe("0000000000000000")
      }
      expect(unsampled.headers["X-dynaTrace"]).toBe(unsampled.headers.traceparent)
      // The binary tag says the same: version 0, trace id, span id, options 0.
      const bytes = Buffer.from(unsampled.byteTag)
      expect(bytes).toHaveLength(29)
      expect([bytes[0], bytes[1], bytes[18], bytes[27], bytes[28]]).toEqual([0, 0, 1, 2, 0])
      expect(bytes.subarray(2, 18).toString("hex")).toBe(traceId)

      // The receiver got the sampled request's four spans and nothing of the unsampled one.
      const spans = spansOf(rx.accepted)
      expect(spans.map((s) => s.name).sort()).toEqual(["Fraud/authorize", "Orders/handle", "Payments/charge", "InProcessLink"].sort())
      expect(spans.every((s) => s.traceId === tagOf(sampledTag).traceId)).toBe(true)
      for (const tag of [sampled.sent, sampled.linked]) expect(tagOf(tag).flags).toBe("01")

      // Counted: four unsampled spans, started and ended; the stats add up with the exported ones.
      const stats = run.result.stats
      expect(stats.spansUnsampled).toBe(4)
      expect(stats.spansStarted).toBe(8)
      expect(stats.spansEnded).toBe(8)
      expect(stats.spansOpen).toBe(0)
      expect(run.diagnostics).toEqual([])
    }))

  it.live("with Effect spans around or inside an unsampled request, the innermost context is the one seen", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const run = yield* withSdk({ export: { endpoint: rx.url } }, () =>
        Effect.gen(function*() {
          const unsampledInside = yield* OneAgentSdk.currentTraceContext.pipe(
            OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag }),
            Effect.withSpan("outer")
          )
          const effectInside = yield* Effect.all([OneAgentSdk.currentTraceContext, Effect.currentSpan]).pipe(
            Effect.withSpan("inner"),
            OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag })
          )
          return { unsampledInside, effectInside }
        }))
      const { effectInside, unsampledInside } = run.result
      expect(unsampledInside).toEqual({ isValid: true, traceId, spanId: "00f067aa0ba902b7", sampled: false })
      const [context, span] = effectInside
      expect(context).toEqual({ isValid: true, traceId, spanId: span.spanId, sampled: false })
      expect(span.spanId).not.toBe("00f067aa0ba902b7")
      // Only the sampled Effect span around the first request was exported.
      expect(spansOf(rx.accepted).map((s) => s.name)).toEqual(["outer"])
    }))

  it.live("misuse of an unsampled tracer is reported as for any other, and the application's result is unchanged", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const run = yield* withSdk({ export: { endpoint: rx.url } }, (sdk) =>
        Effect.scoped(Effect.gen(function*() {
          const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
          yield* call.end
          yield* call.end
          return { tag: yield* call.outgoingStringTag, value: 42 }
        })).pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag })))
      expect(run.result).toEqual({ tag: "", value: 42 })
      expect(run.diagnostics).toEqual([
        "traceOutgoingRemoteCall.end: the tracer has already ended",
        "traceOutgoingRemoteCall.outgoingStringTag: the tracer has already ended"
      ])
      expect(rx.accepted).toEqual([])
    }))

  it.live("always_off: every root is unsampled, each a trace of its own, and nothing is held open or exported", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const run = yield* withSdk({ sampler: { name: "parentbased_always_off" }, export: { endpoint: rx.url } }, (sdk) =>
        Effect.gen(function*() {
          const seen: Array<{ readonly tag: string; readonly open: number }> = []
          for (let i = 0; i < 100; i++) {
            seen.push(
              yield* Effect.all({ tag: OneAgentSdk.currentStringTag, open: Effect.map(sdk.stats, (s) => s.spansOpen) })
                .pipe(OneAgentSdk.traceIncomingRemoteCall(incoming))
            )
          }
          return { seen, stats: yield* sdk.stats }
        }))
      const { seen, stats } = run.result
      expect(seen.every(({ open, tag }) => open === 0 && tagOf(tag).flags === "00")).toBe(true)
      expect(new Set(seen.map(({ tag }) => tagOf(tag).traceId)).size).toBe(100)
      expect(stats.spansUnsampled).toBe(100)
      expect(rx.accepted).toEqual([])
    }))

  it.live("a trace-id ratio: roots left out without the engine get trace ids the ratio agrees with", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const ratio = 0.3
      const roots = 2_000
      const run = yield* withSdk(
        { sampler: { name: "parentbased_traceidratio", ratio }, export: { endpoint: rx.url } },
        (sdk) =>
          Effect.gen(function*() {
            const tags: Array<string> = []
            for (let i = 0; i < roots; i++) {
              tags.push(
                yield* OneAgentSdk.currentStringTag.pipe(
                  OneAgentSdk.traceCustomService({ method: "child", service: "s" }),
                  OneAgentSdk.traceIncomingRemoteCall(incoming)
                )
              )
            }
            return { tags, stats: yield* sdk.stats }
          })
      )
      const { stats, tags } = run.result
      // A trace-id ratio sampler in a service downstream, at the same ratio, decides each trace as this one did.
      const samplers = { go: goKeeps(ratio), python: pythonKeeps(ratio), otelJs: otelJsKeeps(ratio) }
      const sampled = tags.filter((tag) => tagOf(tag).flags === "01")
      for (const tag of tags) {
        const kept = tagOf(tag).flags === "01"
        for (const [sdk, keeps] of Object.entries(samplers)) expect(keeps(tagOf(tag).traceId), `${sdk}: ${tag}`).toBe(kept)
      }
      // Binomial(2000, 0.3): 600 ± 20.5; the bounds are over 7 standard deviations wide.
      expect(sampled.length).toBeGreaterThan(450)
      expect(sampled.length).toBeLessThan(750)
      // Kept or left out whole: two spans per kept trace arrive, none of the others.
      const spans = spansOf(rx.accepted)
      expect(spans).toHaveLength(sampled.length * 2)
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(sampled.map((tag) => tagOf(tag).traceId)))
      expect(stats.spansUnsampled).toBe((roots - sampled.length) * 2)
      expect(stats.spansStarted).toBe(roots * 2)
    }))
})
