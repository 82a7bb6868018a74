/**
 * The OneAgent SDK as an Effect service: acquire the layer to initialise the engine, trace with the tracer families'
 * combinators or scoped tracers, release the layer to flush and shut down.
 *
 * **Details**
 *
 * Each tracer family has its own module (`RemoteCall`, `CustomService`, `InProcessLink`, `RequestAttributes`,
 * `Database`, `WebRequest`, `Messaging`, `TraceContext`); the combinators are also statics of {@link OneAgentSdk}
 * under the seed's names (`OneAgentSdk.traceIncomingRemoteCall`), and the scoped tracers are methods of its service
 * (`sdk.traceIncomingRemoteCall`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type { AgentState } from "./AgentState.ts"
import * as CustomService from "./CustomService.ts"
import * as Database from "./Database.ts"
import type { ExportOptions } from "./ExportConfig.ts"
import * as InProcessLink from "./InProcessLink.ts"
import type { InitResult } from "./InitResult.ts"
import * as EffectTracer from "./internal/effectTracer.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { withSpanEvents } from "./internal/logEvents.ts"
import { checkOptions } from "./internal/options.ts"
import { RuntimeKey, ServiceKey } from "./internal/runtime.ts"
import type { ServiceImpl } from "./internal/service.ts"
import * as Messaging from "./Messaging.ts"
import * as RemoteCall from "./RemoteCall.ts"
import * as RequestAttributes from "./RequestAttributes.ts"
import type { Sampler } from "./Sampler.ts"
import * as TraceContext from "./TraceContext.ts"
import * as WebRequest from "./WebRequest.ts"

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
  /**
   * Finished spans buffered in native memory before drops are counted. Default 131,072: a burst of 10,000 requests
   * of 8 spans fits whole; a waiting span takes about 370 bytes.
   */
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
  /** The older name of {@link redactNames}, which it adds to (it now applies to parameters too). */
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  /**
   * More header, query parameter and request parameter names recorded as `[REDACTED]` (`REDACTED` in URLs), on top
   * of the default rule: names (case-insensitive) or RegExps (tested against the lower-case name). One rule serves
   * headers, `url.full`, `url.query`, parameters and failure text alike.
   *
   * The default rule always redacts Authorization, Proxy-Authorization, Cookie and Set-Cookie, and any name that
   * looks like a credential: one containing `token`, `secret`, `passw`, `pwd`, `credential`, `signature`,
   * `session`, `sessid`, `apikey`, `accesskey`, `privatekey`, `authoriz`, `authenticat`, `oauth`, `csrf`, `xsrf`
   * or `jwt` (ignoring case and separators), or with a whole word `auth`, `key`, `sig`, `sid`, `pass` or `otp`
   * (`X-Api-Key`, `X-Auth-Token`, `access_token`, `X-Amz-Credential`, `Signature`, `sig`). `WWW-Authenticate` and
   * `Proxy-Authenticate` are kept. See docs/security.md.
   */
  readonly redactNames?: ReadonlyArray<string | RegExp> | undefined
  /**
   * Names the default rule would redact that hold no secret and are recorded as they are (e.g.
   * `["x-idempotency-key"]`): names (case-insensitive) or RegExps (tested against the lower-case name). It never
   * keeps Authorization, Proxy-Authorization, Cookie, Set-Cookie or a name in {@link redactNames}.
   */
  readonly keepNames?: ReadonlyArray<string | RegExp> | undefined
  /**
   * The HTTP methods recorded by name (exact, after upper-casing); any other is recorded as
   * `http.request.method = "_OTHER"` with `http.request.method_original`, and its span is named `HTTP`, as
   * OpenTelemetry asks. It replaces the default list: CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE
   * and QUERY. Add a server's own methods here (e.g. WebDAV's PROPFIND); a method a client invents stays `_OTHER`,
   * so clients cannot make the SDK keep a span shape per method.
   */
  readonly knownHttpMethods?: ReadonlyArray<string> | undefined
  /** Record SQL statements with their literals replaced by `?` (off by default, like the seed). */
  readonly maskSqlLiterals?: boolean | undefined
}

/**
 * Counts since the engine started, read from memory shared with it (no call).
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Spans started, sampled or not (unsampled spans kept without the engine included). */
  readonly spansStarted: number
  readonly spansEnded: number
  /** Started and not ended. */
  readonly spansOpen: number
  /** Started unsampled: they propagate their context and record nothing. */
  readonly spansUnsampled: number
  /** Finished spans dropped because the buffer of finished spans was full (`bufferSize`). */
  readonly spansDroppedBuffer: number
  /**
   * Attributes past `maxAttributes` per span, `addParameter` values past a request's bounds, and header names
   * past the engine's bound for what no tracer bounds (docs/security.md).
   */
  readonly attributesDropped: number
  /** Finished spans waiting in the engine for export. */
  readonly spansQueued: number
  /** Spans the export target accepted (in a cluster worker: handed to the primary). */
  readonly spansExported: number
  /** Spans the export gave up on: rejected batches, retries exhausted, the shutdown deadline. */
  readonly spansDroppedExport: number
  /** Spans handed to the export and not yet exported or dropped. */
  readonly spansPendingExport: number
}

/**
 * A span started and not ended yet: a leaked tracer shows up here and in the shutdown diagnostic.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenSpan {
  readonly name: string
  /** Unix epoch nanoseconds. */
  readonly startTime: bigint
  readonly ageMillis: number
  /** The application's stack frames where it was started, when `trackOpenSpans` is on. */
  readonly startedAt: string | undefined
}

/**
 * The SDK service. Besides the seed's state, its methods are the scoped forms of the tracers (the seed's `with`
 * blocks): each returns a started tracer that is the current span for the rest of the scope and ends when the scope
 * closes, failed if the scope failed. Start a scoped tracer directly in the scope's own code: a combinator around it
 * that restores the fiber's context when it finishes (`Effect.fn("name")`, `Effect.withSpan`, ...) also takes back
 * "current span".
 *
 * @since 0.1.0
 * @category services
 */
export interface Service {
  /** The outcome of acquiring the layer, with the seed's status numbers. */
  readonly initResult: InitResult
  /** The current state: ACTIVE, TEMPORARILY_INACTIVE (the exporter backs off or drops), PERMANENTLY_INACTIVE, ... */
  readonly agentState: Effect.Effect<AgentState>
  /** The engine loaded. */
  readonly agentFound: boolean
  /** The engine's ABI matches this library. */
  readonly agentIsCompatible: boolean
  /** `"<library version>/<engine version>"`, followed by ` (wasm)` for the WebAssembly engine. */
  readonly agentVersionString: string
  /**
   * The engine that loaded: `"native"` (the binary for this platform), `"wasm"` (the WebAssembly engine, where no
   * binary loads or `ONEAGENT_ENGINE=wasm` chose it: the same tracing, with batches encoded on the application's
   * thread instead of an export thread), or `"none"` (none loaded: tracing is off, `initResult` says why).
   */
  readonly engine: "native" | "wasm" | "none"
  /** Replaces the diagnostic callback (API misuse, unexpected events); undefined turns it off. */
  readonly setDiagnosticCallback: (callback: ((message: string) => void) | undefined) => Effect.Effect<void>
  /** Replaces the verbose callback (also benign events); undefined turns it off. */
  readonly setVerboseCallback: (callback: ((message: string) => void) | undefined) => Effect.Effect<void>
  /** Starts an incoming remote call tracer in the current scope (see `RemoteCall.startIncoming`). */
  readonly traceIncomingRemoteCall: (
    options: RemoteCall.IncomingRemoteCallOptions
  ) => Effect.Effect<RemoteCall.IncomingRemoteCallTracer, never, Scope.Scope>
  /** Starts an outgoing remote call tracer in the current scope (see `RemoteCall.startOutgoing`). */
  readonly traceOutgoingRemoteCall: (
    options: RemoteCall.OutgoingRemoteCallOptions
  ) => Effect.Effect<RemoteCall.OutgoingRemoteCallTracer, never, Scope.Scope>
  /** Starts a custom service tracer in the current scope (see `CustomService.start`). */
  readonly traceCustomService: (
    options: CustomService.CustomServiceOptions
  ) => Effect.Effect<CustomService.CustomServiceTracer, never, Scope.Scope>
  /** A link to the current span, to continue its trace from another fiber or later (see `InProcessLink.make`). */
  readonly createInProcessLink: Effect.Effect<InProcessLink.InProcessLink>
  /** Starts an in-process link tracer in the current scope (see `InProcessLink.start`). */
  readonly traceInProcessLink: (
    link: InProcessLink.InProcessLink
  ) => Effect.Effect<InProcessLink.InProcessLinkTracer, never, Scope.Scope>
  /** Adds a custom request attribute to the current service call (see `RequestAttributes.add`). */
  readonly addCustomRequestAttribute: (key: string, value: RequestAttributes.CustomAttributeValue) => Effect.Effect<void>
  /** The W3C `traceparent` of the current span, "" outside a trace (see `TraceContext.currentStringTag`). */
  readonly currentStringTag: Effect.Effect<string>
  /** The headers that carry the current span's tag (`traceparent`, `X-dynaTrace`) and the trace's `tracestate`. */
  readonly outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>>
  /** The message properties that carry it (`dtdTraceTagInfo`, `traceparent`) and the trace's `tracestate`. */
  readonly outgoingMessageProperties: Effect.Effect<Readonly<Record<string, string>>>
  /** Counters since the engine started, read from memory shared with it. */
  readonly stats: Effect.Effect<Stats>
  /** Spans started and not ended yet, oldest first. */
  readonly openSpans: Effect.Effect<ReadonlyArray<OpenSpan>>
  /** Creates a database info object, released with the scope (see `Database.makeInfo`). */
  readonly createDatabaseInfo: (
    options: Database.DatabaseInfoOptions
  ) => Effect.Effect<Database.DatabaseInfo, never, Scope.Scope>
  /** Starts a SQL database request tracer in the current scope (see `Database.startSqlRequest`). */
  readonly traceSqlDatabaseRequest: (
    info: Database.DatabaseInfo,
    statement: string
  ) => Effect.Effect<Database.SqlDatabaseRequestTracer, never, Scope.Scope>
  /** Creates a web application info object, released with the scope (see `WebRequest.makeInfo`). */
  readonly createWebApplicationInfo: (
    options: WebRequest.WebApplicationInfoOptions
  ) => Effect.Effect<WebRequest.WebApplicationInfo, never, Scope.Scope>
  /** Starts an incoming web request tracer in the current scope (see `WebRequest.startIncoming`). */
  readonly traceIncomingWebRequest: (
    info: WebRequest.WebApplicationInfo,
    options: WebRequest.IncomingWebRequestOptions
  ) => Effect.Effect<WebRequest.IncomingWebRequestTracer, never, Scope.Scope>
  /** Starts an outgoing web request tracer in the current scope (see `WebRequest.startOutgoing`). */
  readonly traceOutgoingWebRequest: (
    options: WebRequest.OutgoingWebRequestOptions
  ) => Effect.Effect<WebRequest.OutgoingWebRequestTracer, never, Scope.Scope>
  /** Creates a messaging system info object, released with the scope (see `Messaging.makeInfo`). */
  readonly createMessagingSystemInfo: (
    options: Messaging.MessagingSystemInfoOptions
  ) => Effect.Effect<Messaging.MessagingSystemInfo, never, Scope.Scope>
  /** Starts an outgoing message tracer in the current scope (see `Messaging.startOutgoing`). */
  readonly traceOutgoingMessage: (
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.OutgoingMessageOptions
  ) => Effect.Effect<Messaging.OutgoingMessageTracer, never, Scope.Scope>
  /** Starts an incoming message receive tracer in the current scope (see `Messaging.startReceive`). */
  readonly traceIncomingMessageReceive: (
    info: Messaging.MessagingSystemInfo
  ) => Effect.Effect<Messaging.IncomingMessageReceiveTracer, never, Scope.Scope>
  /** Starts an incoming message process tracer in the current scope (see `Messaging.startProcess`). */
  readonly traceIncomingMessageProcess: (
    info: Messaging.MessagingSystemInfo,
    options?: Messaging.IncomingMessageProcessOptions
  ) => Effect.Effect<Messaging.IncomingMessageProcessTracer, never, Scope.Scope>
}

/**
 * The SDK service, with its layer and, as statics, the combinators of every tracer family under the seed's names.
 *
 * **Example** (Tracing a call and reading the state)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { InitResult, OneAgentSdk } from "effect-oneagent"
 *
 * const program = Effect.gen(function*() {
 *   const sdk = yield* OneAgentSdk
 *   yield* Effect.log("working").pipe(OneAgentSdk.traceCustomService({ method: "work", service: "Worker" }))
 *   return InitResult.isOk(sdk.initResult)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => true
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class OneAgentSdk extends Context.Service<OneAgentSdk, Service>()(ServiceKey) {
  /**
   * Initialises the engine on acquire (the result is `initResult`), and on release exports what is left and shuts
   * it down. Never fails: when the engine cannot load, every tracer is a no-op and `initResult.status` is -2 with
   * the reason. It also records Effect's own spans (`effectSpans`) and log lines (`logEvents`) in the same traces.
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
   * `RemoteCall.traceIncoming`: an incoming remote call tracer (SERVER span; may start a trace, or continue the
   * caller's from `stringTag` / `byteTag`).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingRemoteCall: typeof RemoteCall.traceIncoming = RemoteCall.traceIncoming

  /**
   * `RemoteCall.traceOutgoing`: an outgoing remote call tracer (CLIENT span); inside, `currentStringTag` gives the
   * tag to send.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingRemoteCall: typeof RemoteCall.traceOutgoing = RemoteCall.traceOutgoing

  /**
   * `CustomService.trace`: a custom service tracer (SERVER span, a service call of its own).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceCustomService: typeof CustomService.trace = CustomService.trace

  /**
   * `InProcessLink.trace`: an in-process link tracer, which continues the trace the link was created in.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceInProcessLink: typeof InProcessLink.trace = InProcessLink.trace

  /**
   * `InProcessLink.make`: a link to the current span, to continue its trace from another fiber or later.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly createInProcessLink: typeof InProcessLink.make = InProcessLink.make

  /**
   * `RequestAttributes.add`: a custom request attribute on the service call the current fiber runs in.
   *
   * @since 0.1.0
   * @category attributes
   */
  static readonly addCustomRequestAttribute: typeof RequestAttributes.add = RequestAttributes.add

  /**
   * `TraceContext.currentStringTag`: the W3C `traceparent` of the current span ("" outside a trace).
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly currentStringTag: typeof TraceContext.currentStringTag = TraceContext.currentStringTag

  /**
   * `TraceContext.current`: the current fiber's trace context (trace id, span id, sampled, valid or not).
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly currentTraceContext: typeof TraceContext.current = TraceContext.current

  /**
   * `Database.makeInfo`: a database info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createDatabaseInfo: typeof Database.makeInfo = Database.makeInfo

  /**
   * `Database.traceSqlRequest`: a SQL database request tracer (CLIENT span, only inside another trace).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceSqlDatabaseRequest: typeof Database.traceSqlRequest = Database.traceSqlRequest

  /**
   * `WebRequest.makeInfo`: a web application info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createWebApplicationInfo: typeof WebRequest.makeInfo = WebRequest.makeInfo

  /**
   * `WebRequest.traceIncoming`: an incoming web request tracer (SERVER span, a service call).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingWebRequest: typeof WebRequest.traceIncoming = WebRequest.traceIncoming

  /**
   * `WebRequest.traceOutgoing`: an outgoing web request tracer (CLIENT span).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingWebRequest: typeof WebRequest.traceOutgoing = WebRequest.traceOutgoing

  /**
   * `WebRequest.outgoingHeaders`: the headers that carry the current span's tag.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly outgoingHeaders: typeof WebRequest.outgoingHeaders = WebRequest.outgoingHeaders

  /**
   * `Messaging.outgoingProperties`: the message properties that carry the current span's tag.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly outgoingMessageProperties: typeof Messaging.outgoingProperties = Messaging.outgoingProperties

  /**
   * `Messaging.makeInfo`: a messaging system info object, released with the scope.
   *
   * @since 0.1.0
   * @category info objects
   */
  static readonly createMessagingSystemInfo: typeof Messaging.makeInfo = Messaging.makeInfo

  /**
   * `Messaging.traceOutgoing`: an outgoing message tracer (PRODUCER span).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingMessage: typeof Messaging.traceOutgoing = Messaging.traceOutgoing

  /**
   * `Messaging.traceReceive`: an incoming message receive tracer (CONSUMER span, only inside another trace).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingMessageReceive: typeof Messaging.traceReceive = Messaging.traceReceive

  /**
   * `Messaging.traceProcess`: an incoming message process tracer (CONSUMER span, a service call).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingMessageProcess: typeof Messaging.traceProcess = Messaging.traceProcess
}

// internal

// Effect's own spans (Effect.withSpan, effect/http, effect/sql) recorded by the engine, in the same traces.
const tracerLayer = Layer.effect(Tracer.Tracer)(
  OneAgentSdk.use((sdk) => Effect.succeed(EffectTracer.make((sdk as ServiceImpl)[RuntimeKey])))
)

// Log lines become events of the innermost span, SDK tracers' included (in place of Effect's tracer logger, which
// knows only Effect spans).
const logEventsLayer = Layer.effect(Logger.CurrentLoggers)(
  OneAgentSdk.use((sdk) =>
    Effect.withFiber((fiber) =>
      Effect.succeed(withSpanEvents(fiber.getRef(Logger.CurrentLoggers), (sdk as ServiceImpl)[RuntimeKey]))
    )
  )
)

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
