// Bad input through the public API, as untyped JavaScript callers and hostile peers produce it: wrong types,
// throwing Proxies, invalid UTF-16, megabyte strings, non-finite numbers, malformed and hostile tags and headers,
// misuse after end, after shutdown and from fibers that outlived their scope. The contract (SPEC §2, §3): the
// application's effect always runs and its result is unchanged; tracing degrades to truncation or a diagnostic.
// The production layer never lets an exception out; the strict test layer turns misuse into a
// OneAgentMisuseError defect, and never into any other error.
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Fiber, Latch, Layer, Scope } from "effect"
import * as Tracer from "effect/Tracer"
import {
  ChannelType,
  Messaging,
  OneAgentSdk,
  type OneAgentSdkOptions,
  type OneAgentSdkService,
  OneAgentTest,
  SpanData
} from "../src/index.ts"
import { withTest } from "./support/sdk.ts"

const remote = { method: "m", service: "svc", endpoint: "rpc://svc" } as const
const channel = { type: ChannelType.TCP_IP, endpoint: "db.internal:5432" } as const
const outgoing = { ...remote, channel } as const
const service = { method: "handle", service: "Jobs" } as const
const database = { name: "orders", vendor: "PostgreSQL", channel } as const
const webApp = { webServerName: "web", applicationId: "app", contextRoot: "/" } as const
const queue = {
  vendor: "kafka",
  destination: "orders",
  destinationType: Messaging.DestinationType.TOPIC,
  channel
} as const
const validTag = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// Values an untyped caller can pass where the API expects a string (or an options object, or a number).
const throwingProxy = new Proxy({}, {
  get: () => {
    throw new Error("hostile: get")
  },
  has: () => {
    throw new Error("hostile: has")
  },
  ownKeys: () => {
    throw new Error("hostile: ownKeys")
  },
  getOwnPropertyDescriptor: () => {
    throw new Error("hostile: getOwnPropertyDescriptor")
  },
  getPrototypeOf: () => {
    throw new Error("hostile: getPrototypeOf")
  }
})
const throwingToString = {
  toString: () => {
    throw new Error("hostile: toString")
  }
}
const hostileValues: ReadonlyArray<readonly [string, unknown]> = [
  ["a number", 42],
  ["an object", { a: 1 }],
  ["undefined", undefined],
  ["null", null],
  ["a symbol", Symbol("s")],
  ["a function", () => "f"],
  ["a bigint", 10n ** 30n],
  ["NaN", NaN],
  ["an array", ["a", 1]],
  ["an object whose toString throws", throwingToString],
  ["a Proxy that throws on every access", throwingProxy]
]

// One way to use the API, with one argument replaced by the hostile value. Each returns "ran" when the
// application's effect ran to its end.
type Use = (v: any) => Effect.Effect<string, unknown, OneAgentSdk | Scope.Scope>
const ran = Effect.succeed("ran")
const inService = <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(OneAgentSdk.traceCustomService(service))
const scopedUse = <T>(
  acquire: (sdk: OneAgentSdkService) => Effect.Effect<T, never, Scope.Scope>,
  use: (t: T) => Effect.Effect<unknown>
) =>
  Effect.scoped(Effect.gen(function*() {
    const sdk = yield* OneAgentSdk
    yield* use(yield* acquire(sdk))
    return "ran"
  }))

const uses: ReadonlyArray<readonly [string, Use]> = [
  ["traceIncomingRemoteCall(options)", (v) => ran.pipe(OneAgentSdk.traceIncomingRemoteCall(v))],
  ...(["method", "endpoint", "stringTag", "byteTag"] as const).map((field): readonly [string, Use] => [
    `traceIncomingRemoteCall({ ${field} })`,
    (v) => ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, [field]: v }))
  ]),
  ["traceIncomingRemoteCall({ traceState })", (v) =>
    ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: validTag, traceState: v }))],
  ["traceOutgoingRemoteCall({ channel })", (v) =>
    ran.pipe(OneAgentSdk.traceOutgoingRemoteCall({ ...outgoing, channel: v }))],
  ["traceOutgoingRemoteCall({ channel.endpoint })", (v) =>
    ran.pipe(OneAgentSdk.traceOutgoingRemoteCall({ ...outgoing, channel: { type: ChannelType.TCP_IP, endpoint: v } }))],
  ["traceCustomService({ service })", (v) => ran.pipe(OneAgentSdk.traceCustomService({ ...service, service: v }))],
  ["scoped traceCustomService({ method })", (v) =>
    scopedUse((sdk) => sdk.traceCustomService({ ...service, method: v }), () => Effect.void)],
  ["addCustomRequestAttribute(key)", (v) => inService(Effect.as(OneAgentSdk.addCustomRequestAttribute(v, 1), "ran"))],
  ["addCustomRequestAttribute(value)", (v) =>
    inService(Effect.as(OneAgentSdk.addCustomRequestAttribute("k", v), "ran"))],
  ["createDatabaseInfo({ vendor })", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo({ ...database, vendor: v })
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1")))
    })],
  ["createDatabaseInfo({ channel })", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo({ ...database, channel: v })
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1")))
    })],
  ["traceSqlDatabaseRequest(info)", (v) => inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(v, "SELECT 1")))],
  ["traceSqlDatabaseRequest(statement)", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(database)
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, v)))
    })],
  ["traceSqlDatabaseRequest({ rowsReturned })", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(database)
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1", { rowsReturned: () => v })))
    })],
  ["traceSqlDatabaseRequest(options)", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(database)
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1", v)))
    })],
  ["traceSqlDatabaseRequest({ rowsReturned }) throwing it", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(database)
      const rowsReturned = () => {
        throw v
      }
      return yield* inService(ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1", { rowsReturned })))
    })],
  ["SqlDatabaseRequestTracer.setRowsReturned", (v) =>
    Effect.gen(function*() {
      const db = yield* OneAgentSdk.createDatabaseInfo(database)
      return yield* inService(
        scopedUse((sdk) => sdk.traceSqlDatabaseRequest(db, "SELECT 1"), (t) => t.setRowsReturned(v))
      )
    })],
  ["createWebApplicationInfo({ contextRoot })", (v) =>
    Effect.gen(function*() {
      const app = yield* OneAgentSdk.createWebApplicationInfo({ ...webApp, contextRoot: v })
      return yield* ran.pipe(OneAgentSdk.traceIncomingWebRequest(app, { url: "/x", method: "GET" }))
    })],
  ...(["url", "method", "headers", "remoteAddress", "route", "parameters"] as const).map((field): readonly [
    string,
    Use
  ] => [
    `traceIncomingWebRequest({ ${field} })`,
    (v) =>
      Effect.gen(function*() {
        const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
        return yield* ran.pipe(OneAgentSdk.traceIncomingWebRequest(app, { url: "/x", method: "GET", [field]: v }))
      })
  ]),
  ["traceIncomingWebRequest({ headers: { traceparent } })", (v) =>
    Effect.gen(function*() {
      const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
      return yield* ran.pipe(
        OneAgentSdk.traceIncomingWebRequest(app, { url: "/x", method: "GET", headers: { traceparent: v } })
      )
    })],
  ["traceIncomingWebRequest({ statusCode })", (v) =>
    Effect.gen(function*() {
      const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
      return yield* ran.pipe(
        OneAgentSdk.traceIncomingWebRequest(app, { url: "/x", method: "GET", statusCode: () => v })
      )
    })],
  ...(["url", "method", "headers"] as const).map((field): readonly [string, Use] => [
    `traceOutgoingWebRequest({ ${field} })`,
    (v) => ran.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: "http://h/x", method: "GET", [field]: v }))
  ]),
  ["OutgoingWebRequestTracer.setStatusCode", (v) =>
    scopedUse((sdk) => sdk.traceOutgoingWebRequest({ url: "http://h/x", method: "GET" }), (t) => t.setStatusCode(v))],
  ["OutgoingWebRequestTracer.addResponseHeaders", (v) =>
    scopedUse(
      (sdk) => sdk.traceOutgoingWebRequest({ url: "http://h/x", method: "GET" }),
      (t) => t.addResponseHeaders(v)
    )],
  ["IncomingWebRequestTracer.addParameter", (v) =>
    Effect.gen(function*() {
      const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
      return yield* scopedUse(
        (sdk) => sdk.traceIncomingWebRequest(app, { url: "/x", method: "GET" }),
        (t) => t.addParameter(v, v)
      )
    })],
  ["Tracer.markFailed", (v) => scopedUse((sdk) => sdk.traceOutgoingRemoteCall(outgoing), (t) => t.markFailed(v, v))],
  ["createMessagingSystemInfo({ destinationType })", (v) =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo({ ...queue, destinationType: v })
      return yield* ran.pipe(OneAgentSdk.traceOutgoingMessage(info))
    })],
  ["traceOutgoingMessage({ vendorMessageId })", (v) =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo(queue)
      return yield* ran.pipe(OneAgentSdk.traceOutgoingMessage(info, { vendorMessageId: v }))
    })],
  ["traceIncomingMessageProcess({ properties })", (v) =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo(queue)
      return yield* ran.pipe(OneAgentSdk.traceIncomingMessageProcess(info, { properties: v }))
    })],
  ["traceIncomingMessageProcess({ properties: { dtdTraceTagInfo } })", (v) =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createMessagingSystemInfo(queue)
      return yield* ran.pipe(OneAgentSdk.traceIncomingMessageProcess(info, { properties: { dtdTraceTagInfo: v } }))
    })],
  ["traceInProcessLink(link)", (v) => ran.pipe(OneAgentSdk.traceInProcessLink(v))],
  ["Effect.withSpan(name)", (v) => Effect.withSpan(ran, v)],
  ["Effect.annotateCurrentSpan(key, value)", (v) =>
    Effect.as(Effect.annotateCurrentSpan("k", v), "ran").pipe(Effect.withSpan("s"))],
  ["Effect.withSpan({ attributes })", (v) => ran.pipe(Effect.withSpan("s", { attributes: { k: v } }))],
  ["an Effect span event's attributes", (v) =>
    Effect.flatMap(Effect.currentSpan, (span) =>
      Effect.sync(() => {
        span.event("e", BigInt(Date.now()) * 1_000_000n, { k: v })
        return "ran"
      })).pipe(Effect.orDie, Effect.withSpan("s"))]
]

// Runs every use with one hostile value on one layer; returns what went wrong, one line per use, and, given the
// layer's messages, what each use reported (diagnostics as "D …", verbose messages as "V …").
const tryAll = (value: unknown, strict: boolean, messages?: Messages) =>
  Effect.gen(function*() {
    const problems: Array<string> = []
    const reports: Record<string, Array<string>> = {}
    for (const [name, use] of uses) {
      const seen = { diagnostics: messages?.diagnostics.length ?? 0, verbose: messages?.verbose.length ?? 0 }
      const problem = yield* tryOne(name, use, value, strict)
      if (problem !== undefined) problems.push(problem)
      if (messages !== undefined) {
        reports[name] = [
          ...messages.diagnostics.slice(seen.diagnostics).map((m) => `D ${m}`),
          ...messages.verbose.slice(seen.verbose).map((m) => `V ${m}`)
        ]
      }
    }
    return { problems, reports }
  })

const tryOne = (name: string, use: Use, value: unknown, strict: boolean) =>
  Effect.gen(function*() {
    let effect: Effect.Effect<string, unknown, OneAgentSdk | Scope.Scope>
    try {
      effect = use(value)
    } catch (error) {
      return `${name}: threw while building the effect: ${String((error as Error)?.message ?? "?")}`
    }
    const exit = yield* Effect.exit(Effect.scoped(effect))
    if (Exit.isSuccess(exit)) return exit.value === "ran" ? undefined : `${name}: the result changed to ${String(exit.value)}`
    const error = Cause.squash(exit.cause) as { _tag?: string; message?: string }
    // The strict layer reports misuse as a OneAgentMisuseError; anything else is a crash of the library.
    if (strict && error?._tag === "OneAgentMisuseError") return undefined
    return `${name}: ${error?._tag ?? (error as Error)?.name ?? "error"}: ${error?.message ?? String(error)}`
  })

// What the production layer reports for each use given `v`: exactly these messages, in this order. A use that takes
// any value (Effect's own APIs, optional settings) reports nothing.
const expectedReports = (label: string, v: unknown): Record<string, Array<string>> => {
  const typeName = v === null ? "null" : typeof v
  const unreadable = v === throwingProxy
  const objectLike = (typeof v === "object" && v !== null) || v === undefined
  const d = (message: string) => `D ${message}`
  const notAString = (api: string, field: string) => [d(`${api}: "${field}" must be a string, got ${typeName}`)]
  const optionalString = (api: string, field: string) => v === undefined ? [] : notAString(api, field)
  const notParsed = (api: string) => [`V ${api}: the incoming tag could not be parsed; a new trace was started`]
  // A tag in a header or message property: absent, or a value that cannot be made a string, is no tag at all.
  const carriedTag = (api: string) =>
    v === undefined || v === null || v === throwingToString || unreadable ? [] : notParsed(api)
  const channel = (api: string) =>
    unreadable ? [d(`${api}: "channel" could not be read`)] : [d(`${api}: "channel" must be { type: ChannelType, endpoint?: string }`)]
  const headers = (api: string, what = "headers", of = "header names to values") =>
    unreadable ? [d(`${api}: ${what} could not be read`)] : objectLike ? [] : [d(`${api}: ${what} must be an object of ${of}`)]
  const statusCode = (api: string, optional: boolean) =>
    (optional && v === undefined) || Number.isInteger(v) ? [] : [d(`${api}.setStatusCode: expects an integer status code`)]
  const attribute = [d("addCustomRequestAttribute: expects a non-empty string key and an int, float or string value")]
  // How a thrown value is described: its type (or class) and its string form, each as far as it can be had.
  const thrown: Record<string, string> = {
    "a number": "number: 42",
    "an object": `Object: {"a":1}`,
    "undefined": "undefined: undefined",
    "null": "object: null",
    "a symbol": "symbol: Symbol(s)",
    "a function": `function: () => "f"`,
    "a bigint": "bigint: 1000000000000000000000000000000",
    "NaN": "number: NaN",
    "an array": "Array: a,1",
    "an object whose toString throws": "Object: ",
    "a Proxy that throws on every access": "unknown: "
  }
  const unreadableOptions = v === null || v === undefined
    ? `Cannot read properties of ${v} (reading 'method')`
    : unreadable
    ? "hostile: get"
    : undefined
  return {
    "traceIncomingRemoteCall(options)": unreadableOptions !== undefined
      ? [d(`traceIncomingRemoteCall: its arguments could not be read (${unreadableOptions}); nothing is traced`)]
      : ["method", "service", "endpoint"].map((field) => d(`traceIncomingRemoteCall: "${field}" must be a string, got undefined`)),
    "traceIncomingRemoteCall({ method })": notAString("traceIncomingRemoteCall", "method"),
    "traceIncomingRemoteCall({ endpoint })": notAString("traceIncomingRemoteCall", "endpoint"),
    "traceIncomingRemoteCall({ stringTag })": v === undefined ? [] : notParsed("traceIncomingRemoteCall"),
    "traceIncomingRemoteCall({ byteTag })": v === undefined ? [] : notParsed("traceIncomingRemoteCall"),
    "traceIncomingRemoteCall({ traceState })": [],
    "traceOutgoingRemoteCall({ channel })": channel("traceOutgoingRemoteCall"),
    "traceOutgoingRemoteCall({ channel.endpoint })": optionalString("traceOutgoingRemoteCall", "channel.endpoint"),
    "traceCustomService({ service })": notAString("traceCustomService", "service"),
    "scoped traceCustomService({ method })": notAString("traceCustomService", "method"),
    "addCustomRequestAttribute(key)": attribute,
    "addCustomRequestAttribute(value)": typeof v === "number" ? [] : attribute,
    "createDatabaseInfo({ vendor })": notAString("traceSqlDatabaseRequest", "vendor"),
    "createDatabaseInfo({ channel })": channel("traceSqlDatabaseRequest"),
    "traceSqlDatabaseRequest(info)": [d("traceSqlDatabaseRequest: expects a DatabaseInfo created by the SDK")],
    "traceSqlDatabaseRequest(statement)": [d(`traceSqlDatabaseRequest: "statement" must be a string`)],
    "traceSqlDatabaseRequest({ rowsReturned })": [],
    "traceSqlDatabaseRequest(options)": v === null
      ? ["rowsReturned", "roundTripCount"].map((field) =>
        d(`traceSqlDatabaseRequest: deriving end data failed: TypeError: Cannot read properties of null (reading '${field}')`)
      )
      : unreadable
      ? [1, 2].map(() => d("traceSqlDatabaseRequest: deriving end data failed: Error: hostile: get"))
      : [],
    "traceSqlDatabaseRequest({ rowsReturned }) throwing it": [
      d(`traceSqlDatabaseRequest: deriving end data failed: ${thrown[label]}`)
    ],
    "SqlDatabaseRequestTracer.setRowsReturned": [],
    "createWebApplicationInfo({ contextRoot })": notAString("traceIncomingWebRequest", "contextRoot"),
    "traceIncomingWebRequest({ url })": notAString("traceIncomingWebRequest", "url"),
    "traceIncomingWebRequest({ method })": [],
    "traceIncomingWebRequest({ headers })": headers("traceIncomingWebRequest"),
    "traceIncomingWebRequest({ remoteAddress })": optionalString("traceIncomingWebRequest", "remoteAddress"),
    "traceIncomingWebRequest({ route })": [],
    "traceIncomingWebRequest({ parameters })": headers("traceIncomingWebRequest", "parameters", "names to values"),
    "traceIncomingWebRequest({ headers: { traceparent } })": carriedTag("traceIncomingWebRequest"),
    "traceIncomingWebRequest({ statusCode })": statusCode("traceIncomingWebRequest", true),
    "traceOutgoingWebRequest({ url })": notAString("traceOutgoingWebRequest", "url"),
    "traceOutgoingWebRequest({ method })": [],
    "traceOutgoingWebRequest({ headers })": headers("traceOutgoingWebRequest"),
    "OutgoingWebRequestTracer.setStatusCode": statusCode("traceOutgoingWebRequest", false),
    "OutgoingWebRequestTracer.addResponseHeaders": headers("traceOutgoingWebRequest.addResponseHeaders"),
    "IncomingWebRequestTracer.addParameter": [],
    "Tracer.markFailed": [],
    "createMessagingSystemInfo({ destinationType })": [
      ...notAString("traceOutgoingMessage", "destinationType"),
      d(`traceOutgoingMessage: "destinationType" must be "QUEUE" or "TOPIC"`)
    ],
    "traceOutgoingMessage({ vendorMessageId })": optionalString("traceOutgoingMessage", "vendorMessageId"),
    "traceIncomingMessageProcess({ properties })": [],
    "traceIncomingMessageProcess({ properties: { dtdTraceTagInfo } })": carriedTag("traceIncomingMessageProcess"),
    "traceInProcessLink(link)": unreadable
      ? [d("traceInProcessLink: its arguments could not be read (hostile: getPrototypeOf); nothing is traced")]
      : [d("traceInProcessLink: expected an InProcessLink from createInProcessLink")],
    "Effect.withSpan(name)": [],
    "Effect.annotateCurrentSpan(key, value)": [],
    "Effect.withSpan({ attributes })": [],
    "an Effect span event's attributes": []
  }
}

interface Messages {
  readonly diagnostics: Array<string>
  readonly verbose: Array<string>
}

// The production layer with every message captured.
const production = (options: OneAgentSdkOptions = {}) => {
  const messages: Messages = { diagnostics: [], verbose: [] }
  const layer = OneAgentSdk.layer({
    diagnosticCallback: (m) => messages.diagnostics.push(m),
    verboseCallback: (m) => messages.verbose.push(m),
    ...options
  })
  return { layer, messages }
}

describe("bad input through the public API", () => {
  describe("wrong types from untyped callers", () => {
    for (const [label, value] of hostileValues) {
      it.effect(`${label}: the production layer runs every effect unchanged`, () =>
        Effect.gen(function*() {
          const { layer, messages } = production()
          const { problems, reports } = yield* tryAll(value, false, messages).pipe(Effect.provide(layer))
          expect(problems, problems.join("\n")).toEqual([])
          // Not silently accepted either: each use that cannot take this value reports exactly why, and nothing else.
          expect(reports).toEqual(expectedReports(label, value))
        }))

      it.effect(`${label}: the strict layer fails only with OneAgentMisuseError`, () =>
        Effect.gen(function*() {
          const { problems } = yield* tryAll(value, true).pipe(withTest)
          expect(problems, problems.join("\n")).toEqual([])
        }))
    }

    it.effect("end-data functions that throw values without a string form: the result stays, the span ends", () =>
      Effect.gen(function*() {
        const { layer, messages } = production()
        const open = yield* Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const db = yield* OneAgentSdk.createDatabaseInfo(database)
          const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
          const unprintable = () => {
            throw Object.create(null)
          }
          expect(yield* ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1", { rowsReturned: unprintable }), inService))
            .toBe("ran")
          expect(yield* ran.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1", null as any), inService)).toBe("ran")
          expect(yield* ran.pipe(OneAgentSdk.traceIncomingWebRequest(app, { url: "/", method: "GET", statusCode: unprintable })))
            .toBe("ran")
          expect(yield* ran.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: "http://h/", method: "GET", responseHeaders: unprintable })))
            .toBe("ran")
          return yield* sdk.openSpans
        }).pipe(Effect.scoped, Effect.provide(layer))
        expect(open).toEqual([])
        expect(messages.diagnostics.filter((m) => m.includes("deriving end data failed"))).toHaveLength(5)
      }))
  })

  describe("invalid UTF-16 and huge strings", () => {
    it.effect("lone surrogates are recorded as U+FFFD, in names, attributes, tags and messages", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const lone = "a\uD800b\uDC00c\uDBFF"
        const result = yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute(lone, lone)
          return yield* Effect.fail(new Error(lone))
        }).pipe(
          OneAgentSdk.traceIncomingRemoteCall({ method: lone, service: lone, endpoint: lone, stringTag: lone }),
          Effect.flip
        )
        expect(result.message).toBe(lone)
        const [span] = yield* test.spans
        const fixed = "a\uFFFDb\uFFFDc\uFFFD"
        expect(span!.name).toBe(`${fixed}/${fixed}`)
        expect(span!.attributes["rpc.method"]).toBe(fixed)
        expect(span!.attributes[fixed]).toBe(fixed)
        expect(span!.status.message).toBe(`Error: ${fixed}`)
        expect(span!.parentSpanId).toBeUndefined()
      }).pipe(withTest))

    it.effect("a well-formed surrogate pair is kept whole, and counts as one character of the limit", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        // 251 astral characters (UTF-8: 4 bytes each) against the limit of 250: the truncation must show.
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, endpoint: "😀".repeat(251) }))
        yield* Effect.void.pipe(
          OneAgentSdk.traceIncomingRemoteCall({ ...remote, method: "exact", endpoint: "😀".repeat(250) })
        )
        const [over, exact] = yield* test.spans
        expect([...String(over!.attributes["oneagent.remote_call.endpoint"])]).toHaveLength(250)
        expect(over!.attributes["oneagent.truncated"]).toBe("oneagent.remote_call.endpoint")
        expect(exact!.attributes["oneagent.remote_call.endpoint"]).toBe("😀".repeat(250))
        expect(exact!.attributes["oneagent.truncated"]).toBeUndefined()
      }).pipe(withTest))

    it.effect("1 MB strings are cut to their limits (4,096 for SQL and URLs, 250 otherwise), never rejected", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const mb = "x".repeat(1 << 20)
        const db = yield* OneAgentSdk.createDatabaseInfo({ ...database, name: mb })
        const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
        const result = yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute(mb, mb)
          yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, `SELECT '${mb}'`))
          yield* Effect.void.pipe(Effect.withSpan(mb, { attributes: { big: mb } }))
          yield* Effect.exit(
            Effect.fail(new Error(mb)).pipe(OneAgentSdk.traceOutgoingRemoteCall({ ...outgoing, method: "boom" }))
          )
          return "done"
        }).pipe(OneAgentSdk.traceIncomingWebRequest(app, {
          url: `/${mb}`,
          method: "GET",
          headers: { "x-big": mb, traceparent: mb, tracestate: mb, host: "example.com" },
          parameters: { q: mb }
        }))
        expect(result).toBe("done")
        const spans = yield* test.spans
        const web = spans.find((s) => s.kind === "server")!
        expect(web.parentSpanId).toBeUndefined() // the megabyte traceparent did not parse
        expect(String(web.attributes["url.full"]).length).toBe(4096)
        expect(String(web.attributes["http.request.header.x-big"]).length).toBe(250)
        expect(String(web.attributes["oneagent.web.parameter.q"]).length).toBe(250)
        const custom = Object.entries(web.attributes).find(([key]) => key.startsWith("xxx"))
        expect(custom?.[0].length).toBe(250)
        expect(String(custom?.[1]).length).toBe(250)
        const sql = spans.find((s) => s.kind === "client" && s.attributes["db.query.text"] !== undefined)!
        expect(String(sql.attributes["db.query.text"]).length).toBe(4096)
        expect(String(sql.attributes["db.namespace"]).length).toBe(250)
        const effectSpan = spans.find((s) => s.name.startsWith("xxx"))!
        expect(effectSpan.name.length).toBe(250)
        const failed = spans.find((s) => s.status.code === "error")!
        expect(failed.status.message.length).toBeLessThanOrEqual(4096 + 250 + 2)
        for (const span of spans) {
          for (const value of Object.values(span.attributes)) {
            for (const v of Array.isArray(value) ? value : [value]) {
              if (typeof v === "string") expect(v.length).toBeLessThanOrEqual(4096)
            }
          }
        }
      }).pipe(withTest))

    it.effect("270 MB names: the effect's result is unchanged, the span keeps the engine's limit", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        // Twice this is past the longest string V8 can make: nothing may join them whole.
        const huge = "m".repeat(270e6)
        expect(yield* ran.pipe(OneAgentSdk.traceCustomService({ method: huge, service: huge }))).toBe("ran")
        const [span] = yield* test.spans
        expect(span!.name).toBe("m".repeat(250))
        expect(new Set(span!.attributes["oneagent.truncated"] as Array<string>)).toEqual(
          new Set(["span.name", "oneagent.custom_service.name", "oneagent.custom_service.method"])
        )
      }).pipe(withTest), 30_000)
  })

  describe("the engine's bounded caches", () => {
    it.effect("past 16,384 distinct span shapes, spans still start, named and attributed as asked", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        for (let i = 0; i < 16_400; i++) yield* ran.pipe(OneAgentSdk.traceCustomService({ method: `m${i}`, service: "s" }))
        const spans = yield* test.spans
        expect(spans).toHaveLength(16_400)
        const last = spans[16_399]!
        expect(last.name).toBe("s/m16399")
        expect(last.kind).toBe("server")
        expect(last.attributes["oneagent.custom_service.method"]).toBe("m16399")
      }).pipe(withTest), 60_000)
  })

  describe("numbers", () => {
    it.effect("NaN, ±Infinity, -0, huge and fractional numbers and huge BigInts are recorded, not rejected", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const values: ReadonlyArray<number> = [
          NaN,
          Infinity,
          -Infinity,
          -0,
          Number.MAX_VALUE,
          2 ** 53 + 2,
          -(2 ** 60),
          0.1,
          5e-324
        ]
        yield* Effect.gen(function*() {
          for (const [i, v] of values.entries()) yield* OneAgentSdk.addCustomRequestAttribute(`n${i}`, v)
          yield* Effect.annotateCurrentSpan("big", 2n ** 200n)
          yield* Effect.annotateCurrentSpan("negative", -(2n ** 70n))
        }).pipe(OneAgentSdk.traceCustomService(service), Effect.withSpan("numbers"))
        const span = yield* test.span("Jobs/handle")
        expect(span.attributes["n0"]).toBeNaN()
        expect(span.attributes["n1"]).toBe(Infinity)
        expect(span.attributes["n2"]).toBe(-Infinity)
        expect(span.attributes["n3"]).toBe(0)
        expect(span.attributes["n4"]).toBe(Number.MAX_VALUE)
        expect(span.attributes["n5"]).toBe(2 ** 53 + 2)
        expect(span.attributes["n6"]).toBe(-(2 ** 60))
        expect(span.attributes["n7"]).toBe(0.1)
        expect(span.attributes["n8"]).toBe(5e-324)
        const effectSpan = yield* test.span("numbers")
        expect(effectSpan.attributes["big"]).toBe(Number(2n ** 200n))
        expect(effectSpan.attributes["negative"]).toBe(Number(-(2n ** 70n)))
      }).pipe(withTest))

    it.effect("a non-integer, NaN or infinite status code is misuse: a diagnostic, the span still ends", () =>
      Effect.gen(function*() {
        const { layer, messages } = production()
        const request = OneAgentSdk.traceOutgoingWebRequest({
          url: "http://h/x",
          method: "GET",
          statusCode: (c: number) => c
        })
        const results = yield* Effect.forEach([NaN, Infinity, 200.5, -1, 2 ** 40], (code) =>
          Effect.succeed(code).pipe(request)).pipe(Effect.provide(layer))
        expect(results).toEqual([NaN, Infinity, 200.5, -1, 2 ** 40])
        expect(messages.diagnostics.filter((m) => m.includes("integer status code"))).toHaveLength(3)
      }))
  })

  describe("malformed and hostile tags and headers", () => {
    const hostileTags: ReadonlyArray<readonly [string, string]> = [
      ["empty", ""],
      ["garbage", "garbage"],
      ["overlong (10 kB)", `${validTag}-${"a".repeat(10_000)}`],
      ["version 00 with a suffix", `${validTag}-extra`],
      ["non-hex trace id", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"],
      ["upper-case hex", validTag.toUpperCase()],
      ["version ff", `ff${validTag.slice(2)}`],
      ["all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
      ["all-zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"],
      ["short", validTag.slice(0, 54)],
      ["wrong separators", validTag.replaceAll("-", "_")],
      ["NUL inside", `${validTag.slice(0, 10)}\0${validTag.slice(11)}`],
      ["two tags joined", `${validTag},${validTag}`],
      ["lone surrogate", `${validTag.slice(0, 54)}\uD800`],
      ["leading 200 spaces", `${" ".repeat(200)}${validTag}`]
    ]

    it.effect("each starts a new trace (verbose callback), the effect runs unchanged", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const sdk = yield* OneAgentSdk
        const verbose: Array<string> = []
        yield* sdk.setVerboseCallback((m) => verbose.push(m))
        for (const [, tag] of hostileTags) {
          expect(yield* ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: tag }))).toBe("ran")
        }
        const spans = yield* test.spans
        expect(spans).toHaveLength(hostileTags.length)
        for (const [i, span] of spans.entries()) {
          expect(span.parentSpanId, hostileTags[i]![0]).toBeUndefined()
          expect(span.traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736")
        }
        expect(verbose.filter((m) => m.includes("could not be parsed"))).toHaveLength(hostileTags.length)
      }).pipe(withTest))

    it.effect("a later version with extra fields, and surrounding whitespace, are accepted as W3C asks", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: `cc${validTag.slice(2)}-future` }))
        yield* ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: ` \t${validTag}\t ` }))
        for (const span of yield* test.spans) {
          expect(span.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
          expect(span.parentSpanId).toBe("00f067aa0ba902b7")
        }
      }).pipe(withTest))

    it.effect("flags 03 (sampled, random trace id: W3C Level 2) are sampled, for the span and for the context", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const level2 = `${validTag.slice(0, 53)}03`
        const context = yield* OneAgentSdk.currentTraceContext.pipe(
          OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: level2 })
        )
        const [span] = yield* test.spans
        expect(span!.sampled).toBe(true)
        expect(context).toMatchObject({ isValid: true, traceId: span!.traceId, spanId: span!.spanId, sampled: true })
      }).pipe(withTest))

    it.effect("byte tags of the wrong length, type or layout start a new trace", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const good = Uint8Array.from(Buffer.from("00004bf92f3577b34da6a3ce929d0e0e47360100f067aa0ba902b70201", "hex"))
        const detached = new Uint8Array(new ArrayBuffer(29))
        structuredClone(detached.buffer, { transfer: [detached.buffer] })
        const bad: ReadonlyArray<unknown> = [
          good.subarray(0, 28),
          new Uint8Array(29),
          Uint8Array.from([...good.subarray(0, 18), 9, ...good.subarray(19)]),
          new Uint16Array(29),
          new DataView(good.buffer),
          detached,
          Buffer.from(validTag)
        ]
        for (const byteTag of bad) {
          const traced = ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, byteTag: byteTag as Uint8Array }))
          expect(yield* traced).toBe("ran")
        }
        yield* ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, method: "good", byteTag: good }))
        const spans = yield* test.spans
        expect(spans.filter((s) => s.parentSpanId === undefined)).toHaveLength(bad.length)
        expect((yield* test.span("svc/good")).parentSpanId).toBe("00f067aa0ba902b7")
      }).pipe(withTest))

    it.effect("hostile header objects: arrays, __proto__, constructor, null prototype, huge counts", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const app = yield* OneAgentSdk.createWebApplicationInfo(webApp)
        const protoHeaders = JSON.parse(`{"__proto__": "${validTag}", "constructor": "c", "toString": "t"}`)
        const nullProto = Object.assign(Object.create(null), { traceparent: [validTag, validTag], "x-a": ["1", "2"] })
        const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, "v"]))
        for (const headers of [protoHeaders, nullProto, many]) {
          const traced = ran.pipe(OneAgentSdk.traceIncomingWebRequest(app, { url: "/x", method: "GET", headers }))
          expect(yield* traced).toBe("ran")
        }
        const [proto, arrays, lots] = yield* test.spans
        expect(Object.getPrototypeOf(proto!.attributes)).toBe(Object.prototype) // no prototype pollution
        expect(Object.hasOwn(proto!.attributes, "http.request.header.__proto__")).toBe(true)
        expect(proto!.attributes["http.request.header.constructor"]).toBe("c")
        expect(proto!.parentSpanId).toBeUndefined() // "__proto__" is not a traceparent header
        expect(arrays!.parentSpanId).toBeUndefined() // two traceparent values joined do not parse
        expect(arrays!.attributes["http.request.header.x-a"]).toEqual(["1", "2"])
        // Past what one request records under names of its own, the rest are kept in one attribute: the span keeps
        // room for the application's attributes.
        expect(Object.keys(lots!.attributes).filter((k) => k.startsWith("http.request.header.")).length).toBeLessThanOrEqual(64)
        expect(String(lots!.attributes["oneagent.web.other_request_headers"])).toMatch(/^x-h\d+: v\n/)
        expect(lots!.droppedAttributesCount).toBe(0)
        expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
      }).pipe(withTest))

    it.effect("attribute keys that name Object.prototype members are recorded as they are", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.gen(function*() {
          for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
            yield* OneAgentSdk.addCustomRequestAttribute(key, key.length)
          }
          yield* OneAgentSdk.addCustomRequestAttribute("constructor", "again")
        }).pipe(OneAgentSdk.traceCustomService(service))
        const span = yield* test.span("Jobs/handle")
        expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype)
        expect(Object.getOwnPropertyDescriptor(span.attributes, "__proto__")?.value).toBe(9)
        expect(span.attributes["constructor"]).toEqual([11, "again"])
        expect(span.attributes["toString"]).toBe(8)
        expect(span.attributes["hasOwnProperty"]).toBe(14)
        expect(span.attributes["valueOf"]).toBe(7)
      }).pipe(withTest))
  })

  describe("misuse over time", () => {
    it.effect("a tracer used after its end: diagnostics, never a crash, results unchanged", () =>
      Effect.gen(function*() {
        const { layer, messages } = production()
        const result = yield* Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const app = yield* sdk.createWebApplicationInfo(webApp)
          const web = yield* Effect.scoped(sdk.traceIncomingWebRequest(app, { url: "/x", method: "GET" }))
          const call = yield* Effect.scoped(sdk.traceOutgoingRemoteCall(outgoing))
          // Both scopes closed: every use now is after the end.
          yield* web.setStatusCode(500)
          yield* web.addResponseHeaders({ a: "b" })
          yield* web.addParameter("p", "v")
          yield* web.end
          yield* call.markFailed("E", "late")
          return [yield* call.outgoingStringTag, (yield* call.outgoingByteTag).length]
        }).pipe(Effect.scoped, Effect.provide(layer))
        expect(result).toEqual(["", 0])
        expect(messages.diagnostics.length).toBeGreaterThanOrEqual(6)
        for (const d of messages.diagnostics) expect(d).toMatch(/already ended|not known/)
      }))

    it.effect("after shutdown (layer released) every call is a no-op with a diagnostic", () =>
      Effect.gen(function*() {
        const { layer, messages } = production()
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(layer, scope)
        const sdk = Context.get(context, OneAgentSdk)
        const db = yield* sdk.createDatabaseInfo(database).pipe(Effect.provideService(Scope.Scope, scope))
        const tracerScope = yield* Scope.make()
        const open = yield* sdk.traceCustomService(service).pipe(Effect.provideService(Scope.Scope, tracerScope))
        const link = yield* sdk.createInProcessLink.pipe(Effect.provide(context))
        yield* Scope.close(scope, Exit.void)
        messages.diagnostics.length = 0
        // Everything now runs against a released layer.
        const result = yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute("k", 1)
          yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1"))
          yield* Effect.void.pipe(OneAgentSdk.traceInProcessLink(link))
          yield* open.markFailed("E", "after shutdown")
          yield* open.end
          const tag = yield* OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceOutgoingRemoteCall(outgoing))
          return [tag, yield* sdk.stats]
        }).pipe(Effect.provide(context))
        yield* Scope.close(tracerScope, Exit.void)
        expect(result[0]).toBe("")
        expect(messages.diagnostics.join("\n")).toContain("shut down")
      }))

    it.effect("a tracer of a released layer cannot touch the spans of the layer that replaced it", () =>
      Effect.gen(function*() {
        // Layer A: a tracer whose scope outlives the layer.
        const first = yield* Scope.make()
        const layerA = yield* Layer.buildWithScope(OneAgentSdk.layer({ diagnosticCallback: () => {} }), first)
        const sdkA = Context.get(layerA, OneAgentSdk)
        const stale = yield* sdkA.traceCustomService({ ...service, method: "stale" }).pipe(
          Effect.provideService(Scope.Scope, yield* Scope.make())
        )
        yield* Scope.close(first, Exit.void)
        // Layer B (the strict layer: any misuse fails the test) starts a fresh engine with fresh handles.
        yield* Effect.gen(function*() {
          const test = yield* OneAgentTest.OneAgentTest
          const sdkB = yield* OneAgentSdk
          yield* Effect.scoped(Effect.gen(function*() {
            yield* sdkB.traceCustomService({ ...service, method: "fresh" })
            // The stale tracer's calls must not end or fail the new engine's span.
            yield* stale.markFailed("Stale", "from the old layer")
            yield* stale.end
          }))
          const fresh = yield* test.span("Jobs/fresh")
          expect(fresh.status.code).toBe("unset")
          expect(fresh.events).toHaveLength(0)
        }).pipe(withTest)
      }))

    it.live("a fiber that outlives its tracer's scope: its own tag is empty, the current one still joins the trace", () =>
      Effect.gen(function*() {
        const { layer, messages } = production()
        const result = yield* Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const latch = yield* Latch.make()
          const outer = yield* Effect.scope
          const late = yield* Effect.gen(function*() {
            const tracer = yield* sdk.traceOutgoingRemoteCall(outgoing)
            // Forked into the outer scope: it keeps running after this scope (and the span) closed.
            return yield* Effect.forkIn(
              Effect.gen(function*() {
                yield* latch.await
                yield* OneAgentSdk.addCustomRequestAttribute("late", 1)
                const current = yield* OneAgentSdk.currentStringTag
                const own = yield* tracer.outgoingStringTag
                const link = yield* OneAgentSdk.createInProcessLink
                yield* Effect.void.pipe(OneAgentSdk.traceInProcessLink(link))
                yield* tracer.end
                return [current, own, "finished"]
              }),
              outer
            )
          }).pipe(Effect.scoped, OneAgentSdk.traceIncomingRemoteCall(remote))
          yield* latch.open
          return yield* Fiber.join(late)
        }).pipe(Effect.scoped, Effect.provide(layer))
        // The fiber still runs in the ended span's context: what it calls joins that trace (as with OpenTelemetry),
        // while reading the ended tracer's own tag, attaching to it and ending it again are misuse.
        expect(result[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        expect(result.slice(1)).toEqual(["", "finished"])
        expect(messages.diagnostics.length).toBeGreaterThan(0)
      }))

    it.effect("callbacks that throw or re-enter the SDK do not reach the application", () =>
      Effect.gen(function*() {
        let calls = 0
        const result = yield* Effect.gen(function*() {
          yield* OneAgentSdk.addCustomRequestAttribute("k", 1) // no service call: diagnostic
          yield* ran.pipe(OneAgentSdk.traceIncomingRemoteCall({ ...remote, stringTag: "garbage" })) // verbose
          return "fine"
        }).pipe(Effect.provide(OneAgentSdk.layer({
          diagnosticCallback: () => {
            calls++
            throw throwingProxy
          },
          verboseCallback: () => {
            calls++
            throw new Error("verbose bug")
          }
        })))
        expect(result).toBe("fine")
        expect(calls).toBeGreaterThanOrEqual(2)
      }))
  })

  describe("SQL statements with maskSqlLiterals", () => {
    // Hostile statements: every literal holds the secret, in every spelling a vendor accepts.
    const secret = "hunter2"
    const statements: ReadonlyArray<readonly [vendor: string, statement: string]> = [
      ["SQLServer", `SELECT * FROM users WHERE name = 'O''Brien' AND pass = '${secret}'`],
      ["SQLServer", `SELECT * FROM t WHERE a = 'x' /* it's */ AND pass = '${secret}'`],
      ["SQLServer", `SELECT * FROM t WHERE a = 'x'/*'*/ AND pass = '${secret}'`],
      ["SQLServer", `SELECT 1 -- don't log '${secret}'\nFROM t WHERE pass = N'${secret}'`],
      ["SQLServer", `SELECT * FROM t WHERE pass = '${secret}`], // unterminated
      ["SQLServer", `SELECT * FROM [we're] WHERE "it's" = '${secret}'`],
      ["Oracle", `SELECT * FROM t WHERE pass = q'[${secret}]' AND n = .5${secret.length}`],
      ["MySQL", `SELECT * FROM t WHERE pass = "${secret}"`],
      ["MySQL", `SELECT * FROM t WHERE pass = 'it\\'s ${secret}'`],
      ["MySQL", `SELECT * FROM t WHERE pass = 'a\\\\' OR x = '${secret}' # '${secret}'`],
      ["PostgreSQL", `SELECT * FROM t WHERE pass = $$${secret}$$ OR pass = $tag$${secret}$tag$`],
      ["PostgreSQL", `SELECT * FROM t WHERE pass = E'it\\'s ${secret}' OR p = 'C:\\' OR q = '${secret}'`],
      ["PostgreSQL", `SELECT * FROM t WHERE pass = U&'${secret}' AND card = 4111111111111111 AND h = 0x1F2E`],
      ["PostgreSQL", `SELECT * FROM t WHERE tags && ARRAY['${secret}'] OR card = ANY(ARRAY[4111111111111111])`],
      ["PostgreSQL", `SELECT 1 /* outer /* nested */ password=${secret} */ FROM t`],
      ["MySQL", `SELECT * FROM t WHERE flags = 0b101101 AND h = 0x1F2E`],
      ["SQLServer", `SELECT * FROM t WHERE balance = $4111.11`],
      ["Oracle", `SELECT * FROM t WHERE note = q'[it's ${secret}'s]'`]
    ]

    it.effect("no literal survives, in any vendor's spelling; the statement's shape stays", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        for (const [i, [vendor, statement]] of statements.entries()) {
          const db = yield* OneAgentSdk.createDatabaseInfo({ ...database, name: `db${i}`, vendor })
          yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, statement), inService)
        }
        for (const [i, [vendor, statement]] of statements.entries()) {
          const text = String((yield* test.span(`SELECT db${i}`)).attributes["db.query.text"])
          expect(text, `${vendor}: ${statement}`).not.toContain(secret)
          expect(text, `${vendor}: ${statement}`).not.toMatch(/4111|0x1F2E|101101/)
          expect(text.startsWith("SELECT ")).toBe(true)
          expect(text).toMatch(/\bFROM\b/)
        }
      }).pipe(Effect.scoped, (self) => self.pipe(Effect.provide(OneAgentTest.layer({ maskSqlLiterals: true })))))

    it.effect("a 1 MB statement is masked quickly and recorded at its limit", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const db = yield* OneAgentSdk.createDatabaseInfo(database)
        const conditions = Array.from({ length: 60_000 }, (_, i) => `c${i} = '${secret}${i}'`)
        const statement = `SELECT * FROM t WHERE ${conditions.join(" OR ")}`
        // How long masking takes is measured in bench/; here, what it leaves.
        yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, statement), inService)
        const text = String((yield* test.span("SELECT orders")).attributes["db.query.text"])
        expect(text).not.toContain(secret)
        expect([...text].length).toBeLessThanOrEqual(4096)
      }).pipe(Effect.scoped, (self) => self.pipe(Effect.provide(OneAgentTest.layer({ maskSqlLiterals: true })))))
  })

  describe("the console tree", () => {
    it.effect("control characters in names, messages, keys and values are escaped: one line per span, no terminal codes", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const evil = "x\n  └─ Payments/refund [client] 0.01 ms ✓\u001b[2K\u001b]0;pwned\u0007\u009b31m\u007f"
        yield* Effect.exit(Effect.fail(new Error(evil)).pipe(
          Effect.tapCause(() => OneAgentSdk.addCustomRequestAttribute(evil, evil)),
          OneAgentSdk.traceCustomService({ method: evil, service: "Orders" })
        ))
        const tree = SpanData.renderTree(yield* test.spans)
        // One trace line and one span line; nothing else reaches the terminal raw.
        expect(tree.split("\n")).toHaveLength(2)
        expect(tree).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
        const line = tree.split("\n")[1]!
        expect(line).toContain("Orders/x\\n  └─ Payments/refund")
        expect(line).toContain("Error: x\\n")
        expect(line).toContain("\\u001b[2K\\u001b]0;pwned\\u0007\\u009b31m\\u007f=")
      }).pipe(withTest))
  })

  describe("the engine outside the SDK's control", () => {
    it.effect("Effect's native tracer spans and foreign ExternalSpans as parents are handled", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const foreign = Tracer.externalSpan({ traceId: "not-hex", spanId: "zz", sampled: true })
        const remoteParent = Tracer.externalSpan({
          traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
          spanId: "00f067aa0ba902b7",
          sampled: true
        })
        yield* ran.pipe(
          OneAgentSdk.traceCustomService({ ...service, method: "foreign" }),
          Effect.withParentSpan(foreign)
        )
        yield* ran.pipe(
          OneAgentSdk.traceCustomService({ ...service, method: "remote" }),
          Effect.withParentSpan(remoteParent)
        )
        expect((yield* test.span("Jobs/foreign")).parentSpanId).toBeUndefined()
        const continued: SpanData.SpanData = yield* test.span("Jobs/remote")
        expect(continued.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
      }).pipe(withTest))
  })
})

assert(uses.length > 30)
