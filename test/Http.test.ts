import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  FetchHttpClient,
  HttpClient,
  HttpClientRequest,
  HttpRouter,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import * as Http from "node:http"
import { OneAgentHttp, OneAgentSdk, OneAgentTest, type SpanData } from "../src/index.ts"
import { receiver } from "./support/otlp.ts"
import { eventually } from "./support/wait.ts"

const app = { webServerName: "test-server", applicationId: "OrderApi", contextRoot: "/" } as const

const Routes = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/orders/:id",
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const { id } = yield* HttpRouter.params
      yield* Effect.annotateCurrentSpan("order.id", id!)
      yield* Effect.void.pipe(Effect.withSpan("load order"))
      yield* OneAgentSdk.addCustomRequestAttribute("handled", "yes")
      return HttpServerResponse.jsonUnsafe(
        { traceparent: request.headers["traceparent"], dynatrace: request.headers["x-dynatrace"] },
        { headers: { "x-api-key": "server-key", "x-order": id! } }
      )
    })
  ),
  HttpRouter.add("POST", "/boom", Effect.fail(new Error("boom"))),
  HttpRouter.add("GET", "/teapot", HttpServerResponse.text("short and stout", { status: 418 }))
)

const listen = NodeHttpServer.layer(Http.createServer, { port: 0, host: "127.0.0.1" })

// The fetch client, traced, pointed at the server.
const Client = OneAgentHttp.layerClient.pipe(
  Layer.provide(HttpServer.layerTestClient),
  Layer.provide(FetchHttpClient.layer)
)

// The middleware as the server's middleware: a real Node server on 127.0.0.1, port 0.
const env = (options: { readonly effectServerSpans?: boolean; readonly diagnostics?: Array<string> } = {}) => {
  const server = HttpRouter.serve(Routes, {
    disableLogger: true,
    disableListenLog: true,
    middleware: OneAgentHttp.middleware(app)
  }).pipe(
    options.effectServerSpans ? (self) => self : Layer.provide(OneAgentHttp.layerServerTracerDisabled),
    Layer.provideMerge(listen)
  )
  return Client.pipe(
    Layer.provideMerge(server),
    Layer.provideMerge(OneAgentTest.layer({ diagnosticCallback: (m) => options.diagnostics?.push(m) }))
  )
}

// The spans `select` picks, once there are `count` of them: a server span ends after its response is
// written, which can be after the client has read it.
// No event says a span ended: the recording is polled (the bound only ends a wait for what must happen).
const settled = (select: (span: SpanData.SpanData) => boolean, count = 1) =>
  Effect.flatMap(OneAgentTest.OneAgentTest, (test) =>
    eventually(
      `${count} such span(s) recorded`,
      test.spans.pipe(Effect.map((spans) => spans.filter(select)), Effect.map((spans) => spans.length >= count ? spans : undefined))
    ))

const server = (path: string) => (span: SpanData.SpanData) => span.kind === "server" && span.attributes["url.path"] === path
const client = (path: string) => (span: SpanData.SpanData) => span.kind === "client" && span.attributes["url.path"] === path

describe("OneAgentHttp", () => {
  it.live("one trace across a traced client and a traced server, one span each", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.get("/orders/7", {
          urlParams: { expand: "items" },
          headers: { authorization: "Bearer secret-token", accept: "application/json" }
        })
      )
      const body = (yield* response.json) as { traceparent: string; dynatrace: string }
      expect(response.status).toBe(200)

      const [serverSpan] = yield* settled(server("/orders/7"))
      const [clientSpan] = yield* settled(client("/orders/7"))
      // The router's route names the span.
      expect(serverSpan.name).toBe("GET /orders/:id")
      expect(clientSpan.name).toBe("GET")
      // The tag reached the server in both headers, and the server continued the client's span.
      expect(body.traceparent).toBe(`00-${clientSpan.traceId}-${clientSpan.spanId}-01`)
      expect(body.dynatrace).toBe(body.traceparent)
      expect(serverSpan.traceId).toBe(clientSpan.traceId)
      expect(serverSpan.parentSpanId).toBe(clientSpan.spanId)
      // No second span from effect/http on either side.
      const spans = yield* test.spans
      expect(spans.filter((s) => s.kind === "server")).toHaveLength(1)
      expect(spans.filter((s) => s.kind === "client")).toHaveLength(1)

      const url = `${response.request.url}?expand=items`
      expect(clientSpan.attributes).toMatchObject({
        "http.request.method": "GET",
        "url.full": url,
        "http.response.status_code": 200,
        "http.request.header.authorization": "[REDACTED]",
        "http.request.header.accept": "application/json",
        "http.response.header.x-api-key": "[REDACTED]",
        "http.response.header.x-order": "7"
      })
      expect(clientSpan.attributes["http.request.header.traceparent"]).toBeUndefined()
      expect(clientSpan.status.code).toBe("unset")
      expect(serverSpan.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.route": "/orders/:id",
        "url.full": url,
        "url.query": "expand=items",
        "client.address": "127.0.0.1",
        "http.response.status_code": 200,
        "http.request.header.authorization": "[REDACTED]",
        "http.response.header.x-api-key": "[REDACTED]",
        "oneagent.web.application_id": "OrderApi",
        "order.id": "7",
        handled: "yes"
      })
      expect(serverSpan.status.code).toBe("unset")
      // The request span is Effect's current span inside the handler.
      expect((yield* test.span("load order")).parentSpanId).toBe(serverSpan.spanId)
      expect(yield* test.openSpans).toEqual([])
    }).pipe(Effect.provide(env())))

  it.live("a 5xx fails the server span, a 4xx does not; the client span fails from 400", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const http = yield* HttpClient.HttpClient
      const statuses = yield* Effect.forEach(
        [HttpClientRequest.post("/boom"), HttpClientRequest.get("/missing"), HttpClientRequest.get("/teapot")],
        (request) => Effect.map(http.execute(request), (r) => r.status)
      )
      expect(statuses).toEqual([500, 404, 418])

      const [boom] = yield* settled(server("/boom"))
      expect(boom.status).toEqual({ code: "error", message: "Error: boom" })
      expect(boom.attributes["http.response.status_code"]).toBe(500)
      expect(boom.events.find((e) => e.name === "exception")?.attributes["exception.message"]).toBe("boom")
      // No route matched: the span keeps the method as its name, and a 404 is not a server failure.
      const [missing] = yield* settled(server("/missing"))
      expect(missing.name).toBe("GET")
      expect(missing.attributes["http.response.status_code"]).toBe(404)
      expect(missing.status.code).toBe("unset")
      const [teapot] = yield* settled(server("/teapot"))
      expect(teapot.status.code).toBe("unset")

      const clients = (yield* test.spans).filter((s) => s.kind === "client")
      expect(clients.map((s) => [s.attributes["http.response.status_code"], s.status])).toEqual([
        [500, { code: "error", message: "HTTP 500" }],
        [404, { code: "error", message: "HTTP 404" }],
        [418, { code: "error", message: "HTTP 418" }]
      ])
    }).pipe(Effect.provide(env())))

  it.live("applied to the app, failures are recorded as the responses they become", () =>
    Effect.gen(function*() {
      const http = yield* HttpClient.HttpClient
      expect(yield* Effect.map(http.execute(HttpClientRequest.post("/boom")), (r) => r.status)).toBe(500)
      expect(yield* Effect.map(http.execute(HttpClientRequest.get("/missing")), (r) => r.status)).toBe(404)
      const [boom] = yield* settled(server("/boom"))
      expect(boom.attributes["http.response.status_code"]).toBe(500)
      expect(boom.events.find((e) => e.name === "exception")?.attributes["exception.message"]).toBe("boom")
      const [missing] = yield* settled(server("/missing"))
      expect([missing.attributes["http.response.status_code"], missing.status.code]).toEqual([404, "unset"])
    }).pipe(
      Effect.provide(Client.pipe(
        Layer.provideMerge(
          Layer.unwrap(Effect.gen(function*() {
            const info = yield* OneAgentSdk.createWebApplicationInfo(app)
            const handler = yield* HttpRouter.toHttpEffect(Routes)
            return HttpServer.serve(OneAgentHttp.middleware(handler, info))
          })).pipe(Layer.provide(OneAgentHttp.layerServerTracerDisabled), Layer.provideMerge(listen))
        ),
        Layer.provideMerge(OneAgentTest.layer())
      ))
    ))

  it.live("with effect/http's server span left on, ours nests under it and a diagnostic says so", () => {
    const diagnostics: Array<string> = []
    return Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const http = yield* HttpClient.HttpClient
      yield* http.execute(HttpClientRequest.get("/orders/1"))
      yield* http.execute(HttpClientRequest.get("/orders/2"))
      const ours = yield* settled((s) => s.attributes["http.route"] === "/orders/:id" && s.kind === "server" &&
        s.attributes["oneagent.web.application_id"] === "OrderApi", 2)
      for (const span of ours) {
        const effects = yield* test.parent(span)
        expect([effects.kind, effects.name]).toEqual(["server", "GET"])
        expect((yield* test.parent(effects)).kind).toBe("client")
      }
      expect(diagnostics.filter((m) => m.includes("layerServerTracerDisabled"))).toHaveLength(1)
    }).pipe(Effect.provide(env({ effectServerSpans: true, diagnostics })))
  })

  it.live("in production an unsampled request runs unsampled: its trace goes on with the flag clear, nothing recorded", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
      const Seen = HttpRouter.add(
        "GET",
        "/seen",
        Effect.gen(function*() {
          const context = yield* OneAgentSdk.currentTraceContext
          const headers = yield* OneAgentSdk.outgoingHeaders
          const stats = yield* OneAgentSdk.use((sdk) => sdk.stats)
          return HttpServerResponse.jsonUnsafe({ context, sent: headers.traceparent, open: stats.spansOpen })
        })
      )
      const body = yield* Effect.gen(function*() {
        // An untraced client (no span, nothing propagated), so the request carries exactly the caller's header.
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(HttpClientRequest.get("/seen", { headers: { traceparent: incoming } }))
          .pipe(
            Effect.provideService(HttpClient.TracerPropagationEnabled, false),
            Effect.provideService(HttpClient.TracerDisabledWhen, () => true)
          )
        return (yield* response.json) as {
          context: { isValid: boolean; traceId: string; sampled: boolean }
          sent: string
          open: number
        }
      }).pipe(Effect.provide(
        HttpServer.layerTestClient.pipe(
          Layer.provide(FetchHttpClient.layer),
          Layer.provideMerge(
            HttpRouter.serve(Seen, { disableLogger: true, disableListenLog: true, middleware: OneAgentHttp.middleware(app) })
              .pipe(Layer.provide(OneAgentHttp.layerServerTracerDisabled), Layer.provideMerge(listen))
          ),
          Layer.provideMerge(OneAgentSdk.layer({ export: { endpoint: rx.url } }))
        )
      ))
      expect(body.context).toMatchObject({ isValid: true, traceId: "4bf92f3577b34da6a3ce929d0e0e4736", sampled: false })
      expect(body.sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/)
      // The request held no engine span open, and after the layer's release (a flush) nothing had been exported.
      expect(body.open).toBe(0)
      expect(rx.accepted).toEqual([])
    }))
})
