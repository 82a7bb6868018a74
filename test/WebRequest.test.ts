import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { UrlParams } from "effect/http"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { OneAgentSdk, OneAgentTest, WebRequest } from "../src/index.ts"
import { withTest } from "./support/sdk.ts"

const app = { webServerName: "test-server", applicationId: "OrderApi", contextRoot: "/api" } as const

// A real node:http server whose handler runs an Effect in the test's context.
const serve = (handler: (req: Http.IncomingMessage) => Effect.Effect<number, never, OneAgentSdk>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const context = yield* Effect.context<OneAgentSdk>()
      const server = Http.createServer((req, res) => {
        Effect.runPromise(handler(req).pipe(Effect.provide(context))).then((status) => {
          res.writeHead(status, { "content-type": "text/plain", "set-cookie": "session=secret" })
          res.end("ok")
        })
      })
      yield* Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void)))
      return server
    }),
    (server) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("WebRequest", () => {
  it.live("the tag travels in a real request and the server's span continues the client's trace", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      const server = yield* serve((req) =>
        Effect.succeed(201).pipe(
          Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("handled", "yes")),
          OneAgentSdk.traceIncomingWebRequest(info, {
            url: req.url!,
            method: req.method!,
            headers: req.headers,
            remoteAddress: req.socket.remoteAddress,
            route: "/api/orders/:id",
            statusCode: (status: number) => status
          })
        )
      )
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/orders/7?expand=items`
      const sdk = yield* OneAgentSdk
      const status = yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceOutgoingWebRequest({
          url,
          method: "get",
          headers: { accept: "text/plain", authorization: "Bearer secret-token" }
        })
        const headers = yield* tracer.outgoingHeaders
        const response = yield* Effect.promise(() =>
          fetch(url, { headers: { ...headers, accept: "text/plain", authorization: "Bearer secret-token" } })
        )
        yield* Effect.promise(() => response.text())
        yield* tracer.setStatusCode(response.status)
        yield* tracer.addResponseHeaders(Object.fromEntries(response.headers))
        return response.status
      }))
      expect(status).toBe(201)
      const client = yield* test.span("GET")
      const serverSpan = yield* test.span("GET /api/orders/:id")
      expect(serverSpan.traceId).toBe(client.traceId)
      expect(serverSpan.parentSpanId).toBe(client.spanId)
      expect(client.kind).toBe("client")
      expect(serverSpan.kind).toBe("server")
      expect(client.attributes).toMatchObject({
        "http.request.method": "GET",
        "url.full": url,
        "server.address": "127.0.0.1",
        "http.response.status_code": 201,
        "http.request.header.authorization": "[REDACTED]",
        "http.request.header.accept": "text/plain",
        "http.response.header.set-cookie": "[REDACTED]"
      })
      expect(serverSpan.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.route": "/api/orders/:id",
        "url.path": "/api/orders/7",
        "url.query": "expand=items",
        "client.address": "127.0.0.1",
        "http.response.status_code": 201,
        "http.request.header.authorization": "[REDACTED]",
        "oneagent.web.application_id": "OrderApi",
        "oneagent.web.context_root": "/api",
        handled: "yes"
      })
      expect(serverSpan.status.code).toBe("unset")
    }).pipe(Effect.scoped, withTest))

  it.effect("5xx fails an incoming request, 4xx does not; an outgoing request fails from 400", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createWebApplicationInfo(app)
      for (const code of [404, 503]) {
        yield* Effect.scoped(Effect.gen(function*() {
          const tracer = yield* sdk.traceIncomingWebRequest(info, { url: `/api/${code}`, method: "POST", route: `/api/${code}` })
          yield* tracer.addParameter("my_form_field", "1234")
          yield* tracer.setStatusCode(code)
        }))
      }
      yield* Effect.succeed({ status: 404 }).pipe(
        OneAgentSdk.traceOutgoingWebRequest({ url: "http://example.test/x", method: "GET", statusCode: (r: { status: number }) => r.status })
      )
      expect((yield* test.span("POST /api/404")).status.code).toBe("unset")
      expect((yield* test.span("POST /api/404")).attributes["oneagent.web.parameter.my_form_field"]).toBe("1234")
      expect((yield* test.span("POST /api/503")).status).toEqual({ code: "error", message: "HTTP 503" })
      expect((yield* test.span("GET")).status).toEqual({ code: "error", message: "HTTP 404" })
    }).pipe(Effect.scoped, withTest))

  it.effect("continues a trace from X-dynaTrace and carries tracestate from traceparent", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, {
        url: "/a",
        method: "GET",
        route: "/a",
        headers: { "X-dynaTrace": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
      }))
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, {
        url: "/b",
        method: "GET",
        route: "/b",
        headers: {
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate: "congo=t61rcWkgMzE"
        }
      }))
      const a = yield* test.span("GET /a")
      const b = yield* test.span("GET /b")
      expect([a.traceId, a.parentSpanId]).toEqual(["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"])
      expect([b.traceId, b.parentSpanId, b.traceState]).toEqual([
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
        "congo=t61rcWkgMzE"
      ])
    }).pipe(Effect.scoped, withTest))

  it.effect("captureHeaders limits which headers are recorded and redactHeaders adds redactions", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, {
        url: "/h",
        method: "GET",
        route: "/h",
        headers: { "x-api-key": "k", "x-request-id": "r1", "x-other": "o", accept: ["a", "b"] }
      }))
      const span = yield* test.span("GET /h")
      expect(span.attributes["http.request.header.x-api-key"]).toBe("[REDACTED]")
      expect(span.attributes["http.request.header.x-request-id"]).toBe("r1")
      expect(span.attributes["http.request.header.accept"]).toEqual(["a", "b"])
      expect(span.attributes["http.request.header.x-other"]).toBeUndefined()
    }).pipe(
      Effect.scoped,
      (self) => withTest(self, { captureHeaders: ["x-api-key", "x-request-id", "accept"], redactHeaders: ["X-Api-Key"] })
    ))

  it.effect("redactNames and keepNames change the one rule for headers, the query, parameters and failure text", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createWebApplicationInfo(app)
      const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceIncomingWebRequest(info, {
          url: "http://shop.test/r?q=QUERY1&sid=S1&api_key=K1",
          method: "GET",
          route: "/r",
          headers: { "x-internal-user": "U1", "x-idempotency-key": "I1", authorization: "Basic A1", "x-api-key": "K2" }
        })
        yield* tracer.addParameter("q", "QUERY2")
        yield* tracer.addParameter("sid", "S2")
        return yield* Effect.fail(new Error("GET /upstream?q=QUERY3&sid=S3 failed"))
      })))
      expect(exit._tag).toBe("Failure")
      const span = yield* test.span("GET /r")
      expect(span.attributes).toMatchObject({
        "url.full": "http://shop.test/r?q=REDACTED&sid=S1&api_key=REDACTED",
        "url.query": "q=REDACTED&sid=S1&api_key=REDACTED",
        "http.request.header.x-internal-user": "[REDACTED]",
        "http.request.header.x-idempotency-key": "I1",
        // Never kept: the always-redacted headers, and the default rule for names keepNames does not list.
        "http.request.header.authorization": "[REDACTED]",
        "http.request.header.x-api-key": "[REDACTED]",
        "oneagent.web.parameter.q": "[REDACTED]",
        "oneagent.web.parameter.sid": "S2"
      })
      expect(span.events[0]!.attributes["exception.message"]).toBe("GET /upstream?q=REDACTED&sid=S3 failed")
      expect(JSON.stringify([span.attributes, span.events[0]!.attributes])).not.toMatch(/QUERY\d|U1|A1|K\d/)
    }).pipe(
      Effect.scoped,
      (self) =>
        withTest(self, { redactNames: ["Q", /^x-internal-/], keepNames: ["x-idempotency-key", /^sid$/, "authorization"] })
    ))

  it.effect("outgoingHeaders inside the combinator carry the outgoing request's tag", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const headers = yield* OneAgentSdk.outgoingHeaders.pipe(
        OneAgentSdk.traceOutgoingWebRequest({ url: "http://x.test/", method: "PUT" })
      )
      const span = yield* test.span("PUT")
      const tag = `00-${span.traceId}-${span.spanId}-01`
      expect(headers).toEqual({ traceparent: tag, [WebRequest.DYNATRACE_HTTP_HEADER_NAME]: tag })
      expect(yield* OneAgentSdk.outgoingHeaders).toEqual({})
    }).pipe(withTest))

  it.effect("headers as fetch's Headers, a Map or [name, value] pairs are recorded like a plain object", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      const tag = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({
        url: "http://x.test/headers",
        method: "GET",
        headers: new Headers({ "X-Request-Id": "42", authorization: "Bearer secret" }),
        responseHeaders: () => new Map<string, string | ReadonlyArray<string>>([["set-cookie", ["a=1", "b=2"]], ["etag", "e1"]])
      }))
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({
        url: "http://x.test/pairs",
        method: "PUT",
        headers: [["x-request-id", "43"], ["accept", "a"], ["accept", "b"]]
      }))
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, {
        url: "/in",
        method: "GET",
        route: "/in",
        headers: new Headers({ traceparent: tag, host: "shop.test", "user-agent": "ua" })
      }))
      const fetched = yield* test.span("GET")
      expect(Object.keys(fetched.attributes).filter((k) => k.startsWith("http."))).toEqual([
        "http.request.method",
        "http.request.header.authorization",
        "http.request.header.x-request-id",
        "http.response.header.set-cookie",
        "http.response.header.etag"
      ])
      expect(fetched.attributes).toMatchObject({
        "http.request.header.x-request-id": "42",
        "http.request.header.authorization": "[REDACTED]",
        "http.response.header.set-cookie": ["[REDACTED]", "[REDACTED]"],
        "http.response.header.etag": "e1"
      })
      expect((yield* test.span("PUT")).attributes).toMatchObject({
        "http.request.header.x-request-id": "43",
        "http.request.header.accept": ["a", "b"]
      })
      const incoming = yield* test.span("GET /in")
      expect([incoming.traceId, incoming.parentSpanId]).toEqual(["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"])
      expect(incoming.attributes).toMatchObject({ "url.full": "http://shop.test/in", "user_agent.original": "ua" })
    }).pipe(Effect.scoped, withTest))

  it.effect("a path without a Host header records url.path and url.query, not a relative url.full", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, { url: "/api/y?a=1&sig=s3cret", method: "GET" }))
      const span = yield* test.span("GET")
      expect(span.attributes).toMatchObject({ "url.path": "/api/y", "url.query": "a=1&sig=REDACTED" })
      expect(span.attributes["url.full"]).toBeUndefined()
    }).pipe(Effect.scoped, withTest))

  it.effect("credentials in URLs are redacted: userinfo, and signature query values (UrlParams.CurrentRedactedNames)", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({
        url: "https://svc:hunter2@api.example.com/v1/pay?AWSAccessKeyId=AK&Signature=S1&sig=S2&X-Goog-Signature=S3&n=1",
        method: "POST"
      }))
      yield* Effect.void.pipe(
        OneAgentSdk.traceIncomingWebRequest(info, {
          url: "/reset?token=RESET-SECRET&lang=en",
          method: "GET",
          route: "/reset",
          headers: { host: "shop.test" }
        }),
        Effect.provideService(UrlParams.CurrentRedactedNames, ["token"])
      )
      // Malformed or relative: still recorded, redacted as far as it can be read, never thrown.
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: "http://u:p4ss@[bad/x?sig=S4", method: "GET" }))
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: "//u:p4ss@h/x?sig=S5", method: "PATCH" }))
      // Cut at its limit inside the userinfo: all of what is kept of it is redacted.
      const long = `https://user:${"p".repeat(5000)}@h.test/`
      yield* Effect.void.pipe(OneAgentSdk.traceOutgoingWebRequest({ url: long, method: "DELETE" }))
      expect((yield* test.span("POST")).attributes).toMatchObject({
        "url.full": "https://REDACTED:REDACTED@api.example.com/v1/pay?AWSAccessKeyId=REDACTED&Signature=REDACTED&sig=REDACTED" +
          "&X-Goog-Signature=REDACTED&n=1",
        "url.query": "AWSAccessKeyId=REDACTED&Signature=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&n=1",
        "server.address": "api.example.com"
      })
      expect((yield* test.span("GET /reset")).attributes).toMatchObject({
        "url.full": "http://shop.test/reset?token=REDACTED&lang=en",
        "url.query": "token=REDACTED&lang=en"
      })
      expect((yield* test.span("GET")).attributes["url.full"]).toBe("http://REDACTED:REDACTED@[bad/x?sig=REDACTED")
      expect((yield* test.span("PATCH")).attributes["url.full"]).toBe("//REDACTED:REDACTED@h/x?sig=REDACTED")
      const cut = yield* test.span("DELETE")
      expect(cut.attributes["url.full"]).toBe("https://REDACTED:REDACTED")
      expect(cut.attributes["oneagent.truncated"]).toBe("url.full")
      for (const span of yield* test.spans) expect(JSON.stringify(span.attributes)).not.toMatch(/hunter2|p4ss|S\d|AK|pppp/)
    }).pipe(Effect.scoped, withTest))

  it.effect("header and parameter names over 250 characters are cut and marked, as values are", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createWebApplicationInfo(app)
      const name = "n".repeat(300)
      yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceIncomingWebRequest(info, {
          url: "/k",
          method: "GET",
          route: "/k",
          headers: { [`x-${name}`]: "h" },
          parameters: { [name]: "p" }
        })
        yield* tracer.addResponseHeaders({ [`y-${name}`]: "r" })
      }))
      const span = yield* test.span("GET /k")
      const header = `http.request.header.x-${name}`.slice(0, 250)
      const parameter = `oneagent.web.parameter.${name}`.slice(0, 250)
      const response = `http.response.header.y-${name}`.slice(0, 250)
      expect(span.attributes[header]).toBe("h")
      expect(span.attributes[parameter]).toBe("p")
      expect(span.attributes[response]).toBe("r")
      expect(span.attributes["oneagent.truncated"]).toEqual(expect.arrayContaining([header, parameter, response]))
    }).pipe(Effect.scoped, withTest))

  it.effect("other keys over 250 characters are cut and marked too: custom attributes, parameters, Effect spans", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createWebApplicationInfo(app)
      const long = "k".repeat(300)
      yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceIncomingWebRequest(info, { url: "/k", method: "GET", route: "/k" })
        yield* tracer.addParameter(long, "p")
        yield* OneAgentSdk.addCustomRequestAttribute(long, 1)
        yield* Effect.annotateCurrentSpan(long, "e").pipe(Effect.withSpan("inner"))
      }))
      const span = yield* test.span("GET /k")
      const parameter = `oneagent.web.parameter.${long}`.slice(0, 250)
      expect(span.attributes[parameter]).toBe("p")
      expect(span.attributes[long.slice(0, 250)]).toBe(1)
      expect(span.attributes["oneagent.truncated"]).toEqual([parameter, long.slice(0, 250)])
      expect((yield* test.span("inner")).attributes["oneagent.truncated"]).toBe(long.slice(0, 250))
    }).pipe(Effect.scoped, withTest))

  it.effect("names from requests get keys within bounds (per request, per kind); past them, one attribute keeps them", () => {
    const diagnostics: Array<string> = []
    return Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const info = yield* sdk.createWebApplicationInfo(app)
      // 300 requests with 1,000 new header names each, and 300 with 100 new parameter names: past every bound.
      for (let request = 0; request < 300; request++) {
        const headers: Record<string, string> = {}
        for (let i = 0; i < 1000; i++) headers[`x-${request}-${i}`] = "v"
        const parameters: Record<string, string> = {}
        for (let i = 0; i < 100; i++) parameters[`p${request}_${i}`] = "w"
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, { url: "/k", method: "GET", headers }))
        yield* Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, { url: "/k", method: "GET", parameters }))
      }
      yield* test.clear
      // Afterwards: well-known headers still get their keys, new names are kept in the other attributes, and the
      // application's own keys (seen for the first time now) are recorded.
      yield* Effect.scoped(Effect.gen(function*() {
        const tracer = yield* sdk.traceIncomingWebRequest(info, {
          url: "/k",
          method: "GET",
          headers: { "x-request-id": "r1", "x-new": "n" },
          parameters: { fresh: "f" }
        })
        yield* tracer.addResponseHeaders({ "x-app-version": "7" })
        yield* OneAgentSdk.addCustomRequestAttribute("order.id", 42)
        yield* Effect.annotateCurrentSpan("my.attr", "v").pipe(Effect.withSpan("eff"))
      }))
      const span = yield* test.span("GET")
      expect(span.attributes).toMatchObject({
        "http.request.header.x-request-id": "r1",
        "oneagent.web.other_request_headers": "x-new: n",
        "oneagent.web.other_parameters": "fresh=f",
        "http.response.header.x-app-version": "7",
        "order.id": 42
      })
      expect((yield* test.span("eff")).attributes["my.attr"]).toBe("v")
      expect((yield* sdk.stats).attributesDropped).toBe(0)
      for (const kind of ["http.request.header", "oneagent.web.parameter"]) {
        expect(diagnostics.filter((m) => m.includes(`4,096 distinct ${kind}.* names`))).toHaveLength(1)
      }
    }).pipe(Effect.scoped, (self) => withTest(self, { diagnosticCallback: (m) => diagnostics.push(m) }))
  })

  it.effect("a malformed URL or headers of the wrong type are reported, and the request is still traced", () =>
    Effect.gen(function*() {
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      const exit = yield* Effect.exit(Effect.void.pipe(OneAgentSdk.traceIncomingWebRequest(info, {
        url: 42 as unknown as string,
        method: "GET"
      })))
      assert(Exit.isFailure(exit))
      expect(Cause.pretty(exit.cause)).toContain(`"url" must be a string`)
    }).pipe(Effect.scoped, withTest))
})
