/**
 * The OneAgent SDK as an Effect service: acquire the layer to initialise the engine, trace with scoped
 * tracers or with combinators, release the layer to flush and shut down.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type { AgentState } from "./AgentState.ts"
import type * as Database from "./Database.ts"
import type { ExportOptions } from "./ExportConfig.ts"
import type { InitResult } from "./InitResult.ts"
import type { Sampler } from "./Sampler.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { withSpanEvents } from "./internal/logEvents.ts"
import { checkOptions } from "./internal/options.ts"
import * as EffectSpan from "./internal/effectSpan.ts"
import * as Families from "./internal/families.ts"
import * as TraceContext from "./internal/traceContext.ts"
import {
  CurrentSpan,
  describeFailure,
  notify,
  readArguments,
  type Runtime,
  setAttribute,
  type StartOptions
} from "./internal/runtime.ts"
import * as ServiceImpl from "./internal/service.ts"
import * as Templates from "./internal/templates.ts"
import { addResponseHeadersUnsafe, setStatusCodeUnsafe, traced } from "./internal/tracer.ts"
import * as Messaging from "./Messaging.ts"
import * as WebRequest from "./WebRequest.ts"
import type {
  CustomAttributeValue,
  CustomServiceOptions,
  InProcessLink,
  IncomingRemoteCallOptions,
  OutgoingRemoteCallOptions,
  TraceContextInfo
} from "./Tracers.ts"

/**
 * Options of {@link OneAgentSdk.layer}. Like the seed's `initialize`, they apply to the first layer that
 * initialises the engine in this process; later layers share it (`InitResult.status === 2`).
 *
 * @since 0.1.0
 * @category options
 */
export interface Options extends DataOptions {
  /** Called on API misuse and unexpected events (dropped spans, export failures). A development aid. */
  readonly diagnosticCallback?: ((message: string) => void) | undefined
  /** Also called on benign events (span not created by rule, malformed incoming tag, ...). */
  readonly verboseCallback?: ((message: string) => void) | undefined
  /**
   * Which traces are recorded. Default: `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, else
   * `parentbased_always_on`.
   */
  readonly sampler?: Sampler | undefined
  /**
   * Remember where each span was started (a few stack frames), for `openSpans` and the shutdown report
   * of spans never ended. Costs a stack capture per span; default off (on in the test layer).
   */
  readonly trackOpenSpans?: boolean | undefined
  /** Finished spans buffered in native memory before drops are counted. Default 65,536. */
  readonly bufferSize?: number | undefined
  /** Attributes kept per span; more are counted as dropped. Default 128. */
  readonly maxAttributes?: number | undefined
  /** Print each finished trace as a tree to stderr. Default: the `ONEAGENT_CONSOLE` variable. */
  readonly console?: boolean | undefined
  /** `"finest"` logs every diagnostic and verbose message to stderr (seed: `loglevelsdk=finest`). Default: `ONEAGENT_SDK_LOG`. */
  readonly logLevel?: "off" | "finest" | undefined
  /** Load the engine from this `.node` file instead of the package's `prebuilds/` (bundlers). */
  readonly nativeModulePath?: string | undefined
  /**
   * Where spans go: an OTLP/HTTP receiver, Dynatrace, or the default OTLP/JSON lines file. Unset fields
   * come from the `OTEL_*` and `DT_*` environment variables.
   */
  readonly export?: ExportOptions | undefined
  /**
   * Record Effect's own spans (`Effect.withSpan`, effect/http, effect/sql) in the engine, so they and the
   * SDK's tracers nest in one trace. Default true; false keeps whatever Tracer the application provides.
   */
  readonly effectSpans?: boolean | undefined
  /**
   * Record each log line inside an SDK tracer as an event of its span, as Effect does for its own spans. Default
   * true.
   */
  readonly logEvents?: boolean | undefined
  /** How often the export thread sends what has ended, in milliseconds. Default 1000. */
  readonly exportInterval?: number | undefined
  /**
   * Forkable mode for Node's `cluster` (seed: `initialize(forkable=True)` for pre-fork servers). In the primary,
   * `forkable: true` turns tracing off there (calls are ignored, `agentState` is PERMANENTLY_INACTIVE) and runs the
   * one export target for all workers; initialise it before `cluster.fork()`. Workers forked afterwards know from
   * their environment (`ONEAGENT_FORKABLE`): they trace, encode, and post their batches to the primary over the
   * cluster IPC channel instead of exporting themselves, so they start fast and hold no exporter. In a worker,
   * `stats.spansExported` counts spans handed to the primary; the primary's `stats` count what reached the target.
   * `forkable: false` makes a worker export on its own. The primary's export options apply to the target; a
   * worker's options still give its resource (`service.name`, `process.pid`, ...).
   */
  readonly forkable?: boolean | undefined
}

/**
 * Options of {@link OneAgentSdk.layer} about sensitive data.
 *
 * @since 0.1.0
 * @category options
 */
export interface DataOptions {
  /** Which request and response headers are recorded: `"all"` (default), `"none"`, or these names. */
  readonly captureHeaders?: "all" | "none" | ReadonlyArray<string> | undefined
  /** Headers recorded as `[REDACTED]`, besides Authorization, Proxy-Authorization, Cookie and Set-Cookie. */
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  /** Record SQL statements with their literals replaced by `?` (off by default, like the seed). */
  readonly maskSqlLiterals?: boolean | undefined
}

/**
 * Counts since the engine started, read from memory shared with it (no call).
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats extends ServiceImpl.Stats {}

/**
 * A span started and not ended yet: a leaked tracer shows up here and in the shutdown diagnostic.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenSpan extends ServiceImpl.OpenSpan {}

/**
 * The SDK service. Its methods are the scoped forms of the tracers: each returns a started tracer that
 * is the current span for the rest of the scope and ends when the scope closes, failed if the scope
 * failed.
 *
 * @since 0.1.0
 * @category services
 */
export interface Service extends ServiceImpl.Service {}

/**
 * @since 0.1.0
 * @category services
 */
export class OneAgentSdk extends Context.Service<OneAgentSdk, Service>()("effect-oneagent/OneAgentSdk") {
  /**
   * Initialises the engine on acquire (the result is `initResult`), and on release collects what is left
   * and shuts it down. Never fails: when the engine cannot load, every tracer is a no-op and
   * `initResult.status` is -2 with the reason.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: Options = {}): Layer.Layer<OneAgentSdk> => {
    const checked = checkOptions(options)
    const sdk = Layer.effect(OneAgentSdk)(Lifecycle.acquire(checked, false, { _tag: "Export" }))
    const withLogEvents = checked.options.logEvents === false ? sdk : logEventsLayer.pipe(Layer.provideMerge(sdk))
    return checked.options.effectSpans === false ? withLogEvents : tracerLayer.pipe(Layer.provideMerge(withLogEvents))
  }

  /**
   * Wraps an effect in an incoming remote call tracer (SERVER span; may start a trace, or continue the
   * caller's from `stringTag` / `byteTag`). Custom request attributes inside it land on it.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingRemoteCall: {
    (options: IncomingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: IncomingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: IncomingRemoteCallOptions) =>
    tracedOnce(self, "traceIncomingRemoteCall", () => ({
      template: Templates.incomingRemoteCall(options),
      stringTag: options.stringTag,
      byteTag: options.byteTag,
      traceState: options.traceState
    })))

  /**
   * Wraps an effect in an outgoing remote call tracer (CLIENT span). Inside, {@link OneAgentSdk.currentStringTag}
   * gives the tag to send.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingRemoteCall: {
    (options: OutgoingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingRemoteCallOptions) =>
    tracedOnce(self, "traceOutgoingRemoteCall", () => ({ template: Templates.outgoingRemoteCall(options) })))

  /**
   * Wraps an effect in a custom service tracer (SERVER span, a service call of its own).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceCustomService: {
    (options: CustomServiceOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomServiceOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomServiceOptions) =>
    tracedOnce(self, "traceCustomService", () => ({ template: Templates.customService(options) })))

  /**
   * Wraps an effect in an in-process link tracer: it continues the trace the link was created in, from
   * any fiber and at any later time while the link's scope is open. An empty link traces nothing.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceInProcessLink: {
    (link: InProcessLink): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink) =>
    tracedWith(self, "traceInProcessLink", (runtime) => ServiceImpl.linkStart(runtime, link, "traceInProcessLink")))

  /**
   * Adds a custom request attribute to the service call the current fiber runs in (the nearest incoming
   * remote call, custom service, incoming web request or message process). Repeated keys keep all values.
   *
   * @since 0.1.0
   * @category attributes
   */
  static readonly addCustomRequestAttribute = (
    key: string,
    value: CustomAttributeValue
  ): Effect.Effect<void, never, OneAgentSdk> =>
    Effect.withFiber((fiber) => {
      ServiceImpl.addCustomAttribute(runtimeOf(fiber.context), fiber.getRef(CurrentSpan), key, value)
      return Effect.void
    })

  /**
   * The W3C `traceparent` of the current span ("" outside a trace): the tag to send with an outgoing call.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly currentStringTag: Effect.Effect<string, never, OneAgentSdk> = OneAgentSdk.use((sdk) =>
    sdk.currentStringTag
  )

  /**
   * The current fiber's trace context (trace id, span id, sampled, valid or not): the innermost SDK
   * tracer or Effect span. For log correlation and for handing ids to untraced systems.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly currentTraceContext: Effect.Effect<TraceContextInfo, never, OneAgentSdk> = Effect.withFiber((fiber) => {
    const runtime = runtimeOf(fiber.context)
    return Effect.succeed(TraceContext.of(runtime, TraceContext.currentHandle(runtime, fiber)))
  })

  /**
   * Creates an in-process link to the current span, to continue its trace from another fiber or later.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly createInProcessLink: Effect.Effect<InProcessLink, never, OneAgentSdk> = OneAgentSdk.use((sdk) =>
    sdk.createInProcessLink
  )

  /**
   * Creates a database info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createDatabaseInfo = (
    options: Database.DatabaseInfoOptions
  ): Effect.Effect<Database.DatabaseInfo, never, OneAgentSdk | Scope.Scope> =>
    OneAgentSdk.use((sdk) => sdk.createDatabaseInfo(options))

  /**
   * Wraps an effect in a SQL database request tracer (CLIENT span with `db.query.text`). Recorded only
   * inside another trace. `rowsReturned` / `roundTripCount` derive end data from the result.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceSqlDatabaseRequest: {
    <A = unknown>(
      info: Database.DatabaseInfo,
      statement: string,
      options?: Database.SqlDatabaseRequestOptions<A>
    ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
    <A, E, R>(
      self: Effect.Effect<A, E, R>,
      info: Database.DatabaseInfo,
      statement: string,
      options?: Database.SqlDatabaseRequestOptions<A>
    ): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(isEffectFirst, <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: Database.DatabaseInfo,
    statement: string,
    options?: Database.SqlDatabaseRequestOptions<A>
  ) => {
    const operation = "traceSqlDatabaseRequest"
    return tracedWith(self, operation, (runtime) => Families.sqlStart(runtime, info, statement, operation),
      options === undefined ? undefined : (runtime, handle, value) => {
        const rows = derive(runtime, operation, () => options.rowsReturned, value)
        if (rows !== undefined) setAttribute(runtime, handle, "db.response.returned_rows", rows, operation)
        const trips = derive(runtime, operation, () => options.roundTripCount, value)
        if (trips !== undefined) setAttribute(runtime, handle, "oneagent.db.round_trip_count", trips, operation)
      })
  })

  /**
   * Creates a web application info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createWebApplicationInfo = (
    options: WebRequest.WebApplicationInfoOptions
  ): Effect.Effect<WebRequest.WebApplicationInfo, never, OneAgentSdk | Scope.Scope> =>
    OneAgentSdk.use((sdk) => sdk.createWebApplicationInfo(options))

  /**
   * Wraps an effect in an incoming web request tracer (SERVER span, a service call). A `traceparent` or
   * `X-dynaTrace` request header continues the caller's trace. `statusCode` / `responseHeaders` derive
   * the response from the result; a 5xx marks the span failed, a 4xx does not.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingWebRequest: {
    <A = unknown>(
      info: WebRequest.WebApplicationInfo,
      options: WebRequest.IncomingWebRequestOptions<A>
    ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
    <A, E, R>(
      self: Effect.Effect<A, E, R>,
      info: WebRequest.WebApplicationInfo,
      options: WebRequest.IncomingWebRequestOptions<A>
    ): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(3, <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: WebRequest.WebApplicationInfo,
    options: WebRequest.IncomingWebRequestOptions<A>
  ) => {
    const operation = "traceIncomingWebRequest"
    return tracedWith(self, operation, (runtime) => Families.incomingWebStart(runtime, info, options, operation),
      webResponse(options, "IncomingWebRequestTracer", operation))
  })

  /**
   * Wraps an effect in an outgoing web request tracer (CLIENT span). Inside, {@link OneAgentSdk.outgoingHeaders}
   * gives the headers to send. A status code ≥ 400 marks the span failed.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingWebRequest: {
    <A = unknown>(
      options: WebRequest.OutgoingWebRequestOptions<A>
    ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
    <A, E, R>(
      self: Effect.Effect<A, E, R>,
      options: WebRequest.OutgoingWebRequestOptions<A>
    ): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: WebRequest.OutgoingWebRequestOptions<A>) => {
    const operation = "traceOutgoingWebRequest"
    return tracedWith(self, operation, (runtime) => Families.outgoingWebStart(runtime, options),
      webResponse(options, "OutgoingWebRequestTracer", operation))
  })

  /**
   * The headers that carry the current span's tag: `traceparent` and `X-dynaTrace`, and the trace's `tracestate` when it
   * has one (empty outside a trace).
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>, never, OneAgentSdk> = OneAgentSdk
    .use((sdk) => sdk.outgoingHeaders)

  /**
   * The message properties that carry the current span's tag: `dtdTraceTagInfo` and `traceparent`, and the trace's
   * `tracestate` when it has one.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly outgoingMessageProperties: Effect.Effect<Readonly<Record<string, string>>, never, OneAgentSdk> =
    OneAgentSdk.use((sdk) => sdk.outgoingMessageProperties)

  /**
   * Creates a messaging system info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createMessagingSystemInfo = (
    options: Messaging.MessagingSystemInfoOptions
  ): Effect.Effect<Messaging.MessagingSystemInfo, never, OneAgentSdk | Scope.Scope> =>
    OneAgentSdk.use((sdk) => sdk.createMessagingSystemInfo(options))

  /**
   * Wraps sending a message in an outgoing message tracer (PRODUCER span). Inside,
   * {@link OneAgentSdk.outgoingMessageProperties} gives the properties to add to the message.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingMessage: {
    (
      info: Messaging.MessagingSystemInfo,
      options?: Messaging.OutgoingMessageOptions
    ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(
      self: Effect.Effect<A, E, R>,
      info: Messaging.MessagingSystemInfo,
      options?: Messaging.OutgoingMessageOptions
    ): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(isEffectFirst, <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.OutgoingMessageOptions
  ) =>
    tracedWith(self, "traceOutgoingMessage", (runtime) =>
      Families.messagingStart(runtime, info, "send", "traceOutgoingMessage", options)))

  /**
   * Wraps a blocking receive in an incoming message receive tracer (CONSUMER span). Recorded only
   * inside another trace.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingMessageReceive: {
    (info: Messaging.MessagingSystemInfo): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, info: Messaging.MessagingSystemInfo): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, info: Messaging.MessagingSystemInfo) =>
    tracedWith(self, "traceIncomingMessageReceive", (runtime) =>
      Families.messagingStart(runtime, info, "receive", "traceIncomingMessageReceive")))

  /**
   * Wraps processing one message in an incoming message process tracer (CONSUMER span, a service call)
   * that continues the sender's trace from the message's `dtdTraceTagInfo` / `traceparent` property.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingMessageProcess: {
    (
      info: Messaging.MessagingSystemInfo,
      options?: Messaging.IncomingMessageProcessOptions
    ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(
      self: Effect.Effect<A, E, R>,
      info: Messaging.MessagingSystemInfo,
      options?: Messaging.IncomingMessageProcessOptions
    ): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(isEffectFirst, <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.IncomingMessageProcessOptions
  ) =>
    tracedWith(self, "traceIncomingMessageProcess", (runtime) =>
      Families.messagingStart(runtime, info, "process", "traceIncomingMessageProcess", options)))
}

// Combinators whose start options depend on the runtime (data settings, info objects) build them per run.
const tracedWith = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  operation: string,
  options: (runtime: Runtime) => StartOptions | undefined,
  onSuccess?: (runtime: Runtime, handle: number, value: A) => void
): Effect.Effect<A, E, R | OneAgentSdk> =>
  Effect.withFiber<A, E, R>((fiber) => {
    const runtime = runtimeOf(fiber.context)
    const start = readArguments(runtime, operation, () => options(runtime))
    return start === undefined ? self : traced(self, () => runtime, operation, start, onSuccess)
  })

// Combinators whose start options depend only on their arguments build them once, when applied. Arguments that
// cannot be read (undefined options, a throwing getter) are reported each time the effect runs, which runs untraced.
const tracedOnce = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  operation: string,
  options: () => StartOptions
): Effect.Effect<A, E, R | OneAgentSdk> => {
  let start: StartOptions
  try {
    start = options()
  } catch (error) {
    return tracedWith(self, operation, () => {
      throw error
    })
  }
  return traced(self, runtimeOf, operation, start)
}

// The data-first test of combinators with optional arguments; a hostile first argument (a Proxy whose `has` trap
// throws) is data-last, so the misuse is reported when the effect runs instead of thrown here. A declaration, as
// the class's static fields use it before this point of the module runs.
function isEffectFirst(args: IArguments): boolean {
  try {
    return Effect.isEffect(args[0])
  } catch {
    return false
  }
}

// Derives end data from a success value with the user's function; reading the option (null options from untyped
// callers) or calling it may throw anything, even a value without toString: reported, never raised.
const derive = <A, B>(
  runtime: Runtime,
  operation: string,
  option: () => ((a: A) => B) | undefined,
  value: A
): B | undefined => {
  try {
    const f = option()
    return f === undefined ? undefined : f(value)
  } catch (error) {
    const failure = describeFailure(error)
    notify(runtime, "diagnostic", `${operation}: deriving end data failed: ${failure.type}: ${failure.message}`)
    return undefined
  }
}

const webResponse = <A>(
  options: { readonly statusCode?: ((a: A) => number) | undefined; readonly responseHeaders?: ((a: A) => WebRequest.Headers) | undefined },
  tag: string,
  operation: string
) =>
(runtime: Runtime, handle: number, value: A) => {
  const code = derive(runtime, operation, () => options.statusCode, value)
  if (code !== undefined) setStatusCodeUnsafe(runtime, handle, code, tag, operation)
  const headers = derive(runtime, operation, () => options.responseHeaders, value)
  if (headers !== undefined) addResponseHeadersUnsafe(runtime, handle, headers, operation)
}

// Effect's own spans (Effect.withSpan, effect/http, effect/sql) recorded by the engine, in the same traces.
const tracerLayer = Layer.effect(Tracer.Tracer)(
  OneAgentSdk.use((sdk) => Effect.succeed(EffectSpan.make(sdk[ServiceImpl.RuntimeKey])))
)

// Log lines become events of the innermost span, SDK tracers' included (in place of Effect's tracer logger, which
// knows only Effect spans).
const logEventsLayer = Layer.effect(Logger.CurrentLoggers)(
  OneAgentSdk.use((sdk) =>
    Effect.withFiber((fiber) =>
      Effect.succeed(withSpanEvents(fiber.getRef(Logger.CurrentLoggers), sdk[ServiceImpl.RuntimeKey]))
    )
  )
)

const runtimeOf = (context: Context.Context<never>): Runtime =>
  Context.getUnsafe(context as Context.Context<OneAgentSdk>, OneAgentSdk)[ServiceImpl.RuntimeKey]

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  AgentState,
  /**
   * @since 0.1.0
   * @category models
   */
  InitResult
}
