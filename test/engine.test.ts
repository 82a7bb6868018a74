import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChannelType, OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { load } from "../src/internal/addon.ts"
import { decodeJson } from "./support/otlp.ts"
import { eventually } from "./support/wait.ts"

const addon = () => {
  const loaded = load()
  if (loaded._tag !== "Loaded") throw new Error(loaded.message)
  return loaded.addon
}

// How many other spans end after a span before a new span gets its slot: until then the ended span's handle still
// resolves (as an ended span), afterwards it is stale. Measured on an engine of its own, by handle status only.
const reuseDistance = (): number => {
  const a = addon()
  expect(a.engine_init(new Float64Array(a.counter_count), new Int32Array(a.ids_count), 64, 1, 0, 0)).toBe(0)
  try {
    const template = a.template_create("s", 1, 0, [])
    const first = a.span_start(0, template)
    expect(first).toBeGreaterThan(0)
    expect(a.span_end(first)).toBe(0)
    const seen = new Set<number>([first])
    for (let ended = 0; ended < 1 << 22; ended++) {
      const h = a.span_start(0, template)
      expect(h).toBeGreaterThan(0)
      // Small integers (V8 Smis), each handle new.
      expect(h).toBeLessThanOrEqual(0x7fffffff)
      expect(seen.has(h)).toBe(false)
      seen.add(h)
      const status = a.span_end(first)
      if (status === -2) {
        // The slot was reused: the old handle names nothing, not the new span.
        expect(a.span_tag(first)).toBe(-2)
        expect(a.span_tag(h)).toMatch(/^00-/)
        return ended
      }
      expect(status).toBe(-3)  // still resolves, as the ended span it was
      expect(a.span_end(h)).toBe(0)
    }
    throw new Error("the slot was never reused")
  } finally {
    a.engine_shutdown()
  }
}

const lateChild = OneAgentSdk.traceOutgoingRemoteCall({
  method: "late",
  service: "child",
  endpoint: "e",
  channel: { type: ChannelType.OTHER }
})
const fillers = (n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "filler", service: "f" }))
  })

// Measures the reuse distance first (on an engine of its own), then runs the test on a test layer's engine.
const withLayer = <A, E>(
  f: (delay: number) => Effect.Effect<A, E, OneAgentSdk | OneAgentTest.OneAgentTest>,
  options: { readonly effectSpans: boolean } = { effectSpans: false }
) =>
  Effect.suspend(() => {
    const delay = reuseDistance()
    return f(delay).pipe(Effect.provide(OneAgentTest.layer(options)))
  })

describe("engine", () => {
  describe("a child started after its ended parent's slot is free for reuse", () => {
    // The parent has ended and more spans than the reuse delay ended after it, so its slot is the first one a new
    // span gets. The child must still record the parent's span id, not the id the engine just drew for itself.
    it.effect("a fiber forked inside a traced effect", () =>
      withLayer((delay) =>
        Effect.gen(function*() {
          const t = yield* OneAgentTest.OneAgentTest
          const go = yield* Deferred.make<void>()
          const late = yield* Effect.forkDetach(Deferred.await(go).pipe(Effect.andThen(Effect.void.pipe(lateChild)))).pipe(
            OneAgentSdk.traceIncomingRemoteCall({ method: "parent", service: "P", endpoint: "e" })
          )
          yield* fillers(delay)
          yield* Deferred.succeed(go, undefined)
          yield* Fiber.join(late)
          const parent = yield* t.span("P/parent")
          const child = yield* t.span("child/late")
          expect(child.traceId).toBe(parent.traceId)
          expect(child.parentSpanId).not.toBe(child.spanId)
          expect(child.parentSpanId).toBe(parent.spanId)
        })
      ), 20_000)

    it.effect("an Effect.withSpan child in a detached fiber, of an Effect.withSpan parent and of an SDK parent", () =>
      withLayer((delay) =>
        Effect.gen(function*() {
          const t = yield* OneAgentTest.OneAgentTest
          const go = yield* Deferred.make<void>()
          const lateEffectChild = (name: string) =>
            Effect.forkDetach(Deferred.await(go).pipe(Effect.andThen(Effect.void.pipe(Effect.withSpan(name)))))
          const ofEffect = yield* lateEffectChild("late-of-effect").pipe(Effect.withSpan("effect-parent"))
          const ofSdk = yield* lateEffectChild("late-of-sdk").pipe(
            OneAgentSdk.traceIncomingRemoteCall({ method: "parent", service: "P", endpoint: "e" })
          )
          yield* fillers(delay)
          yield* Deferred.succeed(go, undefined)
          yield* Fiber.join(ofEffect)
          yield* Fiber.join(ofSdk)
          for (const [parentName, childName] of [["effect-parent", "late-of-effect"], ["P/parent", "late-of-sdk"]]) {
            const parent = yield* t.span(parentName!)
            const child = yield* t.span(childName!)
            expect(child.traceId).toBe(parent.traceId)
            expect(child.parentSpanId).toBe(parent.spanId)
          }
        }), { effectSpans: true }), 20_000)

    it.effect("an in-process link", () =>
      withLayer((delay) =>
        Effect.gen(function*() {
          const t = yield* OneAgentTest.OneAgentTest
          const link = yield* OneAgentSdk.createInProcessLink.pipe(
            OneAgentSdk.traceIncomingRemoteCall({ method: "creator", service: "P", endpoint: "e" })
          )
          yield* fillers(delay)
          yield* Effect.void.pipe(lateChild, OneAgentSdk.traceInProcessLink(link))
          const creator = yield* t.span("P/creator")
          const linked = (yield* t.spans).find((s) => s.parentSpanId !== undefined && s.traceId === creator.traceId &&
            s.name !== "child/late")
          expect(linked).toBeDefined()
          expect(linked!.parentSpanId).not.toBe(linked!.spanId)
          expect(linked!.parentSpanId).toBe(creator.spanId)
        })
      ), 20_000)
  })

  describe("a child started in its ended parent's slot (engine calls)", () => {
    it("records the parent's span id and inherits its tracestate", () => {
      const a = addon()
      const delay = reuseDistance()
      expect(a.engine_init(new Float64Array(a.counter_count), new Int32Array(a.ids_count), 64, 1, 0, 0)).toBe(0)
      try {
        expect(a.export_open(0, "json", [], "effect-oneagent", "0.1.0", false)).toBe(0)
        const drain = () => {
          const spans: Array<any> = []
          for (let batch = a.export_take(4096, 0); batch !== null; batch = a.export_take(4096, 0)) {
            a.export_settle(batch[1])
            spans.push(...decodeJson(batch[0]).spans)
          }
          return spans
        }
        const template = a.template_create("s", 1, 0, [])
        const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        const state = "vendor=" + "x".repeat(100)  // longer than a short string kept inline
        const parent = a.span_start_tagged(0, template, traceparent, state)
        expect(parent).toBeGreaterThan(0)
        const parentTag = a.span_tag(parent) as string
        expect(a.span_end(parent)).toBe(0)
        for (let i = 0; i < delay; i++) {
          expect(a.span_end(a.span_start(0, template))).toBe(0)
          if (i % 32 === 0) drain()
        }
        drain()
        const child = a.span_start(parent, template)
        expect(child).toBeGreaterThan(0)
        expect(child & 0x3ffff).toBe(parent & 0x3ffff)  // the parent's slot, as the scenario needs
        expect(a.span_end(child)).toBe(0)
        const [record] = drain()
        expect(record.traceId).toBe("0af7651916cd43dd8448eb211c80319c")
        expect(record.parentSpanId).toBe(parentTag.slice(36, 52))
        expect(record.parentSpanId).not.toBe(record.spanId)
        expect(record.traceState).toBe(state)
        // Reused by the next span: the old handle no longer starts anything, so a caller starts from the ids it kept.
        expect(a.span_end(a.span_start(0, template))).toBe(0)
        expect(a.span_start(parent, template)).toBe(-8)
        a.export_close()
      } finally {
        a.engine_shutdown()
      }
    })
  })

  describe("engine_init", () => {
    it("refuses ring capacities that are not an integer up to 4,194,304, without allocating them", () => {
      const a = addon()
      for (const capacity of [-1, 4_294_967_295, 4_194_305, 2 ** 40, 1.5, Number.NaN, Infinity, "64"]) {
        expect(a.engine_init(new Float64Array(a.counter_count), new Int32Array(a.ids_count), capacity as number, 1, 0, 0)).toBe(-1)
      }
      for (const capacity of [0, 1, 4_194_304]) {
        expect(a.engine_init(new Float64Array(a.counter_count), new Int32Array(a.ids_count), capacity, 1, 0, 0)).toBe(0)
        expect(a.engine_shutdown()).toBe(0)
      }
    })
  })

  describe("handles", () => {
    // A stale handle is detected until its slot has been reused 8,191 times (13 generation bits), and a slot is
    // reused only after at least 16,384 other spans ended since it was freed: over 134 million spans. Running that
    // takes minutes; this proves the reuse distance the guarantee multiplies, and that a reuse changes the handle.
    it("an ended span's slot is reused only after 16,384 other spans ended, under a new handle", () => {
      expect(reuseDistance()).toBeGreaterThanOrEqual(16_384)
    })
  })

  describe("a small buffer", () => {
    // With a buffer smaller than a batch, the export must not wait for the interval, or the bound is reached first.
    it.live("is exported once half of it waits, long before the export interval", () => {
      const dir = mkdtempSync(join(tmpdir(), "oneagent-engine-"))
      return Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        for (let i = 0; i < 40; i++) {
          yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "small-buffer" }))
        }
        // The interval is 60 s: anything exported while the layer is open was taken because half the buffer waited.
        // No event says so: the count is polled (bounded well below the interval).
        const stats = yield* eventually(
          "the 40 spans exported",
          Effect.map(sdk.stats, (s) => (s.spansExported >= 40 ? s : undefined))
        )
        expect(stats).toMatchObject({ spansEnded: 40, spansExported: 40, spansDroppedBuffer: 0 })
      }).pipe(
        Effect.provide(OneAgentSdk.layer({
          bufferSize: 64,
          exportInterval: 60_000,
          effectSpans: false,
          export: { file: join(dir, "traces.jsonl") }
        })),
        Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      )
    }, 20_000)
  })
})
