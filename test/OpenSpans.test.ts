import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { OneAgentSdk } from "../src/index.ts"

describe("open-span report", () => {
  it.effect("a tracer left open is listed with its age and where it was started, and reported at shutdown", () =>
    Effect.gen(function*() {
      const diagnostics: Array<string> = []
      const neverClosed = yield* Scope.make()
      const open = yield* Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        // Deliberately leaked: its scope is never closed while the SDK runs.
        yield* sdk.traceCustomService({ method: "leaked", service: "Jobs" }).pipe(
          Effect.provideService(Scope.Scope, neverClosed)
        )
        yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "finished", service: "Jobs" }))
        return yield* sdk.openSpans
      }).pipe(Effect.provide(OneAgentSdk.layer({
        trackOpenSpans: true,
        diagnosticCallback: (m) => diagnostics.push(m),
        export: { file: "/dev/null" }
      })))
      expect(open.map((s) => s.name)).toEqual(["Jobs/leaked"])
      expect(open[0]!.ageMillis).toBeGreaterThanOrEqual(0)
      expect(open[0]!.startedAt).toContain("OpenSpans.test.ts")
      const report = diagnostics.find((d) => d.includes("never ended"))
      expect(report).toContain("1 span(s) were never ended")
      expect(report).toContain("Jobs/leaked")
      expect(report).toContain("OpenSpans.test.ts")
      yield* Scope.close(neverClosed, Exit.void)
    }))

  it.effect("without tracking, open spans are still listed, without a start site", () =>
    Effect.gen(function*() {
      const neverClosed = yield* Scope.make()
      const open = yield* Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        yield* sdk.traceCustomService({ method: "leaked", service: "Jobs" }).pipe(Effect.provideService(Scope.Scope, neverClosed))
        return yield* sdk.openSpans
      }).pipe(Effect.provide(OneAgentSdk.layer({ export: { file: "/dev/null" } })))
      expect(open.map((s) => [s.name, s.startedAt])).toEqual([["Jobs/leaked", undefined]])
      yield* Scope.close(neverClosed, Exit.void)
    }))
})
