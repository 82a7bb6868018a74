import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, References } from "effect"
import { Logging, OneAgentSdk, OneAgentTest } from "../src/index.ts"

describe("Logging", () => {
  it.effect("log lines inside a trace carry trace_id and span_id of the innermost span", () =>
    Effect.gen(function*() {
      const lines: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
      const capture = Logger.make((options) => {
        lines.push({ message: options.message, annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) } })
      })
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("outer")
        yield* Effect.logInfo("inner").pipe(Effect.withSpan("inner-span"))
      }).pipe(
        OneAgentSdk.traceCustomService({ method: "m", service: "s" }),
        Effect.andThen(Effect.logInfo("outside")),
        Effect.provide(Logging.layer.pipe(Layer.provide(Logger.layer([capture]))))
      )
      const service = yield* test.span("s/m")
      const inner = yield* test.span("inner-span")
      expect(lines.map((l) => l.message)).toEqual([["outer"], ["inner"], ["outside"]])
      expect(lines[0]!.annotations).toMatchObject({ trace_id: service.traceId, span_id: service.spanId, trace_flags: "01" })
      expect(lines[1]!.annotations).toMatchObject({ trace_id: inner.traceId, span_id: inner.spanId })
      expect(lines[2]!.annotations["trace_id"]).toBeUndefined()
    }).pipe(Effect.provide(OneAgentTest.layer())))

  it.effect("log lines become events of the innermost span: an SDK tracer's, or an Effect span's (once)", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.gen(function*() {
        yield* Effect.logWarning("charging").pipe(Effect.annotateLogs({ order: 7 }))
        yield* Effect.logInfo("validating").pipe(Effect.withSpan("validate"))
      }).pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
      yield* Effect.logInfo("outside")
      const service = yield* test.span("s/m")
      expect(service.events.map((e) => e.name)).toEqual(["charging"])
      expect(service.events[0]!.attributes).toMatchObject({ order: 7, "effect.logLevel": "WARN" })
      expect((yield* test.span("validate")).events.map((e) => e.name)).toEqual(["validating"])
      // An SDK tracer inside an Effect span: the line is the SDK span's only, not the outer Effect span's too.
      yield* Effect.logInfo("inner").pipe(
        OneAgentSdk.traceCustomService({ method: "inner", service: "s" }),
        Effect.andThen(Effect.logInfo("outer")),
        Effect.withSpan("outer-span")
      )
      expect((yield* test.span("s/inner")).events.map((e) => e.name)).toEqual(["inner"])
      expect((yield* test.span("outer-span")).events.map((e) => e.name)).toEqual(["outer"])
    }).pipe(Effect.provide(OneAgentTest.layer())))

  it.effect("logEvents: false leaves log lines out of the spans", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      yield* Effect.logInfo("charging").pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
      expect((yield* test.span("s/m")).events).toEqual([])
    }).pipe(Effect.provide(OneAgentTest.layer({ logEvents: false }))))

  it.effect("currentTraceContext gives the ids of the current span, and an invalid context outside", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const inside = yield* OneAgentSdk.currentTraceContext.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
      const span = yield* test.span("s/m")
      expect(inside).toEqual({ isValid: true, traceId: span.traceId, spanId: span.spanId, sampled: true })
      expect(yield* OneAgentSdk.currentTraceContext).toEqual({ isValid: false, traceId: "", spanId: "", sampled: false })
    }).pipe(Effect.provide(OneAgentTest.layer())))
})
