/**
 * The SDK service object of one layer, built over its Runtime: the seed's state, the scoped forms of every tracer
 * (each delegating to its family), the current span's tags, and the counters.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { AgentState } from "../AgentState.ts"
import type { InitResult } from "../InitResult.ts"
import type * as OneAgentSdk from "../OneAgentSdk.ts"
import { Counter } from "./codes.ts"
import * as CustomService from "./customService.ts"
import * as Database from "./database.ts"
import { callSite, notify } from "./diagnostics.ts"
import type { Engine } from "./engine.ts"
import type { ExportCounts } from "./exporter.ts"
import * as InProcessLink from "./inProcessLink.ts"
import * as Messaging from "./messaging.ts"
import * as RemoteCall from "./remoteCall.ts"
import * as RequestAttributes from "./requestAttributes.ts"
import { type Runtime, RuntimeKey } from "./runtime.ts"
import * as Span from "./span.ts"
import * as Tracer from "./tracer.ts"
import * as WebRequest from "./webRequest.ts"

/** @internal The service object: the public shape, plus its runtime under a symbol the public type does not show. */
export type ServiceImpl = OneAgentSdk.Service & { readonly [RuntimeKey]: Runtime }

/** @internal */
export const emptyStats: OneAgentSdk.Stats = {
  spansStarted: 0,
  spansEnded: 0,
  spansOpen: 0,
  spansUnsampled: 0,
  spansDroppedBuffer: 0,
  attributesDropped: 0,
  spansQueued: 0,
  spansExported: 0,
  spansDroppedExport: 0,
  spansPendingExport: 0
}

/** @internal Reads the shared counters: no call into the engine. */
export const statsOf = (engine: Engine, exported: ExportCounts): OneAgentSdk.Stats => {
  const c = engine.counters
  return {
    spansStarted: c[Counter.Started]!,
    spansEnded: c[Counter.Ended]!,
    spansOpen: c[Counter.Open]!,
    spansUnsampled: c[Counter.Unsampled]!,
    spansDroppedBuffer: c[Counter.DroppedRing]!,
    attributesDropped: c[Counter.DroppedAttributes]!,
    spansQueued: exported.queued,
    spansExported: exported.exported,
    spansDroppedExport: exported.dropped,
    spansPendingExport: exported.pending
  }
}

// Wall-clock nanoseconds with sub-millisecond precision, comparable with the engine's start times.
const nowNanos = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))

/** @internal The open spans of the runtime's engine, oldest first. */
export const openSpansOf = (runtime: Runtime): ReadonlyArray<OneAgentSdk.OpenSpan> => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed) return []
  const now = nowNanos()
  return engine.addon.spans_open().map(([handle, name, startNs]) => ({
    name,
    startTime: startNs,
    ageMillis: Math.max(0, Number(now - startNs) / 1e6),
    startedAt: siteOf(runtime, handle)
  }))
}

const siteOf = (runtime: Runtime, handle: number): string | undefined => {
  const site = runtime.starts?.get(handle)
  return site === undefined ? undefined : callSite(site)
}

/** @internal The open-span report of shutdown: one diagnostic naming every span that was never ended. */
export const reportOpenSpans = (
  runtime: Runtime,
  open: ReadonlyArray<[handle: number, name: string, startNs: bigint]>
): void => {
  const now = nowNanos()
  const lines = open.slice(0, 50).map(([handle, name, startNs]) => {
    const where = siteOf(runtime, handle)
    return `  ${name} (open ${Math.max(0, Number(now - startNs) / 1e6).toFixed(0)} ms)` +
      (where === undefined ? "" : `\n    started ${where.split("\n").join("\n    ")}`)
  })
  const more = open.length > 50 ? `\n  ... and ${open.length - 50} more` : ""
  notify(runtime, "diagnostic", `shutdown: ${open.length} span(s) were never ended and are lost:\n${lines.join("\n")}${more}`)
}

/** @internal What a layer learned when it loaded and initialised the engine. */
export interface Init {
  readonly result: InitResult
  readonly found: boolean
  readonly compatible: boolean
  readonly version: string
  readonly engine: "native" | "wasm" | "none"
}

/** @internal */
export const make = (
  runtime: Runtime,
  init: Init,
  agentState: () => AgentState,
  stats: () => OneAgentSdk.Stats
): ServiceImpl => ({
  [RuntimeKey]: runtime,
  initResult: init.result,
  agentState: Effect.sync(agentState),
  agentFound: init.found,
  agentIsCompatible: init.compatible,
  agentVersionString: init.version,
  engine: init.engine,
  setDiagnosticCallback: (callback) => Effect.sync(() => void (runtime.callbacks.diagnostic = callback)),
  setVerboseCallback: (callback) => Effect.sync(() => void (runtime.callbacks.verbose = callback)),
  traceIncomingRemoteCall: (options) => RemoteCall.incoming(runtime, options),
  traceOutgoingRemoteCall: (options) => RemoteCall.outgoing(runtime, options),
  traceCustomService: (options) => CustomService.scoped(runtime, options),
  createInProcessLink: InProcessLink.create(runtime),
  traceInProcessLink: (link) => InProcessLink.scoped(runtime, link),
  addCustomRequestAttribute: (key, value) => RequestAttributes.addIn(runtime, key, value),
  currentStringTag: Effect.withFiber((fiber) =>
    Effect.succeed(Span.currentTag(runtime, Span.innermost(runtime, fiber), "currentStringTag"))
  ),
  outgoingHeaders: Tracer.currentCarrier(() => runtime, WebRequest.tagNames, "outgoingHeaders"),
  outgoingMessageProperties: Tracer.currentCarrier(() => runtime, Messaging.tagNames, "outgoingMessageProperties"),
  stats: Effect.sync(stats),
  openSpans: Effect.sync(() => openSpansOf(runtime)),
  createDatabaseInfo: Database.createInfo,
  traceSqlDatabaseRequest: (info, statement) => Database.scoped(runtime, info, statement),
  createWebApplicationInfo: WebRequest.createInfo,
  traceIncomingWebRequest: (info, options) => WebRequest.incoming(runtime, info, options),
  traceOutgoingWebRequest: (options) => WebRequest.outgoing(runtime, options),
  createMessagingSystemInfo: Messaging.createInfo,
  traceOutgoingMessage: (info, options) => Messaging.scoped(runtime, info, "send", options),
  traceIncomingMessageReceive: (info) => Messaging.scoped(runtime, info, "receive"),
  traceIncomingMessageProcess: (info, options) => Messaging.scoped(runtime, info, "process", options)
})
