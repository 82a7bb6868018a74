/**
 * Web requests with the seed's tracers, no HTTP framework: a node:http server traces each incoming request
 * (parameters, response headers, status code), and a client traces its outgoing fetch calls and sends the tag
 * headers. The server's span continues the client's trace. For effect/http, see examples/http.ts.
 *
 * Run: npx node examples/web.ts   (prints each trace as a tree to stderr; spans go to .traces/web.jsonl)
 */
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { OneAgentSdk, type WebRequest } from "../src/index.ts"

// The server side, as the seed does it: create the tracer with the request's data, start it, add what the
// response says, end it.
const handle = (info: WebRequest.WebApplicationInfo, req: Http.IncomingMessage, res: Http.ServerResponse) =>
  Effect.scoped(Effect.gen(function*() {
    const sdk = yield* OneAgentSdk
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
    const tracer = yield* sdk.traceIncomingWebRequest(info, {
      url: url.href,
      method: req.method ?? "GET",
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress
    })
    for (const [name, value] of url.searchParams) yield* tracer.addParameter(name, value)
    const found = url.pathname === "/api/orders/7"
    const status = found ? 200 : 404
    const headers = { "content-type": "application/json" }
    yield* tracer.addResponseHeaders(headers)
    yield* tracer.setStatusCode(status)
    res.writeHead(status, headers).end(found ? JSON.stringify({ id: 7 }) : "{}")
  }))

// The client side: the outgoing tracer gives the headers that carry its tag.
const get = (url: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sdk = yield* OneAgentSdk
    const tracer = yield* sdk.traceOutgoingWebRequest({ url, method: "GET", headers: { accept: "application/json" } })
    const headers = { accept: "application/json", ...yield* tracer.outgoingHeaders }
    const response = yield* Effect.promise(() => fetch(url, { headers }))
    yield* tracer.addResponseHeaders(Object.fromEntries(response.headers))
    yield* tracer.setStatusCode(response.status)
    return response.status
  }))

const program = Effect.gen(function*() {
  const sdk = yield* OneAgentSdk
  const info = yield* sdk.createWebApplicationInfo({ webServerName: "orders-1", applicationId: "OrderApi", contextRoot: "/api" })
  // The server runs its handlers with this fiber's services (the SDK), each request in a fiber of its own.
  const run = Effect.runForkWith(yield* Effect.context<OneAgentSdk>())
  const server = Http.createServer((req, res) => void run(handle(info, req, res)))
  yield* Effect.acquireRelease(
    Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
    () => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const statuses = yield* Effect.forEach([`${base}/api/orders/7?expand=items`, `${base}/api/orders/8`], get)
  yield* Effect.logInfo(`statuses ${statuses.join(", ")}`)
})

Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(OneAgentSdk.layer({ console: true, export: { file: ".traces/web.jsonl" } })))
)
