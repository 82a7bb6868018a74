/**
 * Exporting to a real backend: an OpenTelemetry Collector, Jaeger, Tempo, a local OneAgent or Dynatrace, chosen
 * by environment variables alone; the code does not change.
 *
 * Run: npx node examples/export-otlp.ts
 *
 * Where the spans go (the first one set wins):
 *
 *   DT_URL (or DT_ENVIRONMENT_URL)      Dynatrace environment, e.g. https://abc12345.live.dynatrace.com; spans go
 *   + DT_API_TOKEN                      to <url>/api/v2/otlp/v1/traces with `Authorization: Api-Token <token>`.
 *                                       The token needs the `openTelemetryTrace.ingest` scope; it is never logged.
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  full traces URL, used as is. A local OneAgent:
 *                                       http://localhost:14499/otlp/v1/traces
 *   OTEL_EXPORTER_OTLP_ENDPOINT         base URL; /v1/traces is appended. Collector, Jaeger (1.35+) and Tempo all
 *                                       take OTLP/HTTP on port 4318: http://localhost:4318
 *   ONEAGENT_TRACES_FILE                nothing of the above: OTLP/JSON lines in this file
 *                                       (default .traces/traces.jsonl), loadable by the Collector's otlpjsonfile
 *                                       receiver and Jaeger's UI.
 *
 * How (all optional):
 *
 *   OTEL_SERVICE_NAME                   service.name (default unknown_service:node)
 *   OTEL_RESOURCE_ATTRIBUTES            more resource attributes: deployment.environment.name=dev,team=shop
 *   OTEL_EXPORTER_OTLP_HEADERS          extra request headers: x-tenant=t1,authorization=Bearer%20abc
 *   OTEL_EXPORTER_OTLP_COMPRESSION      gzip | none (default none)
 *   OTEL_EXPORTER_OTLP_TIMEOUT          per-request time limit in milliseconds (default 10000)
 *   OTEL_EXPORTER_OTLP_TRACES_*         the traces-only variants of the three above win over the generic ones
 *   ONEAGENT_CONSOLE=1                  also print each trace as a tree to stderr
 *   ONEAGENT_SDK_LOG=finest             print every diagnostic and verbose message of the SDK to stderr
 *
 * Try it with Jaeger:
 *
 *   docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one
 *   OTEL_SERVICE_NAME=shop OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 node examples/export-otlp.ts
 *   # then open http://localhost:16686 and look for the service "shop"
 *
 * Problems with the target (refused connection, 5xx, 429, a rejected batch) never reach the application: the
 * exporter retries, backs off (agentState TEMPORARILY_INACTIVE meanwhile), drops and counts what it must, and says
 * so through the diagnostic callback. Releasing the layer flushes within a deadline (5 s by default).
 */
import { Data, Effect } from "effect"
import { AgentState, ChannelType, OneAgentSdk } from "../src/index.ts"

class OutOfStock extends Data.TaggedError("OutOfStock")<{ readonly message: string }> {}

const reserve = (sku: string) =>
  (sku === "sku-404"
    ? Effect.fail(new OutOfStock({ message: `${sku} is out of stock` }))
    : Effect.sleep("5 millis").pipe(Effect.as(`reservation-${sku}`))).pipe(
      OneAgentSdk.traceCustomService({ method: "reserve", service: "Inventory" })
    )

const notifyShipping = (orderId: number) =>
  Effect.gen(function*() {
    // The tag to send along with the call, so the shipping service continues this trace.
    const traceparent = yield* OneAgentSdk.currentStringTag
    yield* Effect.sleep("10 millis")
    return { orderId, traceparent }
  }).pipe(
    OneAgentSdk.traceOutgoingRemoteCall({
      method: "ship",
      service: "Shipping",
      endpoint: "rpc://shipping",
      channel: { type: ChannelType.TCP_IP, endpoint: "shipping.internal:443" },
      protocolName: "grpc"
    })
  )

const placeOrder = (orderId: number, sku: string) =>
  Effect.gen(function*() {
    yield* OneAgentSdk.addCustomRequestAttribute("order.id", orderId)
    yield* OneAgentSdk.addCustomRequestAttribute("order.sku", sku)
    const reservation = yield* reserve(sku)
    yield* notifyShipping(orderId)
    return reservation
  }).pipe(
    OneAgentSdk.traceIncomingRemoteCall({ method: "placeOrder", service: "Orders", endpoint: "rpc://orders" }),
    // The application's own error handling is unchanged by tracing; the span records the failure.
    Effect.catchTag("OutOfStock", (error) => Effect.succeed(`rejected: ${error.message}`))
  )

const program = Effect.gen(function*() {
  const sdk = yield* OneAgentSdk
  console.error(`initResult ${JSON.stringify(sdk.initResult)}, version ${sdk.agentVersionString}`)
  const results = yield* Effect.forEach(
    [[1, "sku-1"], [2, "sku-2"], [3, "sku-404"]] as const,
    ([id, sku]) => placeOrder(id, sku),
    { concurrency: "unbounded" }
  )
  console.error(results.join("\n"))
  const state = yield* sdk.agentState
  const names: Record<number, string> = {
    [AgentState.ACTIVE]: "ACTIVE",
    [AgentState.TEMPORARILY_INACTIVE]: "TEMPORARILY_INACTIVE (the exporter is backing off)"
  }
  console.error(`agentState ${names[state] ?? state}`)
  return sdk
})

const sdk = await Effect.runPromise(
  program.pipe(
    Effect.provide(OneAgentSdk.layer({
      diagnosticCallback: (message) => console.error(`[diagnostic] ${message}`),
      exportInterval: 200
    }))
  )
)
// Read after the layer was released, so the flush is included.
const stats = await Effect.runPromise(sdk.stats)
console.error(
  `spans ended ${stats.spansEnded}, exported ${stats.spansExported}, ` +
    `dropped ${stats.spansDroppedExport + stats.spansDroppedBuffer}`
)
