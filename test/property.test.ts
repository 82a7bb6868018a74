// Property-based tests: random programs of tracer operations (every tracer family, combinator and scoped forms,
// Effect.withSpan, forks, concurrent branches, failures, defects, interruptions, custom request attributes, incoming
// tags, in-process links used later from a clean fiber) run against the strict test layer. Every recorded forest
// must be well formed (unique ids, parents present or remote, children inside their parent's time, one trace per
// root, nothing left open), and equal to the forest a reference model computes from the program alone.
import { describe, expect, it } from "@effect/vitest"
import { Data, Deferred, Effect, Fiber, Scope } from "effect"
import * as fc from "fast-check"
import { randomBytes } from "node:crypto"
import { ChannelType, Messaging, OneAgentSdk, OneAgentTest, type SpanData, type WebRequest } from "../src/index.ts"

class ProgramError extends Data.TaggedError("ProgramError")<{ readonly message: string }> {}

// ---------------------------------------------------------------------------------------------------------------
// Programs

const kinds = [
  "incomingRemote",
  "outgoingRemote",
  "customService",
  "incomingWeb",
  "outgoingWeb",
  "send",
  "receive",
  "process",
  "sql",
  "effectSpan",
  "scopedCustomService",
  "scopedOutgoingRemote",
  "scopedSql"
] as const
type Kind = typeof kinds[number]
const outcomes = ["succeed", "fail", "die", "interrupt"] as const
type Outcome = typeof outcomes[number]

type Step =
  | {
    readonly _tag: "Traced"
    readonly kind: Kind
    readonly outcome: Outcome
    readonly remote: boolean
    readonly body: ReadonlyArray<Step>
  }
  | { readonly _tag: "Attr"; readonly key: string; readonly value: string | number }
  | { readonly _tag: "Fork"; readonly body: ReadonlyArray<Step> }
  | { readonly _tag: "Par"; readonly branches: ReadonlyArray<ReadonlyArray<Step>> }
  | { readonly _tag: "Link"; readonly body: ReadonlyArray<Step> }

const program: fc.Arbitrary<ReadonlyArray<Step>> = fc.letrec<{
  steps: ReadonlyArray<Step>
  program: ReadonlyArray<Step>
  step: Step
}>((tie) => ({
  steps: fc.array(tie("step"), { maxLength: 3 }),
  program: fc.array(tie("step"), { minLength: 1, maxLength: 5 }),
  step: fc.oneof(
    { depthIdentifier: "program", maxDepth: 4 },
    // The first arbitrary is the leaf taken at the maximum depth.
    fc.record({
      _tag: fc.constant("Attr" as const),
      key: fc.constantFrom("a", "b", "c"),
      value: fc.oneof(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.constantFrom(0.5, -2.25),
        fc.string({ maxLength: 6 })
      )
    }),
    fc.record({
      _tag: fc.constant("Traced" as const),
      kind: fc.constantFrom(...kinds),
      outcome: fc.constantFrom(...outcomes),
      remote: fc.boolean(),
      body: tie("steps")
    }),
    fc.record({
      _tag: fc.constant("Traced" as const),
      kind: fc.constantFrom(...kinds),
      outcome: fc.constant("succeed" as const),
      remote: fc.constant(false),
      body: tie("steps")
    }),
    fc.record({ _tag: fc.constant("Fork" as const), body: tie("steps") }),
    fc.record({ _tag: fc.constant("Par" as const), branches: fc.array(tie("steps"), { maxLength: 3 }) }),
    fc.record({ _tag: fc.constant("Link" as const), body: tie("steps") })
  )
})).program

// ---------------------------------------------------------------------------------------------------------------
// The reference model: the spans a program must produce, computed from the program alone

interface Expected {
  readonly name: string
  readonly kind: SpanData.SpanKind
  /** The parent span, "remote" for a span continuing an incoming tag, or null for a new trace. */
  parent: Expected | "remote" | null
  readonly remote?: { readonly traceId: string; readonly spanId: string } | undefined
  status: "unset" | "error"
  message: string
  interrupted: boolean
  readonly custom: Map<string, Array<string | number>>
  readonly children: Array<Expected>
}

interface Context {
  /** The innermost span, or null outside any trace. */
  readonly parent: Expected | null
  /** The innermost span of an SDK tracer (not Effect.withSpan). */
  readonly sdkParent: Expected | null
  /** The service call custom request attributes land on (null: none open). */
  readonly service: Expected | null
}

const serviceCalls = new Set<Kind>(["incomingRemote", "customService", "incomingWeb", "process", "scopedCustomService"])
const requireParent = new Set<Kind>(["receive", "sql", "scopedSql"])
const takesTag = new Set<Kind>(["incomingRemote", "incomingWeb", "process"])
const otelKind: Record<Kind, SpanData.SpanKind> = {
  incomingRemote: "server",
  outgoingRemote: "client",
  customService: "server",
  incomingWeb: "server",
  outgoingWeb: "client",
  send: "producer",
  receive: "consumer",
  process: "consumer",
  sql: "client",
  effectSpan: "internal",
  scopedCustomService: "server",
  scopedOutgoingRemote: "client",
  scopedSql: "client"
}

const channel = { type: ChannelType.TCP_IP, endpoint: "peer.internal:443" } as const

// Builds the effect of a program and, as it goes, the spans it must record. Every step's own failure is caught
// (Effect.exit), so a program always runs to its end; in-process links are used after it, from a clean fiber.
class Interpreter {
  readonly roots: Array<Expected> = []
  readonly later: Array<Effect.Effect<void, never, OneAgentSdk | Scope.Scope>> = []
  private next = 0

  private record(e: Expected) {
    if (e.parent === null || e.parent === "remote") this.roots.push(e)
    else e.parent.children.push(e)
  }

  steps(steps: ReadonlyArray<Step>, context: Context): Effect.Effect<void, never, OneAgentSdk | Scope.Scope> {
    const effects = steps.map((step) => this.step(step, context))
    return Effect.forEach(effects, (e) => e, { discard: true })
  }

  step(step: Step, context: Context): Effect.Effect<void, never, OneAgentSdk | Scope.Scope> {
    switch (step._tag) {
      case "Attr": {
        // Outside a service call this is misuse (the strict layer would fail the test), so the program skips it.
        if (context.service === null) return Effect.void
        const values = context.service.custom.get(step.key) ?? []
        values.push(step.value)
        context.service.custom.set(step.key, values)
        return OneAgentSdk.addCustomRequestAttribute(step.key, step.value)
      }
      case "Fork":
        return Effect.flatMap(Effect.forkChild(this.steps(step.body, context)), Fiber.join)
      case "Par":
        return Effect.forEach(step.branches.map((branch) => this.steps(branch, context)), (e) => e, {
          concurrency: "unbounded",
          discard: true
        })
      case "Link": {
        const link: Expected | null = context.parent === null ? null : {
          name: "InProcessLink",
          kind: "internal",
          parent: context.parent,
          status: "unset",
          message: "",
          interrupted: false,
          custom: new Map(),
          children: []
        }
        if (link !== null) this.record(link)
        // Used after the program, when the creator's service call has ended: attributes need a service call of
        // their own.
        const body = this.steps(step.body, { parent: link, sdkParent: link, service: null })
        return Effect.map(OneAgentSdk.createInProcessLink, (handle) => {
          this.later.push(body.pipe(OneAgentSdk.traceInProcessLink(handle)))
        })
      }
      case "Traced":
        return this.traced(step, context)
    }
  }

  private traced(
    step: Extract<Step, { _tag: "Traced" }>,
    context: Context
  ): Effect.Effect<void, never, OneAgentSdk | Scope.Scope> {
    const id = this.next++
    // A tracer that needs a parent records nothing without one (the strict layer calls that misuse): skip it.
    if (requireParent.has(step.kind) && context.parent === null) return this.steps(step.body, context)
    const remote = step.remote && takesTag.has(step.kind)
      ? { traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex") }
      : undefined
    const tag = remote === undefined ? undefined : `00-${remote.traceId}-${remote.spanId}-01`
    const name = step.kind === "incomingWeb"
      ? `GET /r${id}`
      : step.kind === "outgoingWeb"
      ? "HTTP" // m<id> is no known method: _OTHER, named HTTP
      : step.kind === "send" || step.kind === "receive" || step.kind === "process"
      ? `${step.kind} d${id}`
      : step.kind === "sql" || step.kind === "scopedSql"
      ? `SELECT db${id}`
      : step.kind === "effectSpan"
      ? `e${id}`
      : `S/m${id}`
    const span: Expected = {
      name,
      kind: otelKind[step.kind],
      parent: remote !== undefined ? "remote" : context.parent,
      remote,
      status: "unset",
      message: "",
      interrupted: false,
      custom: new Map(),
      children: []
    }
    this.record(span)
    const inner: Context = {
      parent: span,
      sdkParent: step.kind === "effectSpan" ? context.sdkParent : span,
      service: serviceCalls.has(step.kind) ? span : context.service
    }
    const body = this.steps(step.body, inner)

    const ending = (effect: Effect.Effect<void, never, OneAgentSdk | Scope.Scope>) => {
      switch (step.outcome) {
        case "succeed":
          return effect
        case "fail":
          span.status = "error"
          span.message = `ProgramError: f${id}`
          return Effect.andThen(effect, Effect.fail(new ProgramError({ message: `f${id}` })))
        case "die":
          span.status = "error"
          span.message = `RangeError: d${id}`
          return Effect.andThen(effect, Effect.die(new RangeError(`d${id}`)))
        case "interrupt":
          return effect
      }
    }
    const wrap = <E>(inside: Effect.Effect<void, E, OneAgentSdk | Scope.Scope>) => this.wrap(step.kind, id, tag, inside)

    if (step.outcome !== "interrupt") return Effect.asVoid(Effect.exit(wrap(ending(body))))
    // Interrupted once its body has run: the span ends unset, with effect.fiber.interrupted.
    span.interrupted = true
    return Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const signalled = Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
      const fiber = yield* Effect.forkChild(wrap(Effect.andThen(body, signalled)))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
    })
  }

  // The tracer of `kind` around `inside`, as the application would write it.
  private wrap<E>(
    kind: Kind,
    id: number,
    tag: string | undefined,
    inside: Effect.Effect<void, E, OneAgentSdk | Scope.Scope>
  ): Effect.Effect<void, E, OneAgentSdk | Scope.Scope> {
    const rpc = { method: `m${id}`, service: "S", endpoint: "rpc://peer" }
    const destination = {
      vendor: "kafka",
      destination: `d${id}`,
      destinationType: Messaging.DestinationType.QUEUE,
      channel
    }
    const database = { name: `db${id}`, vendor: "PostgreSQL", channel }
    const scoped = <T>(acquire: (sdk: OneAgentSdk["Service"]) => Effect.Effect<T, never, Scope.Scope>) =>
      Effect.scoped(Effect.gen(function*() {
        yield* acquire(yield* OneAgentSdk)
        return yield* inside
      }))
    switch (kind) {
      case "incomingRemote":
        return inside.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...rpc, stringTag: tag }))
      case "outgoingRemote":
        return inside.pipe(OneAgentSdk.traceOutgoingRemoteCall({ ...rpc, channel }))
      case "customService":
        return inside.pipe(OneAgentSdk.traceCustomService(rpc))
      case "incomingWeb":
        return Effect.flatMap(
          OneAgentSdk.createWebApplicationInfo({ webServerName: "web", applicationId: "app", contextRoot: "/" }),
          (app) =>
            inside.pipe(OneAgentSdk.traceIncomingWebRequest(app, {
              url: `/r${id}?q=1`,
              method: "get",
              route: `/r${id}`,
              headers: tag === undefined ? { host: "example.com" } : { host: "example.com", traceparent: tag }
            }))
        )
      case "outgoingWeb":
        return inside.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: `http://peer/r${id}`, method: `m${id}` }))
      case "send":
        return Effect.flatMap(OneAgentSdk.createMessagingSystemInfo(destination), (info) =>
          inside.pipe(OneAgentSdk.traceOutgoingMessage(info)))
      case "receive":
        return Effect.flatMap(OneAgentSdk.createMessagingSystemInfo(destination), (info) =>
          inside.pipe(OneAgentSdk.traceIncomingMessageReceive(info)))
      case "process":
        return Effect.flatMap(OneAgentSdk.createMessagingSystemInfo(destination), (info) =>
          inside.pipe(OneAgentSdk.traceIncomingMessageProcess(info, {
            properties: tag === undefined ? {} : { dtdTraceTagInfo: tag }
          })))
      case "sql":
        return Effect.flatMap(OneAgentSdk.createDatabaseInfo(database), (db) =>
          inside.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1")))
      case "effectSpan":
        return inside.pipe(Effect.withSpan(`e${id}`))
      case "scopedCustomService":
        return scoped((sdk) => sdk.traceCustomService(rpc))
      case "scopedOutgoingRemote":
        return scoped((sdk) => sdk.traceOutgoingRemoteCall({ ...rpc, channel }))
      case "scopedSql":
        return Effect.flatMap(OneAgentSdk.createDatabaseInfo(database), (db) =>
          scoped((sdk) => sdk.traceSqlDatabaseRequest(db, "SELECT 1")))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing forests

const canonicalValues = (values: ReadonlyArray<unknown>): string =>
  values.map((v) => JSON.stringify(v)).sort().join(",")

// A span and its subtree as one string: children sorted, so concurrent siblings compare equal in any order.
const canonExpected = (e: Expected): string => {
  const custom = [...e.custom].map(([k, v]) => `${k}=[${canonicalValues(v)}]`).sort().join(";")
  const parent = e.parent === "remote" ? `remote:${e.remote!.traceId}/${e.remote!.spanId}` : ""
  const children = e.children.map(canonExpected).sort().join(",")
  return `${e.name}|${e.kind}|${e.status}:${e.message}|${e.interrupted}|${custom}|${parent}(${children})`
}

const customKeys = new Set(["a", "b", "c"])
const canonRecorded = (
  s: SpanData.SpanData,
  children: Map<string, Array<SpanData.SpanData>>,
  remote: boolean
): string => {
  const custom = Object.entries(s.attributes).filter(([k]) => customKeys.has(k))
    .map(([k, v]) => `${k}=[${canonicalValues(Array.isArray(v) ? v : [v])}]`).sort().join(";")
  const interrupted = s.attributes["effect.fiber.interrupted"] === true
  const parent = remote ? `remote:${s.traceId}/${s.parentSpanId}` : ""
  const kids = (children.get(s.spanId) ?? []).map((c) => canonRecorded(c, children, false)).sort().join(",")
  const status = `${s.status.code}:${s.status.code === "error" ? s.status.message : ""}`
  return `${s.name}|${s.kind}|${status}|${interrupted}|${custom}|${parent}(${kids})`
}

// Structural checks that hold for any program; returns the recorded forest as canonical strings.
const checkWellFormed = (spans: ReadonlyArray<SpanData.SpanData>): Array<string> => {
  const byId = new Map<string, SpanData.SpanData>()
  for (const s of spans) {
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(byId.has(s.spanId), `span id ${s.spanId} is unique`).toBe(false)
    byId.set(s.spanId, s)
    expect(s.endTime >= s.startTime).toBe(true)
    expect(s.sampled).toBe(true)
  }
  const children = new Map<string, Array<SpanData.SpanData>>()
  const roots: Array<SpanData.SpanData> = []
  for (const s of spans) {
    const parent = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId)
    if (parent === undefined) {
      roots.push(s)
      continue
    }
    expect(parent.traceId, `${s.name} is in its parent's trace`).toBe(s.traceId)
    expect(s.startTime >= parent.startTime, `${s.name} starts after its parent ${parent.name}`).toBe(true)
    // An in-process link may run after its creator ended; everything else ends within its parent.
    if (s.name !== "InProcessLink") {
      expect(s.endTime <= parent.endTime, `${s.name} ends within ${parent.name}`).toBe(true)
    }
    const list = children.get(parent.spanId) ?? []
    list.push(s)
    children.set(parent.spanId, list)
  }
  // One trace per root: a new trace per local root; a remote parent's trace for a root that continues one.
  const localTraces = roots.filter((r) => r.parentSpanId === undefined).map((r) => r.traceId)
  expect(new Set(localTraces).size, "every new root has a trace of its own").toBe(localTraces.length)
  const visit = (s: SpanData.SpanData, traceId: string) => {
    expect(s.traceId).toBe(traceId)
    for (const c of children.get(s.spanId) ?? []) visit(c, traceId)
  }
  for (const root of roots) visit(root, root.traceId)
  return roots.map((r) => canonRecorded(r, children, r.parentSpanId !== undefined)).sort()
}

const describeProgram = (steps: ReadonlyArray<Step>): string => JSON.stringify(steps)

const traced = (kind: Kind, body: ReadonlyArray<Step>, remote = false, outcome: Outcome = "succeed"): Step => ({
  _tag: "Traced",
  kind,
  outcome,
  remote,
  body
})

// Programs that once failed, always run first.
const examples: Array<[ReadonlyArray<Step>]> = [
  // A span continuing an incoming tag inside an Effect span is the parent of what starts inside it (the engine
  // compared depths, which a remote parent resets to 0, and picked the Effect span).
  [[traced("incomingRemote", [
    traced("effectSpan", [traced("incomingRemote", [traced("incomingRemote", [])], true)])
  ])]],
  [[traced("effectSpan", [
    traced("effectSpan", [traced("process", [traced("sql", []), traced("effectSpan", [])], true)])
  ])]],
  // An in-process link created while running another link's continuation.
  [[traced("outgoingRemote", [{ _tag: "Link", body: [{ _tag: "Link", body: [traced("customService", [])] }] }])]],
  // Interrupted and failed spans with children, and attributes from concurrent branches.
  [[traced("customService", [
    { _tag: "Par", branches: [[{ _tag: "Attr", key: "a", value: 1 }], [{ _tag: "Attr", key: "a", value: "x" }]] },
    traced("receive", [traced("sql", [])], false, "interrupt"),
    traced("scopedSql", [], false, "fail")
  ], false, "die")]]
]

// Outside any trace.
const empty: Context = { parent: null, sdkParent: null, service: null }

describe("property: random tracer programs", () => {
  it.live("record a well-formed forest that equals the reference model", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const context = yield* Effect.context<OneAgentSdk | OneAgentTest.OneAgentTest>()
      const runs = { programs: 0, spans: 0 }
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(program, async (steps) => {
            const interpreter = new Interpreter()
            const main = interpreter.steps(steps, empty)
            const outcome = await Effect.runPromise(Effect.gen(function*() {
              yield* test.clear
              yield* Effect.scoped(Effect.gen(function*() {
                yield* main
                // In-process links, used after the program from the test's own (untraced) fiber.
                for (const use of interpreter.later) yield* use
              }))
              return { spans: yield* test.spans, open: yield* test.openSpans }
            }).pipe(Effect.provide(context)))
            expect(outcome.open, "no span is left open").toEqual([])
            const recorded = checkWellFormed(outcome.spans)
            const expected = interpreter.roots.map(canonExpected).sort()
            expect(recorded, describeProgram(steps)).toEqual(expected)
            runs.programs++
            runs.spans += outcome.spans.length
          }),
          { numRuns: Number(process.env.PROP_RUNS ?? 150), endOnFailure: false, examples }
        )
      )
      // The generator does reach the interesting shapes.
      expect(runs.programs).toBe(Number(process.env.PROP_RUNS ?? 150))
      expect(runs.spans).toBeGreaterThan(2 * runs.programs)
    }).pipe(Effect.provide(OneAgentTest.layer())), 120_000)

  it.live("the same programs under 1,000 concurrent fibers keep every fiber's trees apart", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const samples = fc.sample(
        program.filter((steps) => steps.some((s) => s._tag === "Traced")),
        { numRuns: Number(process.env.PROP_FIBERS ?? 1000), seed: 42 }
      )
      const interpreters = samples.map(() => new Interpreter())
      yield* Effect.scoped(Effect.forEach(
        samples,
        (steps, i) => Effect.andThen(Effect.yieldNow, interpreters[i]!.steps(steps, empty)),
        { concurrency: "unbounded", discard: true }
      ))
      // Links used later may create links of their own: the arrays grow while they are run.
      yield* Effect.scoped(Effect.gen(function*() {
        for (const interpreter of interpreters) for (const use of interpreter.later) yield* use
      }))
      const spans = yield* test.spans
      expect(yield* test.openSpans).toEqual([])
      const recorded = checkWellFormed(spans)
      const expected = interpreters.flatMap((i) => i.roots.map(canonExpected)).sort()
      expect(recorded.length).toBe(expected.length)
      expect(recorded).toEqual(expected)
    }).pipe(Effect.provide(OneAgentTest.layer())), 120_000)
})

// ---------------------------------------------------------------------------------------------------------------
// Header and message-property extraction (TypeScript): the incoming tag of a request or message

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex"))
const validTag = fc.tuple(hex(16), hex(8)).filter(([t, s]) => !/^0+$/.test(t) && !/^0+$/.test(s))
  .map(([traceId, spanId]) => ({ traceId, spanId, tag: `00-${traceId}-${spanId}-01` }))
// A header name in any letter case.
const anyCase = (name: string) =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""))
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.constantFrom(undefined, null, 42, NaN, true, { a: 1 }, ["00-x", 7])
)
const reserved = /^(traceparent|tracestate|x-dynatrace|dtdtracetaginfo|host|__proto__)$/i
const junkHeaders = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !reserved.test(k)),
  junkValue,
  { maxKeys: 6 }
)
// A carrier (a header or a message property): absent, a valid tag (as a string or a one-element array), or junk.
const carrier = (name: string) =>
  fc.option(
    fc.record({
      name: anyCase(name),
      value: fc.oneof(
        validTag.map((t) => ({ kind: "valid" as const, ...t, raw: t.tag as unknown })),
        validTag.map((t) => ({ kind: "valid" as const, ...t, raw: [t.tag] as unknown })),
        junkValue.filter((v) => v !== undefined && v !== null).map((raw) => ({ kind: "junk" as const, raw }))
      )
    }),
    { nil: undefined }
  )

const incoming = fc.record({
  junk: junkHeaders,
  primary: carrier("traceparent"),
  fallback: carrier("x-dynatrace"),
  before: fc.boolean()
})

describe("property: incoming tags from headers and message properties", () => {
  it.live("the span continues traceparent, else the Dynatrace header, else starts a trace; never throws", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const context = yield* Effect.context<OneAgentSdk | OneAgentTest.OneAgentTest>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(incoming, fc.boolean(), async ({ junk, primary, fallback, before }, message) => {
            // The carriers go before or after the junk, as any order of headers must work.
            const carriers: Record<string, unknown> = {}
            if (primary !== undefined) carriers[primary.name] = primary.value.raw
            if (fallback !== undefined) carriers[message ? "dtdTraceTagInfo" : fallback.name] = fallback.value.raw
            const headers = (before ? { ...carriers, ...junk } : { ...junk, ...carriers }) as WebRequest.Headers
            // Expected: the first carrier present decides (a junk traceparent starts a new trace, without fallback).
            const decisive = primary ?? fallback
            const expected = decisive?.value.kind === "valid" ? decisive.value : undefined
            const spans = await Effect.runPromise(Effect.gen(function*() {
              yield* test.clear
              const result = message
                ? yield* Effect.scoped(Effect.flatMap(
                  OneAgentSdk.createMessagingSystemInfo({
                    vendor: "kafka",
                    destination: "d",
                    destinationType: Messaging.DestinationType.TOPIC,
                    channel
                  }),
                  (info) =>
                    Effect.succeed("ran").pipe(
                      OneAgentSdk.traceIncomingMessageProcess(info, {
                        properties: headers as Readonly<Record<string, string | undefined>>
                      })
                    )
                ))
                : yield* Effect.scoped(Effect.flatMap(
                  OneAgentSdk.createWebApplicationInfo({ webServerName: "w", applicationId: "a", contextRoot: "/" }),
                  (app) =>
                    Effect.succeed("ran").pipe(
                      OneAgentSdk.traceIncomingWebRequest(app, { url: "/", method: "GET", headers })
                    )
                ))
              expect(result).toBe("ran")
              return yield* test.spans
            }).pipe(Effect.provide(context)))
            expect(spans).toHaveLength(1)
            if (expected === undefined) {
              expect(spans[0]!.parentSpanId).toBeUndefined()
            } else {
              expect(spans[0]!.traceId).toBe(expected.traceId)
              expect(spans[0]!.parentSpanId).toBe(expected.spanId)
            }
          }),
          { numRuns: 300 }
        )
      )
    }).pipe(Effect.provide(OneAgentTest.layer())), 60_000)
})
