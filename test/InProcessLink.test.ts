// In-process links: work started elsewhere in the process (another fiber, later) continues the creator's trace.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { incoming, withTest } from "./support/sdk.ts"

describe("InProcessLink", () => {
  describe("in-process links", () => {
    it.effect("continue the creator's trace in another fiber, even after the creator ended", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const creatorEnded = yield* Deferred.make<void>()
        const work = yield* Effect.gen(function*() {
          const link = yield* OneAgentSdk.createInProcessLink
          // Forked now, but traced once the incoming call below has ended.
          return yield* Effect.forkDetach(
            Deferred.await(creatorEnded).pipe(
              Effect.andThen(Effect.void.pipe(
                OneAgentSdk.traceCustomService({ method: "later", service: "Jobs" }),
                OneAgentSdk.traceInProcessLink(link)
              ))
            )
          )
        }).pipe(OneAgentSdk.traceIncomingRemoteCall(incoming))
        const root = yield* test.span("Orders/placeOrder")
        yield* Deferred.succeed(creatorEnded, undefined)
        yield* Fiber.join(work)
        const link = yield* test.span("InProcessLink")
        const job = yield* test.span("Jobs/later")
        expect(link.traceId).toBe(root.traceId)
        expect(link.parentSpanId).toBe(root.spanId)
        expect(link.startTime > root.endTime).toBe(true)
        expect(job.parentSpanId).toBe(link.spanId)
      }).pipe(withTest))

    it.effect("keep working after the creator's engine slot was reused, from the context they carry", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const link = yield* OneAgentSdk.createInProcessLink.pipe(OneAgentSdk.traceIncomingRemoteCall(incoming))
        const root = yield* test.span("Orders/placeOrder")
        // Enough spans that the creator's slot is handed out again (slots are reused after 16,384 others ended).
        for (let i = 0; i < 20_000; i++) yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
        yield* test.clear
        yield* Effect.void.pipe(OneAgentSdk.traceInProcessLink(link))
        const linked = yield* test.span("InProcessLink")
        expect(linked.traceId).toBe(root.traceId)
        expect(linked.parentSpanId).toBe(root.spanId)
      }).pipe(withTest))

    it.effect("an empty link (no current trace) traces nothing", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const link = yield* OneAgentSdk.createInProcessLink
        expect(link.handle).toBe(0)
        expect(yield* Effect.succeed(1).pipe(OneAgentSdk.traceInProcessLink(link))).toBe(1)
        expect(yield* test.spans).toHaveLength(0)
      }).pipe(withTest))
  })
})
