import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as Crypto from "node:crypto"
import { OneAgentSdk, OneAgentTest, Sampler } from "../src/index.ts"
import { goKeeps, otelJsKeeps, pythonKeeps } from "./support/samplers.ts"

const incoming = { method: "m", service: "s", endpoint: "e" } as const
const sampledTag = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const unsampledTag = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"

const run = <A, E, R>(self: Effect.Effect<A, E, R>, sampler: Sampler.Sampler) =>
  self.pipe(Effect.provide(OneAgentTest.layer({ sampler })))

describe("Sampler", () => {
  it("resolves names and ratios from options and the environment", () => {
    expect(Sampler.resolve(undefined, {}).sampler).toEqual({ ratio: 1, parentBased: true })
    expect(Sampler.resolve(undefined, { OTEL_TRACES_SAMPLER: "always_off" }).sampler).toEqual({ ratio: 0, parentBased: false })
    expect(Sampler.resolve(undefined, {
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25"
    }).sampler).toEqual({ ratio: 0.25, parentBased: true })
    expect(Sampler.resolve(undefined, { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }).warning)
      .toContain("from 0 to 1")
    expect(Sampler.resolve(undefined, { OTEL_TRACES_SAMPLER: "jaeger_remote" }).warning).toContain("unknown sampler")
    expect(Sampler.resolve({ name: "traceidratio", ratio: 0.5 }, { OTEL_TRACES_SAMPLER: "always_off" }).sampler)
      .toEqual({ ratio: 0.5, parentBased: false })
  })

  it.effect("always_off records nothing but still propagates an unsampled tag", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const tag = yield* OneAgentSdk.currentStringTag.pipe(
        OneAgentSdk.traceOutgoingRemoteCall({ ...incoming, channel: { type: 1 } }),
        OneAgentSdk.traceIncomingRemoteCall(incoming)
      )
      expect(tag).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)
      expect(yield* test.spans).toHaveLength(0)
      const sdk = yield* OneAgentSdk
      expect((yield* sdk.stats).spansUnsampled).toBe(2)
    }).pipe((self) => run(self, { name: "always_off" })))

  it.effect("parent-based: a sampled incoming tag is recorded even when new roots are not", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: sampledTag }))
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, method: "root" }))
      expect((yield* test.spans).map((s) => s.name)).toEqual(["s/m"])
    }).pipe((self) => run(self, { name: "parentbased_always_off" })))

  it.effect("parent-based: an unsampled incoming tag keeps the trace unsampled, children too", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const tag = yield* OneAgentSdk.currentStringTag.pipe(
        OneAgentSdk.traceCustomService({ method: "child", service: "s" }),
        OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag })
      )
      expect(tag.endsWith("-00")).toBe(true)
      expect(tag.slice(3, 35)).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
      expect(yield* test.spans).toHaveLength(0)
    }).pipe((self) => run(self, { name: "parentbased_always_on" })))

  it.effect("traceidratio keeps about its share of new traces, decided by the trace id", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      for (let i = 0; i < 4000; i++) {
        yield* Effect.void.pipe(
          OneAgentSdk.traceCustomService({ method: "child", service: "s" }),
          OneAgentSdk.traceIncomingRemoteCall(incoming)
        )
      }
      const spans = yield* test.spans
      const roots = spans.filter((s) => s.parentSpanId === undefined)
      // Binomial(4000, 0.25): 1000 ± 27; the bounds are over 7 standard deviations wide.
      expect(roots.length).toBeGreaterThan(800)
      expect(roots.length).toBeLessThan(1200)
      // A trace is kept or dropped whole.
      expect(spans.length).toBe(roots.length * 2)
    }).pipe((self) => run(self, { name: "parentbased_traceidratio", ratio: 0.25 })))

  it.effect("the strict layer keeps unsampled spans in the engine, so their misuse still fails the test", () =>
    Effect.gen(function*() {
      const sdk = yield* OneAgentSdk
      const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
        const call = yield* sdk.traceOutgoingRemoteCall({ ...incoming, channel: { type: 1 } })
        yield* call.end
        yield* call.end
      })).pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag })))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("already ended")
      expect((yield* sdk.stats).spansUnsampled).toBe(2)
    }).pipe((self) => run(self, { name: "parentbased_always_on" })))

  it.effect("always_on records an incoming call whose tag says unsampled, as OpenTelemetry's AlwaysOn does", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const tag = yield* OneAgentSdk.currentStringTag.pipe(
        OneAgentSdk.traceCustomService({ method: "child", service: "s" }),
        OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: unsampledTag })
      )
      const spans = yield* test.spans
      expect(spans.map((s) => s.name)).toEqual(["s/child", "s/m"])
      expect(spans.every((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736")).toBe(true)
      expect(spans[1]!.parentSpanId).toBe("00f067aa0ba902b7")
      expect(tag.endsWith("-01")).toBe(true)
    }).pipe((self) => run(self, { name: "always_on" })))

  describe("which trace-id ratio samplers elsewhere decide a trace as this one does", () => {
    const ratio = 0.25
    const samplers = { go: goKeeps(ratio), python: pythonKeeps(ratio), otelJs: otelJsKeeps(ratio) }

    for (const name of ["traceidratio", "parentbased_traceidratio"] as const) {
      it.effect(`${name}: a new root's trace id is kept by Go's, Python's and OpenTelemetry JS's sampler exactly when it is kept here`, () =>
        Effect.gen(function*() {
          const test = yield* OneAgentTest.OneAgentTest
          const tags: Array<string> = []
          for (let i = 0; i < 2_000; i++) {
            tags.push(yield* OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceIncomingRemoteCall(incoming)))
          }
          const recorded = new Set((yield* test.spans).map((s) => s.traceId))
          let kept = 0
          for (const tag of tags) {
            const traceId = tag.slice(3, 35)
            const sampled = tag.endsWith("-01")
            expect(recorded.has(traceId), tag).toBe(sampled)
            for (const [sdk, keeps] of Object.entries(samplers)) expect(keeps(traceId), `${sdk}: ${tag}`).toBe(sampled)
            if (sampled) kept++
          }
          // Binomial(2000, 0.25): 500 ± 19.4; the bounds are over 7 standard deviations wide.
          expect(kept).toBeGreaterThan(360)
          expect(kept).toBeLessThan(640)
        }).pipe((self) => run(self, { name, ratio })))
    }

    it.effect("traceidratio on a trace id from elsewhere: the low 64 bits decide, as in Go and Python; OpenTelemetry JS may differ", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const ids = Array.from({ length: 2_000 }, () => Crypto.randomBytes(16).toString("hex"))
        for (const id of ids) {
          yield* Effect.void.pipe(
            OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: `00-${id}-00f067aa0ba902b7-01` })
          )
        }
        const recorded = new Set((yield* test.spans).map((s) => s.traceId))
        let otelJsAgrees = 0
        for (const id of ids) {
          expect(samplers.go(id), id).toBe(recorded.has(id))
          expect(samplers.python(id), id).toBe(recorded.has(id))
          if (samplers.otelJs(id) === recorded.has(id)) otelJsAgrees++
        }
        // Two independent 25 % decisions agree on 62.5 % of ids (1,250 ± 21.6 of 2,000): by chance, not by rule.
        expect(otelJsAgrees).toBeLessThan(1_900)
      }).pipe((self) => run(self, { name: "traceidratio", ratio })))
  })

  it.effect("a non-parent-based ratio of 0 ignores a sampled incoming tag", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, stringTag: sampledTag }))
      expect(yield* test.spans).toHaveLength(0)
    }).pipe((self) => run(self, { name: "traceidratio", ratio: 0 })))
})
