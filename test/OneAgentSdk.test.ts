// The service and its layers: initialisation, reference counting, lifecycle and release, the outcome a tracer
// records from the effect's Exit, parentage through Effect's context, misuse, limits, test layers, and running
// without the engine. Each tracer family has a test file of its own (RemoteCall, CustomService, InProcessLink,
// RequestAttributes, TraceContext, Database, WebRequest, Messaging).
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Context, Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import {
  AgentState,
  InitResult,
  OneAgentSdk,
  type OneAgentSdkOptions,
  OneAgentTest,
  type Tracers
} from "../src/index.ts"
import { load } from "../src/internal/addon.ts"
import { incoming, outgoing, PaymentDeclined, withTest } from "./support/sdk.ts"

class Marker extends Context.Service<Marker, string>()("test/Marker") {}

describe("OneAgentSdk", () => {
  describe("layer", () => {
    it.effect("initialises the engine and reports state, found, compatible and version", () =>
      Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        expect(sdk.initResult).toEqual({ status: InitResult.STATUS_INITIALIZED, error: undefined })
        expect(InitResult.isOk(sdk.initResult)).toBe(true)
        expect(yield* sdk.agentState).toBe(AgentState.ACTIVE)
        expect(sdk.agentFound).toBe(true)
        expect(sdk.agentIsCompatible).toBe(true)
        // The engine this run loads (ONEAGENT_ENGINE=wasm for npm run test:wasm), named in the version too.
        const loaded = load()
        assert(loaded._tag === "Loaded")
        expect(sdk.engine).toBe(loaded.engine)
        expect(sdk.agentVersionString).toMatch(
          sdk.engine === "wasm" ? /^\d+\.\d+\.\d+\/\d+\.\d+\.\d+ \(wasm\)$/ : /^\d+\.\d+\.\d+\/\d+\.\d+\.\d+$/
        )
      }).pipe(Effect.provide(OneAgentSdk.layer())))

    it.effect("is reference counted: a second layer shares the engine and the last release shuts it down", () =>
      Effect.gen(function*() {
        const outer = yield* Layer.build(OneAgentTest.layer())
        const innerScope = yield* Effect.scope
        const inner = yield* Layer.buildWithScope(OneAgentSdk.layer(), innerScope)
        const first = outer.mapUnsafe.get(OneAgentSdk.key) as OneAgentSdk["Service"]
        const second = inner.mapUnsafe.get(OneAgentSdk.key) as OneAgentSdk["Service"]
        expect(first.initResult.status).toBe(InitResult.STATUS_INITIALIZED)
        expect(second.initResult.status).toBe(InitResult.STATUS_ALREADY_INITIALIZED)
        yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }), Effect.provide(inner))
        // The span traced through the second layer went to the engine they share...
        expect(yield* first.stats).toMatchObject({ spansStarted: 1, spansEnded: 1 })
        // ...and a test layer reads only the spans traced through it.
        const recorded = outer.mapUnsafe.get(OneAgentTest.OneAgentTest.key) as OneAgentTest.Service
        expect(yield* recorded.spans).toEqual([])
        yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "mine", service: "s" }), Effect.provide(outer))
        expect((yield* recorded.spans).map((s) => s.name)).toEqual(["s/mine"])
      }).pipe(Effect.scoped))

    it.effect("options it cannot use (wrong types from untyped callers) fall back to their defaults, with the reasons", () =>
      Effect.gen(function*() {
        const diagnostics: Array<string> = []
        const hostile: Record<string, unknown> = {
          diagnosticCallback: (m: string) => diagnostics.push(m),
          bufferSize: -1,
          maxAttributes: 0,
          exportInterval: 0,
          logLevel: "loud",
          captureHeaders: "ALL",
          redactHeaders: "x",
          redactNames: [42],
          keepNames: "x-idempotency-key",
          knownHttpMethods: ["GET", "NOT A TOKEN"],
          trackOpenSpans: "yes",
          export: { file: 5, shutdownTimeout: 0 }
        }
        Object.defineProperty(hostile, "sampler", { get: () => { throw new Error("getter") }, enumerable: true })
        const result = yield* Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const value = yield* Effect.succeed(42).pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
          return { value, initResult: sdk.initResult, stats: yield* sdk.stats }
        }).pipe(Effect.provide(OneAgentSdk.layer(hostile as OneAgentSdkOptions)))
        expect(result.value).toBe(42)
        expect(result.stats).toMatchObject({ spansStarted: 1, spansEnded: 1 })
        expect(result.initResult.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
        for (const option of ["bufferSize", "maxAttributes", "exportInterval", "logLevel", "captureHeaders", "redactHeaders", "redactNames", "keepNames", "knownHttpMethods", "trackOpenSpans", "sampler", "file"]) {
          expect(result.initResult.error).toContain(option)
          expect(diagnostics.join("\n")).toContain(option)
        }
      }))

    it.effect("null options, a relative or wrong nativeModulePath: never a throw, InitResult says what to do", () =>
      Effect.gen(function*() {
        const nullOptions = yield* OneAgentSdk.use((sdk) => Effect.succeed(sdk.initResult)).pipe(
          Effect.provide(OneAgentSdk.layer(null as unknown as OneAgentSdkOptions))
        )
        expect(nullOptions.error).toContain("the options must be an object")
        const initResultWith = (nativeModulePath: string) =>
          OneAgentSdk.use((sdk) => Effect.succeed(sdk.initResult)).pipe(
            Effect.provide(OneAgentSdk.layer({ nativeModulePath, export: { file: "/dev/null", shutdownTimeout: 0 } }))
          )
        // Relative to the working directory, as a user means it.
        const relative = yield* initResultWith(`./prebuilds/${process.platform}-${process.arch}/effect-oneagent.glibc.node`)
        expect(relative.status).toBeGreaterThanOrEqual(0)
        const missing = yield* initResultWith("./nowhere/effect-oneagent.node")
        expect(missing.status).toBe(InitResult.STATUS_LOAD_ERROR)
        expect(missing.error).toContain("nativeModulePath")
        expect(missing.error).toContain(`prebuilds/${process.platform}-${process.arch}/`)
        // A JavaScript file is not run, only a native module is loaded.
        const script = yield* initResultWith("./bin/effect-oneagent.js")
        expect(script.status).toBe(InitResult.STATUS_LOAD_ERROR)
        expect(script.error).toContain("is not a .node file")
      }))

    it.effect("after release the service reports PERMANENTLY_INACTIVE and traces nothing", () =>
      Effect.gen(function*() {
        const diagnostics: Array<string> = []
        const sdk = yield* Effect.scoped(
          Layer.build(OneAgentSdk.layer({ diagnosticCallback: (m) => diagnostics.push(m) })).pipe(
            Effect.map((context) => context.mapUnsafe.get(OneAgentSdk.key) as OneAgentSdk["Service"])
          )
        )
        expect(yield* sdk.agentState).toBe(AgentState.PERMANENTLY_INACTIVE)
        const result = yield* Effect.scoped(
          Effect.as(sdk.traceCustomService({ method: "late", service: "s" }), "still runs")
        )
        expect(result).toBe("still runs")
        expect(diagnostics.join("\n")).toContain("shut down")
      }))
  })

  describe("outcome from Exit", () => {
    it.effect("a typed failure marks the span failed with _tag and message and an exception event", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const exit = yield* Effect.exit(
          Effect.fail(new PaymentDeclined({ message: "card expired" })).pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
        )
        // The application's own result is unchanged.
        assert(Exit.isFailure(exit))
        expect(Cause.squash(exit.cause)).toBeInstanceOf(PaymentDeclined)
        const span = yield* test.span("Payments/charge")
        expect(span.status).toEqual({ code: "error", message: "PaymentDeclined: card expired" })
        expect(span.events).toHaveLength(1)
        expect(span.events[0]!.name).toBe("exception")
        expect(span.events[0]!.attributes).toMatchObject({
          "exception.type": "PaymentDeclined",
          "exception.message": "card expired"
        })
      }).pipe(withTest))

    it.effect("a defect marks the span failed with the error's class name", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.exit(Effect.die(new RangeError("index 7")).pipe(OneAgentSdk.traceCustomService({
          method: "m",
          service: "s"
        })))
        const span = yield* test.span("s/m")
        expect(span.status).toEqual({ code: "error", message: "RangeError: index 7" })
        expect(String(span.events[0]!.attributes["exception.stacktrace"])).toContain("RangeError: index 7")
      }).pipe(withTest))

    it.effect("an interruption is not a failure and sets effect.fiber.interrupted", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never), OneAgentSdk.traceIncomingRemoteCall(incoming))
        )
        yield* Deferred.await(started) // the call is traced and running
        yield* Fiber.interrupt(fiber)
        const span = yield* test.span("Orders/placeOrder")
        expect(span.status.code).toBe("unset")
        expect(span.attributes["effect.fiber.interrupted"]).toBe(true)
        expect(yield* test.tree).toContain("Orders/placeOrder [server]")
        expect(yield* test.tree).toMatch(/ms ⊘ interrupted/)
      }).pipe(withTest))

    it.effect("a failure that is a plain object is described by its JSON, not [object Object]", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.exit(Effect.fail({ code: 42 }).pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" })))
        expect((yield* test.span("s/m")).status).toEqual({ code: "error", message: "Object: {\"code\":42}" })
      }).pipe(withTest))

    it.effect("scoped tracers end with the scope's Exit", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          yield* sdk.traceCustomService({ method: "m", service: "s" })
          return yield* new PaymentDeclined({ message: "no" })
        })))
        expect((yield* test.span("s/m")).status.message).toBe("PaymentDeclined: no")
      }).pipe(withTest))
  })

  describe("parentage through Effect context", () => {
    it.effect("a scoped tracer is the parent of everything later in its scope", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        yield* Effect.scoped(Effect.gen(function*() {
          yield* sdk.traceIncomingRemoteCall(incoming)
          yield* Effect.scoped(sdk.traceOutgoingRemoteCall(outgoing))
          yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
        }))
        yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "after", service: "s" }))
        const root = yield* test.span("Orders/placeOrder")
        expect((yield* test.children(root)).map((s) => s.name)).toEqual(["Payments/charge", "s/m"])
        // The scope closed: the next tracer is a new root again.
        expect((yield* test.span("s/after")).parentSpanId).toBeUndefined()
      }).pipe(withTest))

    it.effect("after an explicit end, later spans of the scope are children of the ended span's parent", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        yield* Effect.scoped(Effect.gen(function*() {
          yield* sdk.traceIncomingRemoteCall(incoming)
          const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
          yield* call.end
          expect(yield* OneAgentSdk.currentTraceContext).toMatchObject({ isValid: true })
          yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "next", service: "s" }))
        }))
        const root = yield* test.span("Orders/placeOrder")
        expect((yield* test.children(root)).map((s) => s.name)).toEqual(["Payments/charge", "s/next"])
      }).pipe(withTest))

    describe("a scoped tracer acquired inside a combinator that restores the fiber's context", () => {
      // Each wraps the acquisition and returns before the scope's later work: the tracer must stay its parent.
      const combinators = {
        "Effect.fn": (acquire: Effect.Effect<unknown, never, OneAgentSdk | Scope.Scope>) =>
          Effect.fn("acquire")(function*() {
            return yield* acquire
          })(),
        "Effect.withSpan": (acquire: Effect.Effect<unknown, never, OneAgentSdk | Scope.Scope>) =>
          acquire.pipe(Effect.withSpan("acquire")),
        "Effect.provideService": (acquire: Effect.Effect<unknown, never, OneAgentSdk | Scope.Scope>) =>
          acquire.pipe(Effect.provideService(Marker, "m")),
        "a traced combinator": (acquire: Effect.Effect<unknown, never, OneAgentSdk | Scope.Scope>) =>
          acquire.pipe(OneAgentSdk.traceCustomService({ method: "acquire", service: "s" }))
      }
      for (const [name, wrap] of Object.entries(combinators)) {
        it.effect(`${name}: the tracer is the parent of the scope's later spans, SDK and Effect, until the scope closes`, () =>
          Effect.gen(function*() {
            const test = yield* OneAgentTest.OneAgentTest
            const sdk = yield* OneAgentSdk
            yield* Effect.scoped(Effect.gen(function*() {
              yield* wrap(sdk.traceIncomingRemoteCall(incoming))
              yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "later", service: "s" }))
              yield* Effect.void.pipe(Effect.withSpan("effect-later"))
              expect(yield* test.openSpans).toEqual(["Orders/placeOrder"])
            }))
            yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "after", service: "s" }))
            const root = yield* test.span("Orders/placeOrder")
            const children = (yield* test.children(root)).map((s) => s.name)
            expect(children).toContain("s/later")
            expect(children).toContain("effect-later")
            expect((yield* test.span("s/after")).parentSpanId).toBeUndefined()
          }).pipe(withTest))
      }

      it.effect("after its explicit end the held tracer is no longer the parent", () =>
        Effect.gen(function*() {
          const test = yield* OneAgentTest.OneAgentTest
          const sdk = yield* OneAgentSdk
          yield* Effect.scoped(Effect.gen(function*() {
            const call = yield* sdk.traceIncomingRemoteCall(incoming).pipe(Effect.withSpan("acquire"))
            yield* call.end
            yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "later", service: "s" }))
          }))
          expect((yield* test.span("s/later")).parentSpanId).toBeUndefined()
        }).pipe(withTest))

      it.live("a fiber forked in the scope before the acquisition keeps its own parent", () =>
        Effect.gen(function*() {
          const test = yield* OneAgentTest.OneAgentTest
          const sdk = yield* OneAgentSdk
          yield* Effect.scoped(Effect.gen(function*() {
            const acquired = yield* Deferred.make<void>()
            const sibling = yield* Effect.forkChild(
              Deferred.await(acquired).pipe(
                Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "sibling", service: "s" })))
              )
            )
            yield* sdk.traceIncomingRemoteCall(incoming).pipe(Effect.withSpan("acquire"))
            yield* Deferred.succeed(acquired, undefined)
            yield* Fiber.join(sibling)
          }))
          expect((yield* test.span("s/sibling")).parentSpanId).toBeUndefined()
        }).pipe(withTest))
    })

    it.live("1,000 interleaving fibers each build their own correct tree", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const request = (i: number) =>
          Effect.gen(function*() {
            yield* Effect.sleep(`${i % 7} millis`)
            yield* OneAgentSdk.addCustomRequestAttribute("request", i)
            yield* Effect.yieldNow.pipe(OneAgentSdk.traceOutgoingRemoteCall({ ...outgoing, method: `charge-${i}` }))
            yield* Effect.sleep(`${(i * 3) % 5} millis`).pipe(
              OneAgentSdk.traceCustomService({ method: `audit-${i}`, service: "Audit" })
            )
          }).pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, method: `order-${i}` }))
        yield* Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), request, { concurrency: "unbounded" })
        const spans = yield* test.spans
        expect(spans).toHaveLength(3000)
        for (let i = 0; i < 1000; i++) {
          const root = yield* test.span(`Orders/order-${i}`)
          expect(root.parentSpanId).toBeUndefined()
          expect(root.attributes["request"]).toBe(i)
          const children = yield* test.children(root)
          expect(children.map((s) => s.name).sort()).toEqual([`Audit/audit-${i}`, `Payments/charge-${i}`])
        }
        expect(new Set(spans.map((s) => s.traceId)).size).toBe(1000)
      }).pipe(withTest))
  })

  describe("misuse", () => {
    it.effect("ending twice, tag after end, markFailed after end: the strict layer fails each", () =>
      Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        const attempts: Array<(t: Tracers.OutgoingRemoteCallTracer) => Effect.Effect<unknown>> = [
          (t) => Effect.andThen(t.end, t.end),
          (t) => Effect.andThen(t.end, t.outgoingStringTag),
          (t) => Effect.andThen(t.end, t.outgoingByteTag),
          (t) => Effect.andThen(t.end, t.markFailed("E", "m"))
        ]
        for (const misuse of attempts) {
          const exit = yield* Effect.exit(Effect.scoped(Effect.flatMap(sdk.traceOutgoingRemoteCall(outgoing), misuse)))
          assert(Exit.isFailure(exit))
          expect(Cause.pretty(exit.cause)).toContain("already ended")
          const defect = Cause.squash(exit.cause)
          expect(defect).toBeInstanceOf(OneAgentTest.OneAgentMisuseError)
          expect(defect).toMatchObject({ _tag: "OneAgentMisuseError" })
        }
      }).pipe(withTest))

    it.effect("in production misuse is a diagnostic and never changes the application's result", () =>
      Effect.gen(function*() {
        const diagnostics: Array<string> = []
        const result = yield* Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
          yield* call.end
          yield* call.end
          const tag = yield* call.outgoingStringTag
          yield* call.markFailed("E", "late")
          return tag
        }).pipe(
          Effect.scoped,
          Effect.provide(OneAgentSdk.layer({ diagnosticCallback: (m) => diagnostics.push(m) }))
        )
        expect(result).toBe("")
        expect(diagnostics).toHaveLength(3)
        for (const d of diagnostics) expect(d).toContain("already ended")
      }))

    it.effect("arguments of the wrong type from untyped callers: coerced, reported, the effect still runs", () =>
      Effect.gen(function*() {
        const diagnostics: Array<string> = []
        const bad = { method: 42, service: null, endpoint: undefined } as unknown as typeof incoming
        const result = yield* Effect.succeed("ran").pipe(
          OneAgentSdk.traceIncomingRemoteCall(bad),
          Effect.provide(OneAgentSdk.layer({ diagnosticCallback: (m) => diagnostics.push(m) }))
        )
        expect(result).toBe("ran")
        expect(diagnostics.join("\n")).toContain(`"method" must be a string`)
        expect(diagnostics.join("\n")).toContain(`"service" must be a string`)
        const strict = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall(bad), withTest))
        assert(Exit.isFailure(strict))
      }))

    it.effect("a callback that throws does not reach the application", () =>
      Effect.gen(function*() {
        const result = yield* OneAgentSdk.addCustomRequestAttribute("k", 1).pipe(
          Effect.as("fine"),
          Effect.provide(OneAgentSdk.layer({
            diagnosticCallback: () => {
              throw new Error("callback bug")
            }
          }))
        )
        expect(result).toBe("fine")
      }))

    it.effect("a tracer left open is listed by openSpans", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        const neverClosed = yield* Scope.make()
        yield* sdk.traceCustomService({ method: "leaked", service: "s" }).pipe(
          Effect.provideService(Scope.Scope, neverClosed)
        )
        expect(yield* test.openSpans).toEqual(["s/leaked"])
        yield* Scope.close(neverClosed, Exit.void)
        expect(yield* test.openSpans).toEqual([])
      }).pipe(withTest))
  })

  describe("limits", () => {
    it.effect("strings over 250 characters are truncated and the truncation is visible", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const long = "é".repeat(1_000_000)
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, endpoint: long }))
        const span = yield* test.span("Orders/placeOrder")
        expect([...String(span.attributes["oneagent.remote_call.endpoint"])]).toHaveLength(250)
        expect(span.attributes["oneagent.truncated"]).toBe("oneagent.remote_call.endpoint")
      }).pipe(withTest))
  })

  describe("test layers", () => {
    it.live("test layers running at the same time each read only their own spans and open spans", () =>
      Effect.gen(function*() {
        // One of them without start tracking: its open spans are told apart by their ids.
        const [a, b] = yield* Effect.all([
          Layer.build(OneAgentTest.layer({ trackOpenSpans: false })),
          Layer.build(OneAgentTest.layer())
        ])
        const testOf = (context: typeof a) => context.mapUnsafe.get(OneAgentTest.OneAgentTest.key) as OneAgentTest.Service
        const traceIn = (context: typeof a, service: string) =>
          Effect.forEach([1, 2, 3], (i) =>
            Effect.sleep(i).pipe(OneAgentSdk.traceCustomService({ method: `m${i}`, service })), {
            concurrency: "unbounded"
          }).pipe(OneAgentSdk.traceIncomingRemoteCall({ ...incoming, service }), Effect.provide(context))
        // Open until interrupted: each says when its span has started.
        const openIn = (context: typeof a, service: string) =>
          Effect.gen(function*() {
            const started = yield* Deferred.make<void>()
            const fiber = yield* Effect.forkChild(
              Deferred.succeed(started, undefined).pipe(
                Effect.andThen(Effect.never),
                OneAgentSdk.traceCustomService({ method: "open", service }),
                Effect.provide(context)
              )
            )
            yield* Deferred.await(started)
            return fiber
          })
        const openInB = yield* openIn(b, "B")
        yield* Effect.all([traceIn(a, "A"), traceIn(b, "B")], { concurrency: "unbounded" })
        const names = (spans: ReadonlyArray<{ readonly name: string }>) => spans.map((s) => s.name).sort()
        expect(names(yield* testOf(a).spans)).toEqual(["A/m1", "A/m2", "A/m3", "A/placeOrder"])
        expect(names(yield* testOf(b).spans)).toEqual(["B/m1", "B/m2", "B/m3", "B/placeOrder"])
        expect(yield* testOf(a).openSpans).toEqual([])
        expect(yield* testOf(b).openSpans).toEqual(["B/open"])
        const openInA = yield* openIn(a, "A")
        expect(yield* testOf(a).openSpans).toEqual(["A/open"])
        expect(yield* testOf(b).openSpans).toEqual(["B/open"])
        yield* Fiber.interrupt(openInA)
        yield* testOf(a).clear
        expect(yield* testOf(a).spans).toEqual([])
        expect(yield* testOf(b).spans).toHaveLength(4)
        yield* Fiber.interrupt(openInB)
      }).pipe(Effect.scoped))

    it.effect("a test layer that cannot record says why instead of reading as \"nothing was traced\"", () =>
      Effect.gen(function*() {
        const noEngine = yield* Layer.build(OneAgentTest.layer({ nativeModulePath: "/nonexistent/effect_oneagent.node" }))
        const test = noEngine.mapUnsafe.get(OneAgentTest.OneAgentTest.key) as OneAgentTest.Service
        for (const query of [test.spans, test.openSpans, test.clear, test.tree]) {
          const missing = yield* Effect.exit(query)
          assert(Exit.isFailure(missing))
          expect(Cause.pretty(missing.cause)).toContain("OneAgentTest records no spans: the engine did not load")
        }

        const production = yield* Layer.build(OneAgentSdk.layer({ export: { file: "/dev/null" } }))
        const joined = yield* Layer.build(OneAgentTest.layer())
        const after = yield* Effect.exit(
          (joined.mapUnsafe.get(OneAgentTest.OneAgentTest.key) as OneAgentTest.Service).span("s/m")
        )
        assert(Exit.isFailure(after))
        expect(Cause.pretty(after.cause)).toContain("a production OneAgentSdk.layer owns the running engine")
        expect(production.mapUnsafe.size).toBeGreaterThan(0)
      }).pipe(Effect.scoped))
  })

  describe("without the native engine", () => {
    it.effect("InitResult -2 says why, state is ERROR and every tracer is a no-op that runs the effect", () =>
      Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        expect(sdk.initResult.status).toBe(InitResult.STATUS_LOAD_ERROR)
        expect(sdk.initResult.error).toContain("could not be loaded")
        expect(sdk.initResult.error).toContain("nativeModulePath")
        expect(InitResult.isOk(sdk.initResult)).toBe(false)
        expect(yield* sdk.agentState).toBe(AgentState.ERROR)
        expect(sdk.agentFound).toBe(false)
        const result = yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute("k", 1)
          const tag = yield* OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
          const call = yield* sdk.traceOutgoingRemoteCall(outgoing)
          return [tag, yield* call.outgoingStringTag, (yield* call.outgoingByteTag).length]
        }).pipe(OneAgentSdk.traceIncomingRemoteCall(incoming), Effect.scoped)
        expect(result).toEqual(["", "", 0])
        const failed = yield* Effect.exit(Effect.fail("boom").pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" })))
        expect(failed).toEqual(Exit.fail("boom"))
      }).pipe(Effect.provide(OneAgentSdk.layer({ nativeModulePath: "/nonexistent/effect_oneagent.node" }))))
  })
})
