/**
 * The OneAgentSdk service built over a Runtime: each method applies the rules in runtime.ts.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AgentState } from "../AgentState.ts"
import type * as Database from "../Database.ts"
import type * as Messaging from "../Messaging.ts"
import type * as WebRequest from "../WebRequest.ts"
import type { InitResult } from "../InitResult.ts"
import type {
  CustomAttributeValue,
  CustomServiceOptions,
  CustomServiceTracer,
  InProcessLink,
  InProcessLinkTracer,
  IncomingRemoteCallOptions,
  IncomingRemoteCallTracer,
  OutgoingRemoteCallOptions,
  OutgoingRemoteCallTracer
} from "../Tracers.ts"
import { Counter, Limit, Status } from "./codes.ts"
import { clip, type Engine, keyId, KeysFull } from "./engine.ts"
import {
  attributeKey,
  callSite,
  captureSite,
  CurrentSpan,
  misuse,
  notify,
  readArguments,
  report,
  type Runtime,
  type StartOptions,
  truncatedKey
} from "./runtime.ts"
import * as Families from "./families.ts"
import * as Templates from "./templates.ts"
import * as TraceContext from "./traceContext.ts"
import { currentTag, currentTraceState, messageTagNames, scoped, tagCarrier, webTagNames } from "./tracer.ts"

/** @internal Where the service keeps its runtime, for the combinators that only see the context. */
export const RuntimeKey: unique symbol = Symbol.for("effect-oneagent/Runtime") as never

/** @internal The service shape; documented on `OneAgentSdk.Service`. */
export interface Service {
  readonly [RuntimeKey]: Runtime
  readonly initResult: InitResult
  readonly agentState: Effect.Effect<AgentState>
  readonly agentFound: boolean
  readonly agentIsCompatible: boolean
  readonly agentVersionString: string
  readonly setDiagnosticCallback: (callback: ((message: string) => void) | undefined) => Effect.Effect<void>
  readonly setVerboseCallback: (callback: ((message: string) => void) | undefined) => Effect.Effect<void>
  readonly traceIncomingRemoteCall: (
    options: IncomingRemoteCallOptions
  ) => Effect.Effect<IncomingRemoteCallTracer, never, Scope.Scope>
  readonly traceOutgoingRemoteCall: (
    options: OutgoingRemoteCallOptions
  ) => Effect.Effect<OutgoingRemoteCallTracer, never, Scope.Scope>
  readonly traceCustomService: (options: CustomServiceOptions) => Effect.Effect<CustomServiceTracer, never, Scope.Scope>
  readonly createInProcessLink: Effect.Effect<InProcessLink>
  readonly traceInProcessLink: (link: InProcessLink) => Effect.Effect<InProcessLinkTracer, never, Scope.Scope>
  readonly addCustomRequestAttribute: (key: string, value: CustomAttributeValue) => Effect.Effect<void>
  readonly currentStringTag: Effect.Effect<string>
  /** The headers that carry the current span's tag (`traceparent`, `X-dynaTrace`) and the trace's `tracestate`. */
  readonly outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>>
  /** The message properties that carry it (`dtdTraceTagInfo`, `traceparent`) and the trace's `tracestate`. */
  readonly outgoingMessageProperties: Effect.Effect<Readonly<Record<string, string>>>
  readonly stats: Effect.Effect<Stats>
  readonly openSpans: Effect.Effect<ReadonlyArray<OpenSpan>>
  readonly createDatabaseInfo: (
    options: Database.DatabaseInfoOptions
  ) => Effect.Effect<Database.DatabaseInfo, never, Scope.Scope>
  readonly traceSqlDatabaseRequest: (
    info: Database.DatabaseInfo,
    statement: string
  ) => Effect.Effect<Database.SqlDatabaseRequestTracer, never, Scope.Scope>
  readonly createWebApplicationInfo: (
    options: WebRequest.WebApplicationInfoOptions
  ) => Effect.Effect<WebRequest.WebApplicationInfo, never, Scope.Scope>
  readonly traceIncomingWebRequest: (
    info: WebRequest.WebApplicationInfo,
    options: WebRequest.IncomingWebRequestOptions
  ) => Effect.Effect<WebRequest.IncomingWebRequestTracer, never, Scope.Scope>
  readonly traceOutgoingWebRequest: (
    options: WebRequest.OutgoingWebRequestOptions
  ) => Effect.Effect<WebRequest.OutgoingWebRequestTracer, never, Scope.Scope>
  readonly createMessagingSystemInfo: (
    options: Messaging.MessagingSystemInfoOptions
  ) => Effect.Effect<Messaging.MessagingSystemInfo, never, Scope.Scope>
  readonly traceOutgoingMessage: (
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.OutgoingMessageOptions
  ) => Effect.Effect<Messaging.OutgoingMessageTracer, never, Scope.Scope>
  readonly traceIncomingMessageReceive: (
    info: Messaging.MessagingSystemInfo
  ) => Effect.Effect<Messaging.IncomingMessageReceiveTracer, never, Scope.Scope>
  readonly traceIncomingMessageProcess: (
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.IncomingMessageProcessOptions
  ) => Effect.Effect<Messaging.IncomingMessageProcessTracer, never, Scope.Scope>
}

/** @internal Counts since the engine started; documented on `OneAgentSdk.Stats`. */
export interface Stats {
  readonly spansStarted: number
  readonly spansEnded: number
  readonly spansOpen: number
  readonly spansUnsampled: number
  readonly spansDroppedBuffer: number
  readonly attributesDropped: number
  readonly spansQueued: number
  readonly spansExported: number
  readonly spansDroppedExport: number
  readonly spansPendingExport: number
}

/** @internal */
export const emptyStats: Stats = {
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
export const statsOf = (engine: Engine): Stats => {
  const c = engine.counters
  const exported = engine.exportStats()
  return {
    spansStarted: c[Counter.Started]!,
    spansEnded: c[Counter.Ended]!,
    spansOpen: c[Counter.Open]!,
    spansUnsampled: c[Counter.Unsampled]!,
    spansDroppedBuffer: c[Counter.DroppedRing]!,
    attributesDropped: c[Counter.DroppedAttributes]!,
    spansQueued: exported.queued ?? c[Counter.Queued]!,
    spansExported: exported.exported,
    spansDroppedExport: exported.dropped,
    spansPendingExport: exported.pending
  }
}

/** @internal The start options of an in-process link tracer, or undefined (with a note) for an empty link. */
export const linkStart = (runtime: Runtime, link: InProcessLink, operation: string): StartOptions | undefined => {
  if (typeof link !== "object" || link === null || link._tag !== "InProcessLink") {
    misuse(runtime, `${operation}: expected an InProcessLink from createInProcessLink`)
    return undefined
  }
  if (link.handle > 0) return { template: Templates.inProcessLink, link }
  return link.context !== "" ? { template: Templates.inProcessLink, stringTag: link.context } : undefined
}

// Wall-clock nanoseconds with sub-millisecond precision, comparable with the engine's start times.
const nowNanos = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))

/** @internal A span started and not ended yet; documented on `OneAgentSdk.OpenSpan`. */
export interface OpenSpan {
  readonly name: string
  readonly startTime: bigint
  readonly ageMillis: number
  /** The application's stack frames where it was started, when `trackOpenSpans` is on. */
  readonly startedAt: string | undefined
}

/** @internal */
export const openSpansOf = (runtime: Runtime): ReadonlyArray<OpenSpan> => {
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

const currentCarrier = (runtime: Runtime, tagNames: ReadonlyArray<string>, operation: string) =>
  Effect.withFiber((fiber) => {
    const handle = TraceContext.currentHandle(runtime, fiber)
    return Effect.succeed(tagCarrier(currentTag(runtime, handle, operation), currentTraceState(runtime, handle), tagNames))
  })

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

/** @internal Adds a custom request attribute to the service call that `handle` belongs to. */
export const addCustomAttribute = (runtime: Runtime, handle: number | string, key: string, value: unknown): void => {
  const operation = "addCustomRequestAttribute"
  const engine = runtime.engine
  if (engine === undefined) return
  if (typeof key !== "string" || key === "" || (typeof value !== "string" && typeof value !== "number")) {
    misuse(runtime, `${operation}: expects a non-empty string key and an int, float or string value`)
    return
  }
  // An unsampled span kept without the engine: nothing of it is recorded.
  if (typeof handle === "string") return
  if (handle <= 0) {
    report(runtime, Status.NoServiceCall, operation)
    return
  }
  if (engine.closed) {
    report(runtime, Status.ShutDown, operation)
    return
  }
  const id = attributeKey(runtime, engine, key)
  if (id === KeysFull) return
  const status = engine.addon.span_service_attr(handle, id, value, Limit.Default)
  report(runtime, status, operation)
  const kept = clip(key, Limit.Default)
  if (status >= 0 && kept !== key) engine.addon.span_service_attr(handle, keyId(engine, truncatedKey), kept, Limit.Default)
}

/** @internal */
export const make = (
  runtime: Runtime,
  init: { readonly result: InitResult; readonly found: boolean; readonly compatible: boolean; readonly version: string },
  agentState: () => AgentState,
  stats: () => Stats
): Service => ({
  [RuntimeKey]: runtime,
  initResult: init.result,
  agentState: Effect.sync(agentState),
  agentFound: init.found,
  agentIsCompatible: init.compatible,
  agentVersionString: init.version,
  setDiagnosticCallback: (callback) => Effect.sync(() => void (runtime.callbacks.diagnostic = callback)),
  setVerboseCallback: (callback) => Effect.sync(() => void (runtime.callbacks.verbose = callback)),
  traceIncomingRemoteCall: (options) =>
    scopedOrNoop(runtime, "IncomingRemoteCallTracer", "traceIncomingRemoteCall", () => ({
      template: Templates.incomingRemoteCall(options),
      stringTag: options.stringTag,
      byteTag: options.byteTag,
      traceState: options.traceState
    })),
  traceOutgoingRemoteCall: (options) =>
    scopedOrNoop(runtime, "OutgoingRemoteCallTracer", "traceOutgoingRemoteCall", () => ({
      template: Templates.outgoingRemoteCall(options)
    })),
  traceCustomService: (options) =>
    scopedOrNoop(runtime, "CustomServiceTracer", "traceCustomService", () => ({
      template: Templates.customService(options)
    })),
  createInProcessLink: Effect.withFiber((fiber) => {
    // The innermost span, SDK tracer or Effect span: a link inside Effect.withSpan continues that span.
    const handle = TraceContext.currentHandle(runtime, fiber)
    const context = currentTag(runtime, handle, "createInProcessLink")
    if (context === "") {
      if (runtime.engine !== undefined) notify(runtime, "verbose", "createInProcessLink: no current trace; the link is empty")
      return Effect.succeed<InProcessLink>({ _tag: "InProcessLink", handle: 0, context: "" })
    }
    // An unsampled context has no handle: the link carries the context alone.
    return Effect.succeed<InProcessLink>({ _tag: "InProcessLink", handle: typeof handle === "number" ? handle : 0, context })
  }),
  traceInProcessLink: (link) =>
    scopedOrNoop(runtime, "InProcessLinkTracer", "traceInProcessLink", (op) => linkStart(runtime, link, op)),

  addCustomRequestAttribute: (key, value) =>
    Effect.withFiber((fiber) => {
      addCustomAttribute(runtime, fiber.getRef(CurrentSpan), key, value)
      return Effect.void
    }),
  currentStringTag: Effect.withFiber((fiber) =>
    Effect.succeed(currentTag(runtime, TraceContext.currentHandle(runtime, fiber), "currentStringTag"))
  ),
  outgoingHeaders: currentCarrier(runtime, webTagNames, "outgoingHeaders"),
  outgoingMessageProperties: currentCarrier(runtime, messageTagNames, "outgoingMessageProperties"),
  stats: Effect.sync(stats),
  openSpans: Effect.sync(() => openSpansOf(runtime)),
  createDatabaseInfo: Families.createDatabaseInfo,
  traceSqlDatabaseRequest: (info, statement) =>
    scopedOrNoop(runtime, "SqlDatabaseRequestTracer", "traceSqlDatabaseRequest", (op) =>
      Families.sqlStart(runtime, info, statement, op)),
  createWebApplicationInfo: Families.createWebApplicationInfo,
  traceIncomingWebRequest: (info, options) =>
    scopedOrNoop(runtime, "IncomingWebRequestTracer", "traceIncomingWebRequest", (op) =>
      Families.incomingWebStart(runtime, info, options, op)),
  traceOutgoingWebRequest: (options) =>
    scopedOrNoop(runtime, "OutgoingWebRequestTracer", "traceOutgoingWebRequest", () =>
      Families.outgoingWebStart(runtime, options)),
  createMessagingSystemInfo: Families.createMessagingSystemInfo,
  traceOutgoingMessage: (info, options) =>
    scopedOrNoop(runtime, "OutgoingMessageTracer", "traceOutgoingMessage", (op) =>
      Families.messagingStart(runtime, info, "send", op, options)),
  traceIncomingMessageReceive: (info) =>
    scopedOrNoop(runtime, "IncomingMessageReceiveTracer", "traceIncomingMessageReceive", (op) =>
      Families.messagingStart(runtime, info, "receive", op)),
  traceIncomingMessageProcess: (info, options) =>
    scopedOrNoop(runtime, "IncomingMessageProcessTracer", "traceIncomingMessageProcess", (op) =>
      Families.messagingStart(runtime, info, "process", op, options))
})

// Start options are computed inside the effect, so argument misuse is reported when the tracer is used.
const scopedOrNoop = <T>(
  runtime: Runtime,
  tag: string,
  operation: string,
  options: (operation: string) => StartOptions | undefined
): Effect.Effect<T, never, Scope.Scope> => {
  // Where the application asked for the tracer, before the arguments are read inside the effect.
  const site = captureSite()
  return Effect.suspend(() => {
    const start = readArguments(runtime, operation, () => options(operation))
    return start === undefined ? Effect.succeed(noopTracer<T>(tag)) : scoped<T>(runtime, tag, operation, start, site)
  })
}

/** @internal A tracer that records nothing, for starts that did not happen. */
export const noopTracer = <T>(tag: string): T =>
  ({
    _tag: tag,
    handle: 0,
    end: Effect.void,
    markFailed: () => Effect.void,
    outgoingStringTag: Effect.succeed(""),
    outgoingByteTag: Effect.succeed(new Uint8Array(0)),
    outgoingHeaders: Effect.succeed({}),
    outgoingProperties: Effect.succeed({}),
    setRowsReturned: () => Effect.void,
    setRoundTripCount: () => Effect.void,
    setStatusCode: () => Effect.void,
    addResponseHeaders: () => Effect.void,
    addParameter: () => Effect.void,
    setVendorMessageId: () => Effect.void,
    setCorrelationId: () => Effect.void
  }) as T
