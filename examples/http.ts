/**
 * effect/http with OneAgent tracing: an order API served by Node with the OneAgentHttp middleware, and a
 * traced fetch client that calls it twice, then exits. Each call is one trace: the client's CLIENT span,
 * and under it the server's SERVER span (named after the route), with the handler's own spans below.
 *
 * Run: npx node examples/http.ts   (prints each trace as a tree to stderr; spans go to .traces/http.jsonl)
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import {
  FetchHttpClient,
  HttpClient,
  HttpClientRequest,
  HttpRouter,
  HttpServer,
  HttpServerResponse
} from "effect/http"
import { createServer } from "node:http"
import { OneAgentHttp, OneAgentSdk } from "../src/index.ts"

const Routes = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/orders/:id",
    Effect.gen(function*() {
      const { id } = yield* HttpRouter.params
      yield* OneAgentSdk.addCustomRequestAttribute("order.id", id!)
      // Work inside the handler: an Effect span, nested under the request's SERVER span.
      yield* Effect.sleep("10 millis").pipe(Effect.withSpan("load order"))
      return HttpServerResponse.jsonUnsafe({ id, status: "shipped" })
    })
  ),
  HttpRouter.add("GET", "/health", HttpServerResponse.text("ok"))
)

const Server = HttpRouter.serve(Routes, {
  disableListenLog: true,
  middleware: OneAgentHttp.middleware({ webServerName: "example", applicationId: "OrderApi", contextRoot: "/" })
}).pipe(
  // One SERVER span per request: ours, not effect/http's as well.
  Layer.provide(OneAgentHttp.layerServerTracerDisabled),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

// The fetch client, traced, with the server's address as its base URL.
const Client = OneAgentHttp.layerClient.pipe(
  Layer.provide(HttpServer.layerTestClient),
  Layer.provide(FetchHttpClient.layer)
)

const program = Effect.gen(function*() {
  const client = yield* HttpClient.HttpClient
  for (const id of [1, 2]) {
    const order = yield* client.execute(HttpClientRequest.get(`/orders/${id}`)).pipe(
      Effect.flatMap((response) => response.json)
    )
    yield* Effect.logInfo(`order ${id}: ${JSON.stringify(order)}`)
  }
})

// Releasing the layers closes the server, then flushes the spans and shuts the engine down.
Effect.runPromise(program.pipe(
  Effect.provide(Client.pipe(Layer.provideMerge(Server))),
  Effect.provide(OneAgentSdk.layer({ console: true, export: { file: ".traces/http.jsonl" } }))
))
