// Custom request attributes: added anywhere inside a service call, they land on the nearest one.
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { incoming, outgoing, withTest } from "./support/sdk.ts"

describe("RequestAttributes", () => {
  describe("custom request attributes", () => {
    it.effect("land on the nearest service call, from children and forked fibers, keeping repeated keys", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute("errorCount", 42)
          yield* OneAgentSdk.addCustomRequestAttribute("gross weight", 2.39)
          yield* OneAgentSdk.addCustomRequestAttribute("famous actor", "Benedict Cumberbatch")
          yield* OneAgentSdk.addCustomRequestAttribute("tag", "a").pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
          const fiber = yield* Effect.forkChild(OneAgentSdk.addCustomRequestAttribute("tag", "b"))
          yield* Fiber.join(fiber)
          yield* OneAgentSdk.addCustomRequestAttribute("nested", 1).pipe(
            OneAgentSdk.traceCustomService({ method: "m", service: "s" })
          )
        }).pipe(OneAgentSdk.traceIncomingRemoteCall(incoming))
        const root = yield* test.span("Orders/placeOrder")
        expect(root.attributes).toMatchObject({
          errorCount: 42,
          "gross weight": 2.39,
          "famous actor": "Benedict Cumberbatch",
          tag: ["a", "b"]
        })
        expect(root.attributes["nested"]).toBeUndefined()
        expect((yield* test.span("s/m")).attributes["nested"]).toBe(1)
        expect((yield* test.span("Payments/charge")).attributes["tag"]).toBeUndefined()
      }).pipe(withTest))

    it.effect("an empty key is misuse; NaN and Infinity values are kept and printed as such", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const empty = yield* Effect.exit(
          OneAgentSdk.addCustomRequestAttribute("", 1).pipe(OneAgentSdk.traceCustomService({ method: "e", service: "s" }))
        )
        assert(Exit.isFailure(empty))
        expect(Cause.pretty(empty.cause)).toContain("non-empty string key")
        yield* Effect.all([
          OneAgentSdk.addCustomRequestAttribute("nan", NaN),
          OneAgentSdk.addCustomRequestAttribute("inf", -Infinity)
        ]).pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
        expect((yield* test.span("s/m")).attributes).toMatchObject({ nan: NaN, inf: -Infinity })
        expect(yield* test.tree).toContain("nan=NaN inf=-Infinity")
      }).pipe(withTest))

    it.effect("with no open service call: misuse for the strict layer, a diagnostic in production", () =>
      Effect.gen(function*() {
        const strict = yield* Effect.exit(OneAgentSdk.addCustomRequestAttribute("k", 1).pipe(withTest))
        assert(Exit.isFailure(strict))
        expect(Cause.pretty(strict.cause)).toContain("no open service call")
        const diagnostics: Array<string> = []
        yield* OneAgentSdk.addCustomRequestAttribute("k", 1).pipe(
          Effect.provide(OneAgentSdk.layer({ diagnosticCallback: (m) => diagnostics.push(m) }))
        )
        expect(diagnostics).toEqual([expect.stringContaining("no open service call")])
      }))
  })
})
