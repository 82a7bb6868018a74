// The current trace context as the application reads it: the W3C tag of the span it is in, to pass on.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { outgoing, withTest } from "./support/sdk.ts"

describe("TraceContext", () => {
  describe("currentStringTag", () => {
    it.effect("currentStringTag inside the combinator is the outgoing call's tag", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const tag = yield* OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
        const span = yield* test.span("Payments/charge")
        expect(tag).toBe(`00-${span.traceId}-${span.spanId}-01`)
        expect(yield* OneAgentSdk.currentStringTag).toBe("")
      }).pipe(withTest))
  })
})
