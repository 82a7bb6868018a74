/**
 * Forkable mode: a pre-fork HTTP server on Node's `cluster` (the seed's `initialize(forkable=True)`).
 *
 * The primary initialises the SDK with `forkable: true` before it forks. It does not trace (its tracer calls are
 * ignored, agentState is PERMANENTLY_INACTIVE) and runs the one exporter of the whole cluster. The workers it forks
 * afterwards learn from their environment (`ONEAGENT_FORKABLE`, set by the primary) that they are in forkable mode:
 * they trace, encode on their own export thread, and post the encoded batches to the primary over the cluster IPC
 * channel, so they start fast and hold no HTTP exporter of their own. A worker that dies loses at most the batch it
 * had not sent yet; the others keep exporting.
 *
 * Run: npx node examples/cluster.ts
 *
 *   WORKERS=2       how many workers (default 2)
 *   REQUESTS=12     how many requests the primary sends to its own server before shutting down (default 12)
 *   and the export variables of examples/export-otlp.ts (OTEL_EXPORTER_OTLP_ENDPOINT, DT_URL + DT_API_TOKEN, ...),
 *   read by the primary; by default the traces go to .traces/traces.jsonl. ONEAGENT_CONSOLE=1 prints each trace.
 *
 * Shutdown order matters: each worker releases its SDK (flushing its last batch to the primary) before it exits,
 * and the primary releases its SDK (flushing to the target) after the workers are gone.
 */
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import cluster from "node:cluster"
import * as Http from "node:http"
import { AgentState, OneAgentSdk } from "../src/index.ts"

const workers = Number(process.env.WORKERS ?? "2")
const requests = Number(process.env.REQUESTS ?? "12")

const primary = Effect.gen(function*() {
  // First the SDK (it sets the environment the workers inherit), then the workers.
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(
    OneAgentSdk.layer({
      forkable: true,
      export: { serviceName: "cluster-example" },
      diagnosticCallback: (message) => console.error(`[primary diagnostic] ${message}`)
    }),
    scope
  )
  const sdk = context.mapUnsafe.get(OneAgentSdk.key) as OneAgentSdk["Service"]
  const state = yield* sdk.agentState
  console.error(`primary ${process.pid}: agentState ${state === AgentState.PERMANENTLY_INACTIVE ? "PERMANENTLY_INACTIVE" : state}`)

  const port = yield* Effect.callback<number>((resume) => {
    let listening = 0
    for (let i = 0; i < workers; i++) cluster.fork()
    cluster.on("listening", (_worker, address) => {
      if (++listening === workers) resume(Effect.succeed(address.port))
    })
  })

  // Stand-in for real traffic: requests from a traced caller continue its trace in whichever worker answers.
  const answers = yield* Effect.forEach(Array.from({ length: requests }, (_, i) => i), (i) =>
    Effect.promise(() =>
      fetch(`http://127.0.0.1:${port}/orders/${i}`, {
        headers: i % 2 === 0 ? { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } : {}
      }).then((response) => response.text())
    ), { concurrency: 4 })
  console.error(answers.join("\n"))

  // Ask the workers to stop; each flushes its last batch to this process before exiting.
  yield* Effect.callback<void>((resume) => {
    let exited = 0
    cluster.on("exit", () => {
      if (++exited === workers) resume(Effect.void)
    })
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ example: "stop" })
  })
  yield* Scope.close(scope, Exit.void)
  const stats = yield* sdk.stats
  console.error(`primary: ${stats.spansExported} spans exported, ${stats.spansDroppedExport} dropped`)
})

const worker = async () => {
  // No `forkable` needed: the primary's environment says so. `exportInterval` sends batches to the primary often.
  const runtime = ManagedRuntime.make(OneAgentSdk.layer({
    exportInterval: 200,
    export: { serviceName: "cluster-example" },
    diagnosticCallback: (message) => console.error(`[worker ${process.pid} diagnostic] ${message}`)
  }))

  const handle = (request: Http.IncomingMessage) =>
    Effect.gen(function*() {
      const id = Number(request.url?.split("/").at(-1))
      yield* OneAgentSdk.addCustomRequestAttribute("order.id", id)
      yield* Effect.sleep("5 millis").pipe(OneAgentSdk.traceCustomService({ method: "price", service: "Pricing" }))
      return `order ${id} handled by worker ${process.pid}`
    }).pipe(
      OneAgentSdk.traceIncomingRemoteCall({
        method: "GET /orders",
        service: "Orders",
        endpoint: "http://orders",
        protocolName: "http",
        stringTag: typeof request.headers.traceparent === "string" ? request.headers.traceparent : undefined
      })
    )

  const server = Http.createServer((request, response) => {
    runtime.runPromise(handle(request)).then((body) => response.end(body))
  })
  server.listen(0, "127.0.0.1")

  process.on("message", async (message: { example?: string }) => {
    if (message?.example !== "stop") return
    server.close()
    await runtime.dispose() // flushes this worker's last spans to the primary
    process.exit(0)
  })
}

if (cluster.isPrimary) await Effect.runPromise(primary)
else await worker()
