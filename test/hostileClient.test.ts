// A hostile client against traced servers over real sockets: a node:http server traced with the README's web request
// pattern (an incoming web request tracer per request, every query parameter added with addParameter), the effect/http
// middleware, and a node:http2 server (HTTP/2 takes any method token). What the client sends must not put credentials
// in the trace in clear, make the engine keep something per distinct name or method, or push the application's own
// data out of its spans. The memory side of the floods is test/slow/floods.test.ts.
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import { constTrue } from "effect/Function"
import { HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import * as Http from "node:http"
import * as Http2 from "node:http2"
import type { AddressInfo } from "node:net"
import {
  ChannelType,
  OneAgentHttp,
  OneAgentSdk,
  type OneAgentSdkOptions,
  OneAgentTest,
  type SpanData,
  type WebRequest
} from "../src/index.ts"
import { incomingOf } from "./support/nodeRequest.ts"

const app = { webServerName: "shop", applicationId: "Shop", contextRoot: "/" } as const

const withTest = <A, E, R>(self: Effect.Effect<A, E, R>, options?: OneAgentSdkOptions) =>
  self.pipe(Effect.scoped, Effect.provide(OneAgentTest.layer(options)))

type Request = Http.IncomingMessage | Http2.Http2ServerRequest

// The README's pattern, plus what an application adds of its own: a custom request attribute and a response header.
const readmeHandler = (
  info: WebRequest.WebApplicationInfo,
  req: Request,
  extra: Effect.Effect<void, never, OneAgentSdk>
) =>
  Effect.scoped(Effect.gen(function*() {
    const sdk = yield* OneAgentSdk
    const { options, url } = incomingOf(req)
    const tracer = yield* sdk.traceIncomingWebRequest(info, options)
    for (const [name, value] of url.searchParams) yield* tracer.addParameter(name, value)
    yield* extra
    yield* OneAgentSdk.addCustomRequestAttribute("app.handled", "yes")
    yield* tracer.addResponseHeaders({ "content-type": "application/json", "x-app-version": "7" })
    yield* tracer.setStatusCode(200)
  }))

// A server whose handler runs in the test's context; the response is written once the request's span has ended.
const serve = <S extends Http.Server | Http2.Http2Server>(
  create: (listener: (req: Request, res: Http.ServerResponse | Http2.Http2ServerResponse) => void) => S,
  extra: (req: Request) => Effect.Effect<void, never, OneAgentSdk> = () => Effect.void
) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const context = yield* Effect.context<OneAgentSdk>()
      const info = yield* OneAgentSdk.createWebApplicationInfo(app)
      const server = create((req, res) => {
        Effect.runPromise(readmeHandler(info, req, extra(req)).pipe(Effect.provide(context))).then(() => {
          ;(res as Http.ServerResponse).writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      yield* Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void)))
      return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        if ("closeAllConnections" in server) server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    await response.text()
    return response.status
  })

// Every string the span holds, to look for what must not be there.
const allText = (span: SpanData.SpanData) =>
  JSON.stringify({ ...span, startTime: 0, endTime: 0, events: span.events.map((e) => e.attributes) })

const serverSpans = (path: string) =>
  Effect.map(OneAgentTest.OneAgentTest, (test) => test.spans).pipe(
    Effect.flatten,
    Effect.map((spans) => spans.filter((s) => s.kind === "server" && s.attributes["url.path"] === path))
  )

describe("a hostile client against a traced node:http server", () => {
  it.live("credentials in headers, the query and parameters are redacted by one default rule", () =>
    Effect.gen(function*() {
      const { base } = yield* serve((listener) => Http.createServer(listener))
      const query = "access_token=AT1&Signature=SG1&sig=SG2&X-Amz-Credential=AK1&client_secret=CS1&q=shoes&author=ann"
      expect(yield* get(`${base}/login?${query}`, {
        "x-api-key": "K1",
        "x-auth-token": "K2",
        "x-forwarded-access-token": "K3",
        "x-amzn-oidc-accesstoken": "K4",
        authorization: "Bearer K5",
        cookie: "session=K6",
        "x-session-id": "K7",
        accept: "application/json",
        "x-request-id": "rid-1"
      })).toBe(200)
      const [span] = yield* serverSpans("/login")
      expect(span!.attributes).toMatchObject({
        "http.request.header.x-api-key": "[REDACTED]",
        "http.request.header.x-auth-token": "[REDACTED]",
        "http.request.header.x-forwarded-access-token": "[REDACTED]",
        "http.request.header.x-amzn-oidc-accesstoken": "[REDACTED]",
        "http.request.header.authorization": "[REDACTED]",
        "http.request.header.cookie": "[REDACTED]",
        "http.request.header.x-session-id": "[REDACTED]",
        "http.request.header.accept": "application/json",
        "http.request.header.x-request-id": "rid-1",
        "url.full": `${base}/login?access_token=REDACTED&Signature=REDACTED&sig=REDACTED&X-Amz-Credential=REDACTED` +
          "&client_secret=REDACTED&q=shoes&author=ann",
        "url.query": "access_token=REDACTED&Signature=REDACTED&sig=REDACTED&X-Amz-Credential=REDACTED" +
          "&client_secret=REDACTED&q=shoes&author=ann",
        "oneagent.web.parameter.access_token": "[REDACTED]",
        "oneagent.web.parameter.Signature": "[REDACTED]",
        "oneagent.web.parameter.sig": "[REDACTED]",
        "oneagent.web.parameter.X-Amz-Credential": "[REDACTED]",
        "oneagent.web.parameter.client_secret": "[REDACTED]",
        "oneagent.web.parameter.q": "shoes",
        "oneagent.web.parameter.author": "ann"
      })
      expect(allText(span!)).not.toMatch(/K\d|AT1|SG\d|AK1|CS1/)
    }).pipe(withTest))

  it.live("the effect/http middleware redacts by the same rule", () => {
    // Done once the middleware has ended the request's span (after the response was written).
    const ended = Deferred.makeUnsafe<void>()
    const Server = HttpRouter.serve(
      HttpRouter.add("GET", "/login", HttpServerResponse.text("ok", { headers: { "x-upstream-token": "K9" } })),
      {
        disableLogger: true,
        disableListenLog: true,
        middleware: (self) =>
          OneAgentHttp.middleware(self, app).pipe(Effect.ensuring(Deferred.succeed(ended, undefined)))
      }
    ).pipe(
      Layer.provide(OneAgentHttp.layerServerTracerDisabled),
      Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { port: 0, host: "127.0.0.1" }))
    )
    return Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const server = yield* HttpServer.HttpServer
      const base = HttpServer.formatAddress(server.address)
      expect(yield* get(`${base}/login?access_token=AT1&X-Amz-Credential=AK1&q=shoes`, {
        "x-api-key": "K1",
        "x-auth-token": "K2",
        "x-forwarded-access-token": "K3",
        "x-amzn-oidc-accesstoken": "K4"
      })).toBe(200)
      yield* Deferred.await(ended)
      const span = (yield* test.spans).find((s) => s.kind === "server")!
      expect(span.attributes).toMatchObject({
        "http.request.header.x-api-key": "[REDACTED]",
        "http.request.header.x-auth-token": "[REDACTED]",
        "http.request.header.x-forwarded-access-token": "[REDACTED]",
        "http.request.header.x-amzn-oidc-accesstoken": "[REDACTED]",
        "http.response.header.x-upstream-token": "[REDACTED]",
        "url.full": `${base}/login?access_token=REDACTED&X-Amz-Credential=REDACTED&q=shoes`
      })
      expect(allText(span)).not.toMatch(/K\d|AT1|AK1/)
    }).pipe(Effect.provide(Server), withTest)
  })

  it.live("effect/http's own server span, recording headers and the URL, is redacted by the same rule", () => {
    const ended = Deferred.makeUnsafe<void>()
    const Server = HttpRouter.serve(HttpRouter.add("GET", "/login", HttpServerResponse.text("ok")), {
      disableLogger: true,
      disableListenLog: true,
      middleware: (self) => self.pipe(Effect.ensuring(Deferred.succeed(ended, undefined)))
    }).pipe(
      Layer.provide(Layer.succeed(HttpMiddleware.TracerHeaderFilter)(constTrue)),
      Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { port: 0, host: "127.0.0.1" }))
    )
    return Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const base = HttpServer.formatAddress((yield* HttpServer.HttpServer).address)
      const status = yield* get(`${base}/login?access_token=AT1&q=shoes`, { "x-auth-token": "K2", accept: "text/plain" })
      expect(status).toBe(200)
      // effect/http ends its span right after the middleware, in the same run of the request's fiber, before this
      // fiber (woken by the deferred) runs again.
      yield* Deferred.await(ended)
      const span = (yield* test.spans).find((s) => s.kind === "server")
      expect(span!.attributes).toMatchObject({
        "http.request.header.x-auth-token": "[REDACTED]",
        "http.request.header.accept": "text/plain",
        "url.full": `${base}/login?access_token=REDACTED&q=shoes`,
        "url.query": "access_token=REDACTED&q=shoes"
      })
      expect(allText(span!)).not.toMatch(/K2|AT1/)
    }).pipe(Effect.provide(Server), withTest)
  })

  it.live("URL credentials never reach an exception's message, its stack or the status message", () =>
    Effect.gen(function*() {
      const { base } = yield* serve(
        (listener) => Http.createServer(listener),
        // The application calls on with a URL that holds credentials: fetch refuses it and quotes it in its TypeError.
        () =>
          Effect.exit(
            Effect.tryPromise({
              try: () => fetch(`http://svc:hunter2@127.0.0.1:1/x?access_token=AT9&n=1`),
              catch: (error) => error as TypeError
            }).pipe(
              OneAgentSdk.traceOutgoingWebRequest({
                url: "http://svc:hunter2@127.0.0.1:1/x?access_token=AT9",
                method: "GET"
              })
            )
          ).pipe(Effect.asVoid)
      )
      expect(yield* get(`${base}/call`)).toBe(200)
      const test = yield* OneAgentTest.OneAgentTest
      const client = (yield* test.spans).find((s) => s.kind === "client")!
      expect(client.status.code).toBe("error")
      const exception = client.events.find((e) => e.name === "exception")!
      // The failure is still described: what failed and where, without the secrets.
      expect(exception.attributes["exception.message"]).toContain("http://REDACTED:REDACTED@127.0.0.1:1/x")
      expect(exception.attributes["exception.message"]).toContain("access_token=REDACTED&n=1")
      expect(String(exception.attributes["exception.stacktrace"])).toContain("REDACTED:REDACTED@")
      expect(client.status.message).toContain("REDACTED:REDACTED@")
      expect(allText(client)).not.toMatch(/hunter2|AT9/)
      // markFailed's message is redacted the same way.
      yield* Effect.scoped(Effect.gen(function*() {
        const sdk = yield* OneAgentSdk
        const tracer = yield* sdk.traceOutgoingWebRequest({ url: "http://h.test/y", method: "PUT" })
        yield* tracer.markFailed("UpstreamError", "GET https://u:pw9@h.test/y?sig=SG9 answered 403, Bearer tok9")
      }))
      const failed = yield* test.span("PUT")
      expect(failed.status.message).toContain(
        "https://REDACTED:REDACTED@h.test/y?sig=REDACTED answered 403, Bearer [REDACTED]"
      )
      expect(allText(failed)).not.toMatch(/pw9|SG9|tok9/)
    }).pipe(withTest))

  it.live("a flood of new header names fills no table: X-Request-Id and the application's keys get through", () => {
    const diagnostics: Array<string> = []
    return Effect.gen(function*() {
      const { base } = yield* serve((listener) => Http.createServer(listener))
      // 300 requests with 700 new header names each: 210,000 names, far past every bound.
      for (let request = 0; request < 300; request++) {
        const headers: Record<string, string> = {}
        for (let i = 0; i < 700; i++) headers[`x-f${request}-${i}`] = "v"
        expect(yield* get(`${base}/flood?n=${request}`, headers)).toBe(200)
      }
      expect(yield* get(`${base}/after?tenant_id=t1`, { "x-request-id": "rid-7", "x-tenant": "t1" })).toBe(200)
      const flood = yield* serverSpans("/flood")
      expect(flood).toHaveLength(300)
      for (const span of [flood[0]!, flood[299]!]) {
        const own = Object.keys(span.attributes).filter((k) => k.startsWith("http.request.header.x-f"))
        // One request records a bounded number of names of its own; the rest are kept in one attribute.
        expect(own.length).toBeLessThanOrEqual(64)
        expect(String(span.attributes["oneagent.web.other_request_headers"])).toMatch(/^x-f\d+-\d+: v\n/)
        // The application's data is not pushed out of the span by the request's.
        expect(span.attributes).toMatchObject({
          "http.response.status_code": 200,
          "app.handled": "yes",
          "http.response.header.x-app-version": "7",
          "oneagent.web.parameter.n": expect.any(String)
        })
      }
      const [after] = yield* serverSpans("/after")
      expect(after!.attributes).toMatchObject({
        "http.request.header.x-request-id": "rid-7",
        "oneagent.web.other_request_headers": "x-tenant: t1",
        "oneagent.web.parameter.tenant_id": "t1",
        "app.handled": "yes",
        "http.response.header.x-app-version": "7",
        "http.response.status_code": 200
      })
      expect(diagnostics.join("\n")).toContain("distinct http.request.header.* names have keys of their own")
    }).pipe((self) => withTest(self, { diagnosticCallback: (m) => diagnostics.push(m) }))
  })
})

describe("a hostile client against a traced node:http2 server", () => {
  const request = (base: string, method: string, path: string) =>
    Effect.callback<number>((resume) => {
      const session = Http2.connect(base)
      const stream = session.request({ ":method": method, ":path": path })
      stream.on("response", (headers) => {
        stream.resume()
        stream.on("end", () => session.close(() => resume(Effect.succeed(Number(headers[":status"])))))
      })
      stream.end()
    })

  it.live("a method outside the known ones is recorded as _OTHER, with the original beside it", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const { base } = yield* serve((listener) => Http2.createServer(listener))
      for (const method of ["GET", "FLOOD1", "FLOOD2", "PROPFIND", "get"]) {
        expect(yield* request(base, method, "/m")).toBe(200)
      }
      const spans = yield* serverSpans("/m")
      const by = (method: string) =>
        spans.find((s) => (s.attributes["http.request.method_original"] ?? s.attributes["http.request.method"]) === method)!
      expect(by("GET").name).toBe("GET")
      expect(by("GET").attributes["http.request.method_original"]).toBeUndefined()
      for (const original of ["FLOOD1", "FLOOD2", "PROPFIND"]) {
        expect(by(original).name).toBe("HTTP")
        expect(by(original).attributes["http.request.method"]).toBe("_OTHER")
      }
      // A method named in a different case is the known method, its original kept.
      expect(by("get").attributes["http.request.method"]).toBe("GET")
      expect((yield* test.spans).filter((s) => s.name === "HTTP")).toHaveLength(3)
    }).pipe(withTest))

  it.live("knownHttpMethods names a server's own methods", () =>
    Effect.gen(function*() {
      const { base } = yield* serve((listener) => Http2.createServer(listener))
      for (const method of ["PROPFIND", "FLOOD1"]) expect(yield* request(base, method, "/m")).toBe(200)
      const spans = yield* serverSpans("/m")
      expect(spans.map((s) => [s.name, s.attributes["http.request.method"]])).toEqual([
        ["PROPFIND", "PROPFIND"],
        ["HTTP", "_OTHER"]
      ])
    }).pipe((self) => withTest(self, { knownHttpMethods: ["GET", "POST", "PROPFIND"] })))
})

describe("a hostile client choosing the first word of SQL", () => {
  it.live("only SQL keywords name the span and its operation", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const { base } = yield* serve(
        (listener) => Http.createServer(listener),
        // A report endpoint that runs what the client asks for, as a SQL console does.
        (req) =>
          Effect.scoped(Effect.gen(function*() {
            const db = yield* OneAgentSdk.createDatabaseInfo({
              name: "reports",
              vendor: "PostgreSQL",
              channel: { type: ChannelType.TCP_IP, endpoint: "db:5432" }
            })
            const statement = new URL(req.url ?? "/", "http://h").searchParams.get("sql") ?? ""
            yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, statement))
          }))
      )
      for (const sql of ["select 1", "Zyzzyva 1", "Quux 2", "WITH x AS (SELECT 1) SELECT * FROM x"]) {
        expect(yield* get(`${base}/report?sql=${encodeURIComponent(sql)}`)).toBe(200)
      }
      const queries = (yield* test.spans).filter((s) => s.kind === "client")
      expect(queries.map((s) => [s.name, s.attributes["db.operation.name"], s.attributes["db.query.text"]])).toEqual([
        ["SELECT reports", "SELECT", "select 1"],
        ["reports", undefined, "Zyzzyva 1"],
        ["reports", undefined, "Quux 2"],
        ["WITH reports", "WITH", "WITH x AS (SELECT 1) SELECT * FROM x"]
      ])
    }).pipe(withTest))
})
