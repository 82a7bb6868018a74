// End to end through the public API with the real components: the native engine and its export thread, the
// OTLP/HTTP transport (or the OTLP/JSON lines file), and a real node:http receiver on 127.0.0.1. What arrives is
// decoded with the official opentelemetry-proto definitions and compared field by field with what was traced.
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { inspect } from "node:util"
import * as ExportConfig from "../src/ExportConfig.ts"
import { load } from "../src/internal/addon.ts"
import type { Stats } from "../src/OneAgentSdk.ts"
import {
  AgentState,
  ChannelType,
  InitResult,
  OneAgentSdk,
  type OneAgentSdkService
} from "../src/index.ts"

import {
  byName,
  childReceiver,
  closedPort,
  decodeJsonLines,
  ExportTraceServiceRequest,
  gate,
  nowNanos,
  parseTag,
  receiver,
  spansOf,
  withSdk
} from "./support/otlp.ts"
import { eventually, patienceMillis } from "./support/wait.ts"

// The engine this run loads: the native one, or the WebAssembly engine (npm run test:wasm), whose export runs on the
// application's thread instead of an export thread.
const loaded = load()
const inlineExport = loaded._tag === "Loaded" && loaded.engine === "wasm"

const SERVER = 2
const CLIENT = 3
const STATUS_UNSET = 0
const STATUS_ERROR = 2

class PaymentDeclined extends Data.TaggedError("PaymentDeclined")<{ readonly message: string }> {}

// Every span that ended is exported, dropped (by the exporter or the buffer) or pending; nothing else.
const expectStatsAddUp = (stats: Stats) => {
  expect(stats.spansUnsampled).toBe(0)
  expect(stats.spansExported + stats.spansDroppedExport + stats.spansDroppedBuffer + stats.spansPendingExport)
    .toBe(stats.spansEnded)
}

// Polls the stats (no event announces them) until `predicate` holds, checking on every poll that they add up.
const statsWhen = (sdk: OneAgentSdkService, what: string, predicate: (s: Stats) => boolean) =>
  eventually(
    what,
    Effect.map(sdk.stats, (s) => {
      expectStatsAddUp(s)
      return predicate(s) ? s : undefined
    })
  )

// Polls the agent state (set by the export as the target answers) until it is `state`.
const stateBecomes = (sdk: OneAgentSdkService, state: AgentState.AgentState) =>
  eventually(`the agent state ${state}`, Effect.map(sdk.agentState, (s) => (s === state ? s : undefined)))

// A small application: twenty requests, every fifth one failing with a typed error, one dying. Traced or not, it
// must give the same results.
const app = Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
  Effect.exit(
    (i === 7
      ? Effect.die(new Error("bug 7"))
      : i % 5 === 0
      ? Effect.fail(new PaymentDeclined({ message: `declined ${i}` }))
      : Effect.succeed(i * 2)).pipe(
        OneAgentSdk.traceIncomingRemoteCall({ method: "handle", service: "App", endpoint: "rpc://app" })
      )
  ))

const expectedApp = Effect.runSync(
  Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
    Effect.exit(
      i === 7
        ? Effect.die(new Error("bug 7"))
        : i % 5 === 0
        ? Effect.fail(new PaymentDeclined({ message: `declined ${i}` }))
        : Effect.succeed(i * 2)
    ))
)

const expectSameResults = (actual: ReadonlyArray<Exit.Exit<number, PaymentDeclined>>) => {
  expect(actual).toHaveLength(expectedApp.length)
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!
    const b = expectedApp[i]!
    expect(a._tag).toBe(b._tag)
    if (Exit.isSuccess(a) && Exit.isSuccess(b)) expect(a.value).toBe(b.value)
    if (Exit.isFailure(a) && Exit.isFailure(b)) {
      expect(Cause.hasDies(a.cause)).toBe(Cause.hasDies(b.cause))
      expect(Cause.hasInterrupts(a.cause)).toBe(false)
      const [x, y] = [Cause.squash(a.cause), Cause.squash(b.cause)] as Array<any>
      expect([x._tag, x.message, x.constructor]).toEqual([y._tag, y.message, y.constructor])
    }
  }
}

const resourceBase = {
  "host.name": Os.hostname(),
  "process.pid": BigInt(process.pid),
  "telemetry.sdk.name": "effect-oneagent",
  "telemetry.sdk.language": "nodejs",
  "telemetry.sdk.version": ExportConfig.sdkVersion
}

// ---------------------------------------------------------------------------------------------------------------

describe("export", () => {
  it.live("a traced request arrives exactly as traced", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const upstream = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" }
      const outgoing = {
        method: "charge",
        service: "Payments",
        endpoint: "rpc://payments",
        channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" },
        protocolName: "grpc"
      }
      const before = nowNanos()
      const run = yield* withSdk({
        export: {
          endpoint: rx.url,
          serviceName: "checkout",
          serviceVersion: "1.2.3",
          resourceAttributes: { "deployment.environment.name": "test", "build.number": 7 }
        }
      }, (sdk) =>
        Effect.gen(function*() {
          const incomingTag = yield* OneAgentSdk.currentStringTag
          yield* OneAgentSdk.addCustomRequestAttribute("order.id", 42)
          yield* OneAgentSdk.addCustomRequestAttribute("item", "apple")
          yield* OneAgentSdk.addCustomRequestAttribute("item", "pear")
          yield* OneAgentSdk.addCustomRequestAttribute("ratio", 0.5)
          const outgoingTag = yield* Effect.scoped(Effect.gen(function*() {
            const tracer = yield* sdk.traceOutgoingRemoteCall(outgoing)
            yield* Effect.sleep(2)
            return yield* tracer.outgoingStringTag
          }))
          let customTag = ""
          const declined = yield* Effect.gen(function*() {
            customTag = yield* OneAgentSdk.currentStringTag
            yield* OneAgentSdk.addCustomRequestAttribute("attempt", 1)
            return yield* new PaymentDeclined({ message: "card expired" })
          }).pipe(OneAgentSdk.traceCustomService({ method: "authorize", service: "Fraud" }), Effect.flip)
          return { incomingTag, outgoingTag, customTag, declined, state: yield* sdk.agentState }
        }).pipe(
          OneAgentSdk.traceIncomingRemoteCall({
            method: "placeOrder",
            service: "Orders",
            endpoint: "rpc://orders",
            protocolName: "http",
            stringTag: `00-${upstream.traceId}-${upstream.spanId}-01`,
            traceState: "vendor=abc"
          })
        ))
      const after = nowNanos()
      const { incomingTag, outgoingTag, customTag, declined, state } = run.result
      expect(declined).toEqual(new PaymentDeclined({ message: "card expired" }))
      expect(state).toBe(AgentState.ACTIVE)
      expect(run.sdk.initResult).toEqual({ status: InitResult.STATUS_INITIALIZED, error: undefined })
      expect(run.diagnostics).toEqual([])

      // Everything arrived with the release, in protobuf at the OTLP path.
      for (const request of rx.requests) {
        expect(request.path).toBe("/v1/traces")
        expect(request.headers["content-type"]).toBe("application/x-protobuf")
        expect(request.headers["content-encoding"]).toBeUndefined()
      }
      for (const batch of rx.accepted) {
        expect(batch.resource).toEqual({
          ...resourceBase,
          "service.name": "checkout",
          "service.version": "1.2.3",
          "deployment.environment.name": "test",
          "build.number": 7n
        })
        expect(batch.scope).toEqual({ name: "effect-oneagent", version: ExportConfig.sdkVersion })
      }
      const spans = byName(spansOf(rx.accepted))
      expect([...spans.keys()].sort()).toEqual(["Fraud/authorize", "Orders/placeOrder", "Payments/charge"])
      const server = spans.get("Orders/placeOrder")!
      const client = spans.get("Payments/charge")!
      const custom = spans.get("Fraud/authorize")!

      const incoming = parseTag(incomingTag)
      expect(incoming.traceId).toBe(upstream.traceId)
      expect(server).toMatchObject({
        traceId: upstream.traceId,
        spanId: incoming.spanId,
        parentSpanId: upstream.spanId,
        traceState: "vendor=abc",
        flags: 1,
        kind: SERVER,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
        events: [],
        links: [],
        status: { code: STATUS_UNSET, message: "" }
      })
      expect(server.attributes).toEqual({
        "rpc.method": "placeOrder",
        "rpc.service": "Orders",
        "oneagent.remote_call.endpoint": "rpc://orders",
        "network.protocol.name": "http",
        "order.id": 42n,
        item: ["apple", "pear"],
        ratio: 0.5
      })

      const out = parseTag(outgoingTag)
      expect(client).toMatchObject({
        traceId: upstream.traceId,
        spanId: out.spanId,
        parentSpanId: incoming.spanId,
        flags: 1,
        kind: CLIENT,
        events: [],
        links: [],
        status: { code: STATUS_UNSET, message: "" }
      })
      expect(out.traceId).toBe(upstream.traceId)
      expect(client.attributes).toEqual({
        "rpc.method": "charge",
        "rpc.service": "Payments",
        "oneagent.remote_call.endpoint": "rpc://payments",
        "network.protocol.name": "grpc",
        "oneagent.channel.type": "TCP_IP",
        "oneagent.channel.endpoint": "payments.internal:443",
        "network.transport": "tcp",
        "server.address": "payments.internal",
        "server.port": 443n
      })

      const cs = parseTag(customTag)
      expect(custom).toMatchObject({
        traceId: upstream.traceId,
        spanId: cs.spanId,
        parentSpanId: incoming.spanId,
        kind: SERVER,
        links: [],
        status: { code: STATUS_ERROR, message: "PaymentDeclined: card expired" }
      })
      // The custom service is a service call of its own: its attribute lands on it, not on the incoming call.
      expect(custom.attributes).toEqual({
        "oneagent.custom_service.name": "Fraud",
        "oneagent.custom_service.method": "authorize",
        attempt: 1n
      })
      expect(custom.events).toHaveLength(1)
      const exception = custom.events[0]!
      expect(exception.name).toBe("exception")
      expect(Object.keys(exception.attributes).sort()).toEqual([
        "exception.message",
        "exception.stacktrace",
        "exception.type"
      ])
      expect(exception.attributes["exception.type"]).toBe("PaymentDeclined")
      expect(exception.attributes["exception.message"]).toBe("card expired")
      expect(exception.attributes["exception.stacktrace"]).toContain("PaymentDeclined: card expired")

      // Times: Unix nanoseconds within the test, children inside their parent, the outgoing call before the
      // custom service (they ran one after the other), the exception inside its span.
      expect(server.start >= before - 1_000_000n && server.end <= after + 1_000_000n).toBe(true)
      for (const child of [client, custom]) {
        expect(child.start <= child.end).toBe(true)
        expect(child.start >= server.start && child.end <= server.end).toBe(true)
      }
      expect(client.end - client.start >= 1_000_000n).toBe(true) // it slept 2 ms
      expect(client.end <= custom.start).toBe(true)
      expect(exception.time >= custom.start && exception.time <= custom.end).toBe(true)

      const stats = yield* run.sdk.stats
      expect(stats).toMatchObject({ spansStarted: 3, spansEnded: 3, spansExported: 3, spansDroppedExport: 0 })
      expectStatsAddUp(stats)
    }))

  it.live("target, headers, compression and resource from OTEL_* variables through a ConfigProvider", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const env = {
        OTEL_SERVICE_NAME: "from-env",
        OTEL_RESOURCE_ATTRIBUTES: "service.name=overridden,team=core,region=eu%2Dwest",
        OTEL_EXPORTER_OTLP_ENDPOINT: `${rx.url}/otlp/`,
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=t1,x-scope=a%20b",
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip"
      }
      const run = yield* withSdk(
        {},
        () => Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "S" })),
        ConfigProvider.fromEnv({ env })
      )
      expect(run.diagnostics).toEqual([])
      expect(rx.requests.length).toBeGreaterThan(0)
      for (const request of rx.requests) {
        expect(request.path).toBe("/otlp/v1/traces")
        expect(request.headers["x-tenant"]).toBe("t1")
        expect(request.headers["x-scope"]).toBe("a b")
        expect(request.headers["content-encoding"]).toBe("gzip")
      }
      expect(rx.accepted.map((b) => b.resource)).toEqual(
        rx.accepted.map(() => ({ ...resourceBase, "service.name": "from-env", team: "core", region: "eu-west" }))
      )
      expect(spansOf(rx.accepted).map((s) => s.name)).toEqual(["S/m"])
    }))

  it.live("links past the bound are exported as droppedLinksCount", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      yield* withSdk({ export: { endpoint: rx.url } }, () =>
        Effect.gen(function*() {
          const first = yield* Effect.currentSpan.pipe(Effect.withSpan("first"))
          const links = Array.from({ length: 131 }, () => ({ span: first, attributes: {} }))
          yield* Effect.void.pipe(Effect.withSpan("many links", { links }))
        }))
      const span = byName(spansOf(rx.accepted)).get("many links")!
      expect(span.links).toHaveLength(128)
      expect(span.droppedLinksCount).toBe(3)
    }))

  it.live("gzip: the body is gzipped and decodes after gunzip", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const run = yield* withSdk(
        { export: { endpoint: rx.url, compression: "gzip", serviceName: "zipped" } },
        () =>
          Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) =>
            OneAgentSdk.addCustomRequestAttribute("i", i).pipe(
              OneAgentSdk.traceCustomService({ method: `m${i}`, service: "Zip" })
            ), { discard: true })
      )
      expect(run.diagnostics).toEqual([])
      expect(rx.requests.length).toBeGreaterThan(0)
      for (const request of rx.requests) {
        expect(request.headers["content-encoding"]).toBe("gzip")
        expect([request.raw[0], request.raw[1]]).toEqual([0x1f, 0x8b])
        expect(request.raw.length).toBeLessThan(request.body.length)
      }
      const spans = spansOf(rx.accepted)
      expect(spans.map((s) => s.name)).toEqual(Array.from({ length: 50 }, (_, i) => `Zip/m${i}`))
      expect(spans.map((s) => s.attributes.i)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
      expect(rx.accepted[0]!.resource["service.name"]).toBe("zipped")
    }))

  it.live("Dynatrace: API path and Api-Token header, and the token appears nowhere else", () =>
    Effect.gen(function*() {
      // A retry, then success, then a rejection: the messages that name the target are produced.
      const rx = yield* receiver((n) => ({ status: n === 1 ? 503 : n === 2 ? 200 : 401 }))
      const token = "dt0c01.SECRET"
      const options = { dynatrace: { url: `${rx.url}/`, apiToken: Redacted.make(token) }, serviceName: "dt" }
      const run = yield* withSdk({ export: options }, (sdk) =>
        Effect.gen(function*() {
          yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "first", service: "Dt" }))
          yield* rx.answered(2) // the first batch, accepted on its retry
          yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "second", service: "Dt" }))
          yield* rx.answered(3) // the rejection
          return { stats: yield* statsWhen(sdk, "the drop", (s) => s.spansDroppedExport === 1) }
        }))
      expect(rx.requests).toHaveLength(3)
      for (const request of rx.requests) {
        expect(request.path).toBe("/api/v2/otlp/v1/traces")
        expect(request.headers.authorization).toBe(`Api-Token ${token}`)
        expect(request.headers["content-type"]).toBe("application/x-protobuf")
      }
      expect(spansOf(rx.accepted).map((s) => s.name)).toEqual(["Dt/first"])
      expect(run.verbose.join("\n")).toContain("503")
      expect(run.diagnostics.join("\n")).toContain("401")
      expect(run.result.stats).toMatchObject({ spansExported: 1, spansDroppedExport: 1 })

      const resolved = yield* ExportConfig.resolve(options)
      const everything = [
        ...run.diagnostics,
        ...run.verbose,
        JSON.stringify(run.result.stats),
        JSON.stringify(yield* run.sdk.stats),
        JSON.stringify(run.sdk.initResult),
        run.sdk.agentVersionString,
        inspect(spansOf(rx.accepted), { depth: 10 }),
        inspect(rx.accepted.map((b) => b.resource)),
        inspect(resolved, { depth: 10 }),
        JSON.stringify(resolved),
        String(resolved.target._tag === "OtlpHttp" ? resolved.target.headers[0]![1] : "")
      ].join("\n")
      expect(everything).toContain("/api/v2/otlp/v1/traces") // the messages do name the target
      expect(everything).not.toContain("SECRET")
      // A bad Dynatrace URL fails without quoting anything secret either.
      const failed = yield* Effect.flip(ExportConfig.resolve({ dynatrace: { url: `not a url ${token}`, apiToken: Redacted.make(token) } }))
      expect(failed.message).not.toContain("SECRET")
    }))

  describe("faults", () => {
    // The app's 20 spans leave as one batch: taken once half the buffer (20) waits, never by the interval.
    const oneBatch = { exportInterval: 60_000, bufferSize: 40 } as const

    it.live("503 then 200: TEMPORARILY_INACTIVE while retrying, ACTIVE after, nothing lost", () =>
      Effect.gen(function*() {
        const retry = gate()
        const rx = yield* receiver((n) => n === 1 ? { status: 503 } : retry.opened.then(() => ({ status: 200 })))
        const run = yield* withSdk({ export: { endpoint: rx.url }, ...oneBatch }, (sdk) =>
          Effect.gen(function*() {
            const results = yield* app
            // The first try was refused; the retry is held by the receiver until the state was seen.
            yield* rx.arrived(2)
            const during = yield* sdk.agentState
            retry.open()
            const afterwards = yield* stateBecomes(sdk, AgentState.ACTIVE)
            return { results, during, afterwards, stats: yield* statsWhen(sdk, "the export", (s) => s.spansExported === 20) }
          }))
        expectSameResults(run.result.results)
        expect(run.result.during).toBe(AgentState.TEMPORARILY_INACTIVE)
        expect(run.result.afterwards).toBe(AgentState.ACTIVE)
        expect(Buffer.compare(rx.requests[0]!.body, rx.requests[1]!.body)).toBe(0) // the same batch again
        expect(run.verbose.join("\n")).toMatch(/HTTP 503; retry 1 of \d+/)
        expect(run.diagnostics).toEqual([])
        expect(run.result.stats).toMatchObject({ spansEnded: 20, spansExported: 20, spansDroppedExport: 0 })
        expectStatsAddUp(run.result.stats)
        const spans = spansOf(rx.accepted)
        expect(spans).toHaveLength(20)
        expect(new Set(spans.map((s) => s.spanId)).size).toBe(20)
        // Failures are recorded as such; the die (i = 7) too.
        expect(spans.filter((s) => s.status.code === STATUS_ERROR)).toHaveLength(5)
      }))

    it.live("429 with Retry-After: the retry waits as told", () =>
      Effect.gen(function*() {
        const retry = gate()
        const rx = yield* receiver((n) =>
          n === 1 ? { status: 429, headers: { "retry-after": "1" } } : retry.opened.then(() => ({ status: 200 }))
        )
        const run = yield* withSdk({ export: { endpoint: rx.url }, ...oneBatch }, (sdk) =>
          Effect.gen(function*() {
            const results = yield* app
            // The retry is held by the receiver until the state was seen.
            yield* rx.arrived(2)
            const during = yield* sdk.agentState
            retry.open()
            const stats = yield* statsWhen(sdk, "the export", (s) => s.spansExported === 20)
            return { results, during, stats, after: yield* sdk.agentState }
          }))
        expectSameResults(run.result.results)
        expect(rx.requests).toHaveLength(2)
        expect(Buffer.compare(rx.requests[0]!.body, rx.requests[1]!.body)).toBe(0) // the same batch again
        expect(run.result.during).toBe(AgentState.TEMPORARILY_INACTIVE)
        expect(run.result.after).toBe(AgentState.ACTIVE)
        // The retry waited as told: Retry-After's second, not the first backoff step (50 to 100 ms).
        expect(run.verbose.filter((m) => m.includes("retry"))).toEqual([
          expect.stringContaining("HTTP 429; retry 1 of 5 in 1000 ms")
        ])
        expect(run.result.stats).toMatchObject({ spansExported: 20, spansDroppedExport: 0 })
        expectStatsAddUp(run.result.stats)
      }))

    it.live("400: the batch is dropped without retrying, with a diagnostic naming the status", () =>
      Effect.gen(function*() {
        const rx = yield* receiver(() => ({ status: 400 }))
        const run = yield* withSdk({ export: { endpoint: rx.url }, ...oneBatch }, (sdk) =>
          Effect.gen(function*() {
            const results = yield* app
            const stats = yield* statsWhen(sdk, "the drop", (s) => s.spansDroppedExport === 20)
            return { results, stats, state: yield* sdk.agentState }
          }))
        expectSameResults(run.result.results)
        // Released since: the release's flush waits for every batch waiting or in flight, a retry too, so one request
        // in all is none retried.
        expect(rx.requests).toHaveLength(1)
        expect(run.verbose.filter((m) => m.includes("retry"))).toEqual([])
        expect(run.result.state).toBe(AgentState.ACTIVE)
        expect(run.result.stats).toMatchObject({ spansEnded: 20, spansExported: 0, spansDroppedExport: 20 })
        expectStatsAddUp(run.result.stats)
        expect(run.diagnostics).toHaveLength(1)
        expect(run.diagnostics[0]).toContain("HTTP 400")
        expect(run.diagnostics[0]).toContain("dropped a batch of 20 spans")
        expectStatsAddUp(yield* run.sdk.stats)
      }))

    it.live("connection refused: retried while TEMPORARILY_INACTIVE, reported and counted at shutdown", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const run = yield* withSdk(
          { export: { endpoint: `http://127.0.0.1:${port}`, shutdownTimeout: "200 millis" } },
          (sdk) =>
            Effect.gen(function*() {
              const results = yield* app
              const state = yield* stateBecomes(sdk, AgentState.TEMPORARILY_INACTIVE)
              return { results, state, stats: yield* statsWhen(sdk, "the spans", (s) => s.spansEnded === 20) }
            })
        )
        expectSameResults(run.result.results)
        expect(run.result.stats).toMatchObject({ spansEnded: 20, spansExported: 0, spansPendingExport: 20 })
        expectStatsAddUp(run.result.stats)
        expect(run.verbose.join("\n")).toContain("ECONNREFUSED")
        expect(run.diagnostics.join("\n")).toContain("shutdown: 20 spans could not be delivered within 200 ms")
        const after = yield* run.sdk.stats
        expect(after).toMatchObject({ spansExported: 0, spansDroppedExport: 20, spansPendingExport: 0 })
        expectStatsAddUp(after)
        expect(yield* run.sdk.agentState).toBe(AgentState.PERMANENTLY_INACTIVE)
      }))

    it.live("a receiver that never answers: timed out, retried, reported at shutdown", () =>
      Effect.gen(function*() {
        const rx = yield* receiver(() => "stall")
        // Each try waits a second for its answer: the six tries and their backoffs outlast the release by far.
        const run = yield* withSdk(
          { export: { endpoint: rx.url, timeout: "1 second", shutdownTimeout: "200 millis" } },
          (sdk) =>
            Effect.gen(function*() {
              const results = yield* app
              const state = yield* stateBecomes(sdk, AgentState.TEMPORARILY_INACTIVE)
              return { results, state, stats: yield* statsWhen(sdk, "the spans", (s) => s.spansEnded === 20) }
            })
        )
        expectSameResults(run.result.results)
        expect(run.verbose.join("\n")).toContain("no answer within 1000 ms")
        expect(run.result.stats).toMatchObject({ spansExported: 0, spansPendingExport: 20 })
        expect(run.diagnostics.join("\n")).toContain("shutdown: 20 spans could not be delivered within 200 ms")
        const after = yield* run.sdk.stats
        expect(after).toMatchObject({ spansExported: 0, spansDroppedExport: 20, spansPendingExport: 0 })
        expectStatsAddUp(after)
      }))
  })

  describe("bounds", () => {
    it.live("nothing is lost below the buffer bound: 20,000 spans all arrive", () =>
      Effect.gen(function*() {
        const rx = yield* receiver()
        const n = 20_000
        const run = yield* withSdk({ export: { endpoint: rx.url }, bufferSize: 65_536 }, (sdk) =>
          Effect.gen(function*() {
            yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
              OneAgentSdk.addCustomRequestAttribute("n", i).pipe(
                OneAgentSdk.traceCustomService({ method: "bulk", service: "Load" })
              ), { discard: true })
            return yield* statsWhen(sdk, "every span exported", (s) => s.spansExported === n)
          }))
        expect(run.diagnostics).toEqual([])
        expect(run.result).toMatchObject({ spansEnded: n, spansDroppedBuffer: 0, spansDroppedExport: 0 })
        expectStatsAddUp(run.result)
        const spans = spansOf(rx.accepted)
        expect(spans).toHaveLength(n)
        expect(new Set(spans.map((s) => s.spanId)).size).toBe(n)
        const seen = new Set(spans.map((s) => Number(s.attributes.n)))
        expect(seen.size).toBe(n)
        expect(Math.min(...seen)).toBe(0)
        expect(Math.max(...seen)).toBe(n - 1)
      }))

    it.live("bufferSize is exact: a burst past it drops exactly the excess, counted, whatever was taken", () =>
      Effect.gen(function*() {
        const rx = yield* childReceiver
        rx.reply("stall")
        const bound = 100
        const n = bound + 37
        const run = yield* withSdk(
          { export: { endpoint: rx.url, shutdownTimeout: "100 millis" }, bufferSize: bound },
          (sdk) =>
            Effect.gen(function*() {
              // One synchronous burst; the export worker may take some of it meanwhile, but a batch in flight to a
              // receiver that never answers still waits, so the bound counts it.
              yield* Effect.sync(() => {
                for (let i = 0; i < n; i++) Effect.runSync(Effect.provideService(burst, OneAgentSdk, sdk))
              })
              return { stats: yield* sdk.stats, state: yield* sdk.agentState }
            })
        )
        expect(run.result.stats).toMatchObject({ spansEnded: n, spansDroppedBuffer: n - bound, spansPendingExport: bound })
        expect(run.result.state).toBe(AgentState.TEMPORARILY_INACTIVE)
        const messages = run.diagnostics.join("\n")
        expect(messages).toContain(`dropped ${n - bound} finished spans: ${bound} were already waiting for export`)
        expect(messages).toContain(`shutdown: ${bound} spans could not be delivered within 100 ms`)
        const after = yield* run.sdk.stats
        expect(after).toMatchObject({ spansDroppedBuffer: n - bound, spansDroppedExport: bound, spansPendingExport: 0 })
        expectStatsAddUp(after)
      }))

    // At the default options, on either engine: the WebAssembly engine exports between the application's tasks, so no
    // span is sent while the burst runs (60,000 spans end before the fibers' first yield and 20,000 in the next turn),
    // and the default bound holds them all.
    it.live("a burst of 10,000 concurrent requests of 8 spans each: every span arrives", () =>
      Effect.gen(function*() {
        const rx = yield* childReceiver
        const requests = 10_000
        const request = Effect.void.pipe(
          OneAgentSdk.traceOutgoingRemoteCall({ method: "m", service: "Down", endpoint: "e", channel: { type: 0 } }),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "a", service: "S" }))),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "b", service: "S" }))),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "c", service: "S" }))),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "d", service: "S" }))),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "e", service: "S" }))),
          Effect.andThen(Effect.yieldNow),
          Effect.andThen(Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "f", service: "S" }))),
          OneAgentSdk.traceIncomingRemoteCall({ method: "handle", service: "Front", endpoint: "rpc://front" })
        )
        const run = yield* withSdk({ export: { endpoint: rx.url } }, (sdk) =>
          Effect.gen(function*() {
            yield* Effect.forEach(Array.from({ length: requests }), () => request, {
              concurrency: "unbounded",
              discard: true
            })
            yield* rx.received(requests * 8)
            return yield* sdk.stats
          }))
        expect(run.result).toMatchObject({ spansEnded: requests * 8, spansDroppedBuffer: 0, spansDroppedExport: 0 })
        expect(rx.spans()).toBe(requests * 8)
      }), 60_000)

    // The native engine's export thread does not wait for the application's; the WebAssembly engine's export is the
    // application's thread's, and delivers as soon as that is free.
    it.live("spans ended before the application's thread blocks: arrive during it (native), after it (wasm)", () =>
      Effect.gen(function*() {
        const rx = yield* childReceiver
        const run = yield* withSdk({ export: { endpoint: rx.url }, exportInterval: 200 }, (sdk) =>
          Effect.sync(() => {
            // Traced, then blocked, in one synchronous step: no turn of the event loop in between.
            for (let i = 0; i < 50; i++) Effect.runSync(Effect.provideService(blocked, OneAgentSdk, sdk))
            // The application's thread is blocked: no timer, no promise, no message runs on it. What the receiver
            // has is read from its count file, synchronously.
            const cell = new Int32Array(new SharedArrayBuffer(4))
            const pause = () => void Atomics.wait(cell, 0, 0, 1)
            if (inlineExport) {
              const until = Date.now() + 2_000
              while (Date.now() < until) pause()
              return rx.spansNow()
            }
            // Blocked until every span is at the receiver (the bound only ends a wait for what must happen).
            const deadline = Date.now() + patienceMillis
            while (rx.spansNow() < 50) {
              if (Date.now() > deadline) {
                throw new Error(`${rx.spansNow()} of 50 spans arrived in ${patienceMillis / 1000} s of a blocked thread`)
              }
              pause()
            }
            return rx.spansNow()
          }).pipe(Effect.tap(() => rx.received(50))))
        expect(rx.spans()).toBe(50)
        // The WebAssembly engine exports on the application's thread: nothing left while it was blocked, and every
        // span arrived once it was free again. The native engine's export thread delivered them all meanwhile.
        expect(run.result).toBe(inlineExport ? 0 : 50)
      }), 30_000)
  })

  it.live("shutdown during a stalled export returns by its deadline and reports what was not sent", () =>
    Effect.gen(function*() {
      const rx = yield* receiver(() => "stall")
      const run = yield* withSdk(
        { export: { endpoint: rx.url, shutdownTimeout: "300 millis" } },
        (sdk) =>
          Effect.gen(function*() {
            yield* Effect.forEach(Array.from({ length: 30 }, (_, i) => i), () =>
              Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "late", service: "Stall" })), { discard: true })
            yield* rx.arrived(1)
            return yield* statsWhen(sdk, "the spans", (s) => s.spansEnded === 30)
          })
      )
      expect(run.result).toMatchObject({ spansEnded: 30, spansPendingExport: 30 })
      // The release gave up on the stalled request at its deadline (that it returns by then is measured in bench/).
      const shutdown = run.diagnostics.filter((m) => m.includes("shutdown"))
      expect(shutdown).toHaveLength(1)
      expect(shutdown[0]).toContain("30 spans could not be delivered within 300 ms")
      const after = yield* run.sdk.stats
      expect(after).toMatchObject({ spansDroppedExport: 30, spansPendingExport: 0, spansExported: 0 })
      expectStatsAddUp(after)
    }))

  it.live("the default file sink: each line is an OTLP/JSON ExportTraceServiceRequest of the traced spans", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-export-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const file = Path.join(dir, "nested", "traces.jsonl")
      const run = yield* withSdk({ export: { file, serviceName: "filed" } }, (sdk) =>
        Effect.gen(function*() {
          const tags: Array<{ server: string; client: string }> = []
          for (let i = 0; i < 3; i++) {
            const server = yield* OneAgentSdk.currentStringTag.pipe(
              Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("i", i)),
              Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("tag", "x")),
              Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("tag", "y")),
              Effect.flatMap((server) =>
                Effect.map(
                  OneAgentSdk.currentStringTag.pipe(OneAgentSdk.traceOutgoingRemoteCall({
                    method: "call",
                    service: "Down",
                    endpoint: "rpc://down",
                    channel: { type: ChannelType.IN_PROCESS }
                  })),
                  (client) => ({ server, client })
                )
              ),
              OneAgentSdk.traceIncomingRemoteCall({ method: `req${i}`, service: "Filed", endpoint: "rpc://filed" })
            )
            tags.push(server)
            // Each request in the file before the next begins: a line of its own (or more).
            yield* statsWhen(sdk, `request ${i} in the file`, (s) => s.spansExported === 2 * (i + 1))
          }
          return { tags, state: yield* sdk.agentState }
        }))
      expect(run.diagnostics).toEqual([])
      expect(run.result.state).toBe(AgentState.ACTIVE)
      const text = Fs.readFileSync(file, "utf8")
      // Every line ends with a newline, and is a request of the official definitions in OTLP/JSON.
      const batches = decodeJsonLines(text)
      expect(batches.length).toBeGreaterThanOrEqual(3)
      for (const batch of batches) {
        expect(batch.resource).toEqual({ ...resourceBase, "service.name": "filed" })
        expect(batch.scope).toEqual({ name: "effect-oneagent", version: ExportConfig.sdkVersion })
        expect(new Set(batch.spans.map((s) => s.traceId)).size).toBe(1)
      }
      for (const line of text.split("\n").slice(0, -1)) {
        // The official definitions accept it: the same message again after fromObject (ids aside, which
        // protobufjs's own JSON form spells in base64; OTLP/JSON spells them in hex).
        const json = JSON.parse(line)
        const message = ExportTraceServiceRequest.fromObject(json)
        const again = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number })
        expect(again.resourceSpans).toHaveLength(1)
        const roundTripped = again.resourceSpans[0].scopeSpans[0].spans
        json.resourceSpans[0].scopeSpans[0].spans.forEach((s: any, i: number) => {
          expect(roundTripped[i].startTimeUnixNano).toBe(s.startTimeUnixNano)
          expect(roundTripped[i].endTimeUnixNano).toBe(s.endTimeUnixNano)
          expect(roundTripped[i].name).toBe(s.name)
          expect(roundTripped[i].kind).toBe(s.kind)
        })
      }
      const spans = spansOf(batches)
      expect(spans).toHaveLength(6)
      run.result.tags.forEach(({ client, server }, i) => {
        const st = parseTag(server)
        const ct = parseTag(client)
        const s = spans.find((x) => x.spanId === st.spanId)!
        const c = spans.find((x) => x.spanId === ct.spanId)!
        expect(s).toMatchObject({ traceId: st.traceId, parentSpanId: "", name: `Filed/req${i}`, kind: SERVER })
        expect(s.attributes).toEqual({
          "rpc.method": `req${i}`,
          "rpc.service": "Filed",
          "oneagent.remote_call.endpoint": "rpc://filed",
          i: BigInt(i),
          tag: ["x", "y"]
        })
        expect(c).toMatchObject({ traceId: st.traceId, parentSpanId: st.spanId, name: "Down/call", kind: CLIENT })
        expect(c.attributes).toEqual({
          "rpc.method": "call",
          "rpc.service": "Down",
          "oneagent.remote_call.endpoint": "rpc://down",
          "oneagent.channel.type": "IN_PROCESS"
        })
        for (const x of [s, c]) {
          expect(String(x.start)).toMatch(/^\d{19}$/)
          expect(String(x.end)).toMatch(/^\d{19}$/)
          expect(x.start <= x.end).toBe(true)
        }
        expect(s.start <= c.start).toBe(true)
        expect(c.end <= s.end).toBe(true)
      })
      const stats = yield* run.sdk.stats
      expect(stats).toMatchObject({ spansEnded: 6, spansExported: 6, spansDroppedExport: 0, spansPendingExport: 0 })
      expectStatsAddUp(stats)
    }))

  it.live("a layer acquired while the last one still flushes waits for it, then traces on a new engine", () =>
    Effect.gen(function*() {
      // The first layer's release flushes to a receiver that holds its answer until the test lets it go.
      const held = gate()
      const rx = yield* receiver(() => held.opened.then(() => ({ status: 200 })))
      const options = {
        exportInterval: 60_000,
        export: { endpoint: rx.url, shutdownTimeout: "20 seconds", timeout: "20 seconds" }
      } as const
      const firstScope = yield* Scope.make()
      const first = Context.get(yield* Layer.buildWithScope(OneAgentSdk.layer(options), firstScope), OneAgentSdk)
      yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "first", service: "s" }), Effect.provideService(OneAgentSdk, first))
      const closing = yield* Effect.forkChild(Scope.close(firstScope, Exit.void))
      // The flush's request arrived (the interval never takes): the first release cannot end before the gate opens.
      yield* rx.arrived(1)
      const acquiring = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
        const sdk = Context.get(yield* Layer.build(OneAgentSdk.layer({ export: { file: "/dev/null" } })), OneAgentSdk)
        yield* Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "second", service: "s" }), Effect.provideService(OneAgentSdk, sdk))
        return { initResult: sdk.initResult, state: yield* sdk.agentState, stats: yield* sdk.stats }
      })))
      yield* Effect.yieldNow
      held.open()
      yield* Fiber.join(closing)
      const second = yield* Fiber.join(acquiring)
      expect(rx.requests).toHaveLength(1)
      expect(yield* first.stats).toMatchObject({ spansExported: 1, spansDroppedExport: 0 })
      // A new engine (status 0, not "already initialised"), alive while the layer is.
      expect(second.initResult.status).toBe(InitResult.STATUS_INITIALIZED)
      expect(second.state).toBe(AgentState.ACTIVE)
      expect(second.stats).toMatchObject({ spansStarted: 1, spansEnded: 1 })
    }).pipe(Effect.scoped))

  it.live("processes sharing one traces file keep whole lines: every line parses and no span is lost", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-shared-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const file = Path.join(dir, "traces.jsonl")
      const processes = 4
      const [rounds, perRound] = [40, 30]
      const writer = Path.join(import.meta.dirname, "fixtures", "file-writer.ts")
      const codes = yield* Effect.forEach(Array.from({ length: processes }), () =>
        Effect.callback<number | null>((resume) => {
          const child = ChildProcess.execFile(process.execPath, [writer, String(rounds), String(perRound)], {
            env: { PATH: process.env.PATH ?? "", ONEAGENT_TRACES_FILE: file },
            timeout: 60_000
          }, () => resume(Effect.succeed(child.exitCode)))
        }), { concurrency: "unbounded" })
      expect(codes).toEqual(Array(processes).fill(0))
      const text = Fs.readFileSync(file, "utf8")
      const lines = text.split("\n")
      expect(lines.pop()).toBe("")
      const unparsable = lines.filter((line) => {
        try {
          JSON.parse(line)
          return false
        } catch {
          return true
        }
      })
      expect(unparsable.map((line) => line.slice(0, 80))).toEqual([])
      const spans = spansOf(decodeJsonLines(text))
      expect(spans).toHaveLength(processes * rounds * perRound)
      // Each writer waits for a round to be in the file before the next: a batch (or more) per round and process.
      expect(lines.length).toBeGreaterThanOrEqual(processes * rounds)
    }))

  it.live("a traces file that cannot be written: the spans are counted as dropped, once reported, the app unaffected", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-export-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const notADirectory = Path.join(dir, "plain-file")
      Fs.writeFileSync(notADirectory, "")
      const run = yield* withSdk({ export: { file: Path.join(notADirectory, "traces.jsonl") } }, (sdk) =>
        Effect.gen(function*() {
          const results = yield* app
          return { results, stats: yield* statsWhen(sdk, "the drop", (s) => s.spansDroppedExport === 20) }
        }))
      expectSameResults(run.result.results)
      expect(run.result.stats).toMatchObject({ spansExported: 0, spansPendingExport: 0 })
      expect(run.diagnostics).toHaveLength(1)
      expect(run.diagnostics[0]).toContain("cannot open the traces file")
      expectStatsAddUp(yield* run.sdk.stats)
    }))
})

// One span, the unit of the burst above (run synchronously, outside the test's fiber).
const burst = Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "burst", service: "Load" }))
const blocked = Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "before", service: "Blocked" }))
