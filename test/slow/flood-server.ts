// The traced server of test/slow/floods.test.ts, in its own `node --expose-gc` process so its RSS is its own: a
// node:http and a node:http2 server traced with the README's web request pattern (every query parameter added with
// addParameter), where a `sql` parameter is also run as a SQL statement (a report endpoint). It exports to /dev/null.
// Over IPC it sends its ports, then answers each "measure" with its memory use after a full GC.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Http from "node:http"
import * as Http2 from "node:http2"
import type { AddressInfo } from "node:net"
import { ChannelType, OneAgentSdk } from "../../src/index.ts"
import { incomingOf } from "../support/nodeRequest.ts"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined || process.send === undefined) throw new Error("run with --expose-gc, forked with IPC")

const main = Effect.gen(function*() {
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(
    OneAgentSdk.layer({
      effectSpans: false,
      exportInterval: 10,
      export: { file: "/dev/null", shutdownTimeout: 0 }
    }),
    scope
  )
  const sdk = Context.get(context, OneAgentSdk)
  const info = yield* sdk.createWebApplicationInfo({ webServerName: "shop", applicationId: "Shop", contextRoot: "/" })
    .pipe(Scope.provide(scope))
  const db = yield* sdk.createDatabaseInfo({
    name: "reports",
    vendor: "PostgreSQL",
    channel: { type: ChannelType.TCP_IP, endpoint: "db:5432" }
  }).pipe(Scope.provide(scope))

  const handle = (req: Http.IncomingMessage | Http2.Http2ServerRequest) =>
    Effect.scoped(Effect.gen(function*() {
      const { options, url } = incomingOf(req)
      const tracer = yield* sdk.traceIncomingWebRequest(info, options)
      for (const [name, value] of url.searchParams) yield* tracer.addParameter(name, value)
      const sql = url.searchParams.get("sql")
      if (sql !== null) yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, sql))
      yield* tracer.setStatusCode(200)
    })).pipe(Effect.provide(context))

  const listener = (
    req: Http.IncomingMessage | Http2.Http2ServerRequest,
    res: Http.ServerResponse | Http2.Http2ServerResponse
  ) => void Effect.runPromise(handle(req)).then(() => (res as Http.ServerResponse).writeHead(200).end("ok"))
  const http = Http.createServer(listener)
  const http2 = Http2.createServer({ settings: { maxConcurrentStreams: 1_000 } }, listener)
  for (const server of [http, http2]) {
    yield* Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void)))
  }
  const port = (server: Http.Server | Http2.Http2Server) => (server.address() as AddressInfo).port
  process.on("message", (message) => {
    if (message !== "measure") process.exit(0)
    for (let i = 0; i < 4; i++) gc!()
    Effect.runPromise(sdk.stats).then((stats) => process.send!({ ...process.memoryUsage(), stats }))
  })
  process.send!({ http: port(http), http2: port(http2) })
})

Effect.runPromise(main)
