import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { withTest } from "./support/sdk.ts"

const incoming = { method: "handle", service: "Orders", endpoint: "rpc://orders" } as const

describe("Effect spans", () => {
  it.effect("array attributes of primitives stay arrays; other objects are recorded as JSON", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.annotateCurrentSpan({ ids: [1, 2, 3], tags: ["a", "b"], nested: { a: [1] } }).pipe(
        Effect.withSpan("arrays", { attributes: { flags: [true, false] } })
      )
      const span = yield* test.span("arrays")
      expect(span.attributes).toMatchObject({
        ids: [1, 2, 3],
        tags: ["a", "b"],
        flags: [true, false],
        nested: "{\"a\":[1]}"
      })
    }).pipe(withTest))

  it.effect("Effect.withSpan inside and outside SDK tracers builds one tree", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.gen(function*() {
        yield* Effect.void.pipe(
          OneAgentSdk.traceCustomService({ method: "audit", service: "Audit" }),
          Effect.withSpan("effect.inner", { attributes: { "order.count": 3 } })
        )
      }).pipe(
        OneAgentSdk.traceIncomingRemoteCall(incoming),
        Effect.withSpan("effect.outer", { kind: "internal" })
      )
      const outer = yield* test.span("effect.outer")
      const call = yield* test.span("Orders/handle")
      const inner = yield* test.span("effect.inner")
      const audit = yield* test.span("Audit/audit")
      expect(outer.parentSpanId).toBeUndefined()
      expect(call.parentSpanId).toBe(outer.spanId)
      expect(inner.parentSpanId).toBe(call.spanId)
      expect(audit.parentSpanId).toBe(inner.spanId)
      expect(new Set([outer, call, inner, audit].map((s) => s.traceId)).size).toBe(1)
      expect(inner.attributes["order.count"]).toBe(3)
    }).pipe(withTest))

  it.effect("Effect span failures, annotations and log events are recorded", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.exit(Effect.gen(function*() {
        yield* Effect.annotateCurrentSpan("step", "validate")
        yield* Effect.logInfo("validating")
        return yield* Effect.fail(new Error("invalid order"))
      }).pipe(Effect.withSpan("validate")))
      const span = yield* test.span("validate")
      expect(span.status).toEqual({ code: "error", message: "Error: invalid order" })
      expect(span.attributes["step"]).toBe("validate")
      // Effect's logger writes each log line as an event of the current span.
      expect(span.events.map((e) => e.name)).toEqual(["validating", "exception"])
      expect(span.events[0]!.attributes["effect.logLevel"]).toBe("INFO")
    }).pipe(withTest))

  it.effect("an Effect span's ids are the engine's, so logs and tags agree", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const [traceId, spanId] = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        return [span.traceId, span.spanId] as const
      }).pipe(Effect.withSpan("ids"))
      const recorded = yield* test.span("ids")
      expect([traceId, spanId]).toEqual([recorded.traceId, recorded.spanId])
    }).pipe(withTest))

  it.effect("forked fibers inherit both kinds of parent", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Effect.void.pipe(Effect.withSpan("child")))
        yield* Fiber.join(fiber)
      }).pipe(OneAgentSdk.traceCustomService({ method: "parent", service: "s" }))
      expect((yield* test.span("child")).parentSpanId).toBe((yield* test.span("s/parent")).spanId)
    }).pipe(withTest))

  it.effect("effectSpans: false leaves Effect's tracer alone", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.void.pipe(Effect.withSpan("not-recorded"))
      expect(yield* test.spans).toHaveLength(0)
    }).pipe(Effect.provide(OneAgentTest.layer({ effectSpans: false }))))
})

describe("Effect span links", () => {
  it.effect("links given to Effect.withSpan and added later are recorded", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const first = yield* Effect.currentSpan.pipe(Effect.withSpan("first"))
      yield* Effect.void.pipe(Effect.withSpan("linked", { links: [{ span: first, attributes: { reason: "retry" } }] }))
      const recorded = yield* test.span("linked")
      const firstRecorded = yield* test.span("first")
      expect(recorded.links).toEqual([{ traceId: firstRecorded.traceId, spanId: firstRecorded.spanId }])
      expect(recorded.droppedLinksCount).toBe(0)
    }).pipe(withTest))

  it.effect("links past the bound (128) are counted, not recorded", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const first = yield* Effect.currentSpan.pipe(Effect.withSpan("first"))
      const links = Array.from({ length: 130 }, () => ({ span: first, attributes: {} }))
      yield* Effect.void.pipe(Effect.withSpan("many links", { links }))
      const recorded = yield* test.span("many links")
      expect(recorded.links).toHaveLength(128)
      expect(recorded.droppedLinksCount).toBe(2)
      expect(recorded.droppedEventsCount).toBe(0)
    }).pipe(withTest))
})

describe("tags and links inside Effect spans", () => {
  it.effect("currentStringTag and createInProcessLink see the innermost span, also an Effect span", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const [tag, link] = yield* Effect.all([OneAgentSdk.currentStringTag, OneAgentSdk.createInProcessLink]).pipe(
        Effect.withSpan("effect-only")
      )
      yield* Effect.void.pipe(OneAgentSdk.traceInProcessLink(link))
      const span = yield* test.span("effect-only")
      expect(tag).toBe(`00-${span.traceId}-${span.spanId}-01`)
      expect((yield* test.span("InProcessLink")).parentSpanId).toBe(span.spanId)
    }).pipe(withTest))
})
