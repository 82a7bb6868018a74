/**
 * effect/http integrations: a server middleware that traces every incoming request with the incoming web
 * request tracer, and an `HttpClient` wrapper that traces every outgoing request with the outgoing web
 * request tracer and sends its tag (`traceparent` and `X-dynaTrace`, with the trace's `tracestate`).
 *
 * **Details**
 *
 * Both replace effect/http's own HTTP spans for the requests they trace, so a request is one SERVER span
 * (a service call, named `GET /orders/:id` once the router matched) and a call is one CLIENT span:
 *
 * - The client wrapper turns effect/http's client span off for the requests it traces by itself.
 * - effect/http's server span is opened outside every middleware, before ours runs, so it is turned off
 *   with a layer: provide {@link layerServerTracerDisabled} to the server. Left on, it stays the parent
 *   of ours (the diagnostic callback says so once).
 *
 * Inside the middleware the request span is also Effect's current span: `Effect.withSpan`, log lines,
 * `Effect.annotateCurrentSpan` and the router's `http.route` land on it.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { constTrue, dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Tracer from "effect/Tracer"
import {
  Cookies,
  Headers,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpMiddleware,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
  Url,
  UrlParams
} from "effect/http"
import { notify, report } from "./internal/diagnostics.ts"
import { EngineSpan, idsOf } from "./internal/effectTracer.ts"
import { REDACTED } from "./internal/redaction.ts"
import { type Runtime, runtimeOf } from "./internal/runtime.ts"
import * as Span from "./internal/span.ts"
import { CurrentSpan, currentSpanOf, type SpanRef } from "./internal/spanRef.ts"
import * as Web from "./internal/webRequest.ts"
import { OneAgentSdk } from "./OneAgentSdk.ts"
import * as WebRequest from "./WebRequest.ts"

/**
 * An effect/http middleware that traces the requests of the app it wraps; it needs {@link OneAgentSdk}
 * in the server's context.
 *
 * @since 0.1.0
 * @category models
 */
export interface Middleware {
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E,
    R | HttpServerRequest.HttpServerRequest | OneAgentSdk
  >
}

/**
 * Traces every request of an effect/http app with the incoming web request tracer: a SERVER span and a
 * service call, continuing the caller's trace from `traceparent` or `X-dynaTrace`.
 *
 * **When to use**
 *
 * As the server's middleware (`HttpRouter.serve(app, { middleware })`, `HttpServer.serve(app, middleware)`),
 * where it sees the response as sent, including failures turned into responses and headers set by
 * pre-response handlers. It also works applied to an app or as a global `HttpRouter.middleware`.
 *
 * **Details**
 *
 * The span records the full URL, the method, the request headers, the client address, the
 * route the router matched (`http.route`, and the span is renamed `GET /orders/:id`), the status code and
 * the response headers, with credentials redacted by the SDK's rule (`redactNames`, docs/security.md) and
 * by effect/http's `Headers.CurrentRedactedNames` and `UrlParams.CurrentRedactedNames`. A 5xx response
 * fails the span, with the app's failure as its exception when there was one; a 4xx (a `RouteNotFound`
 * 404 included) does not; a client abort (499) marks it interrupted.
 *
 * Give a {@link WebRequest.WebApplicationInfo}, or its options: the info is then created once per SDK
 * and lives as long as the SDK does.
 *
 * **Gotchas**
 *
 * effect/http opens its own SERVER span outside every middleware; provide
 * {@link layerServerTracerDisabled} to the server so this one is the only one. The route is read from
 * the router's `http.route` annotation, which it makes only when an Effect `Tracer` is installed
 * (`OneAgentSdk.layer` installs one unless `effectSpans: false`).
 *
 * **Example** (Tracing a router's requests)
 *
 * ```ts
 * import { Layer } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { createServer } from "node:http"
 * import { OneAgentHttp, OneAgentSdk } from "effect-oneagent"
 *
 * const Routes = HttpRouter.add("GET", "/orders/:id", HttpServerResponse.text("ok"))
 *
 * const Server = HttpRouter.serve(Routes, {
 *   middleware: OneAgentHttp.middleware({ webServerName: "orders", applicationId: "OrderApi", contextRoot: "/" })
 * }).pipe(
 *   Layer.provide(OneAgentHttp.layerServerTracerDisabled),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 3000 })),
 *   Layer.provide(OneAgentSdk.layer())
 * )
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: {
  (app: WebRequest.WebApplicationInfo | WebRequest.WebApplicationInfoOptions): Middleware
  <E, R>(
    self: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
    app: WebRequest.WebApplicationInfo | WebRequest.WebApplicationInfoOptions
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | OneAgentSdk>
} = dual((args) => Effect.isEffect(args[0]), <E, R>(
  self: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  app: WebRequest.WebApplicationInfo | WebRequest.WebApplicationInfoOptions
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | OneAgentSdk> =>
  traceServer(self, app))

/**
 * Turns effect/http's own server span off (`HttpMiddleware.TracerDisabledWhen`), so the SERVER span of
 * {@link middleware} is the only one per request. Provide it to the server layer.
 *
 * **Gotchas**
 *
 * It replaces any other `HttpMiddleware.TracerDisabledWhen` (such as
 * `HttpMiddleware.layerTracerDisabledForUrls`); requests the middleware does not wrap get no server span.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServerTracerDisabled: Layer.Layer<never> = Layer.succeed(HttpMiddleware.TracerDisabledWhen)(constTrue)

/**
 * Traces every request of an `HttpClient` with the outgoing web request tracer (a CLIENT span) and adds
 * its tag to the request sent: `traceparent` and `X-dynaTrace`, with the trace's `tracestate`.
 *
 * **Details**
 *
 * The span is named after the method and records the full URL, the request headers, the status code and
 * the response headers, with the SDK's redactions (`redactNames`) and effect/http's
 * (`Headers.CurrentRedactedNames`, `UrlParams.CurrentRedactedNames`, `Redacted` URL parameters). A status
 * code ≥ 400 fails it, and so does a transport error. It ends when the response's head arrives, before
 * the body is read.
 *
 * effect/http's own client span (and its `traceparent`/`b3` headers) is turned off for the requests
 * traced here. The request is left alone, and effect/http traces it as usual, where
 * `HttpClient.TracerDisabledWhen` or `Tracer.DisablePropagation` says so, or when the SDK records
 * nothing. `HttpClient.TracerPropagationEnabled: false` keeps the span and sends no headers.
 *
 * **Gotchas**
 *
 * Wrappers applied to the result (`HttpClient.retry`, `HttpClient.filterStatusOk`) run outside the
 * span: each retry is its own call. Apply them before `withTracing` to keep one span per logical call.
 *
 * @since 0.1.0
 * @category client
 */
export const withTracing = <E, R>(self: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R | OneAgentSdk> =>
  HttpClient.makeWith(
    (request) => Effect.flatMap(request, (request) => traceClient(self, request)),
    self.preprocess
  )

/**
 * Replaces the `HttpClient` service with {@link withTracing} of it: every request made through the
 * service is traced and carries the tag.
 *
 * **Example** (A traced fetch client)
 *
 * ```ts
 * import { Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OneAgentHttp } from "effect-oneagent"
 *
 * const ClientLive = OneAgentHttp.layerClient.pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient | OneAgentSdk> = Layer
  .effect(HttpClient.HttpClient)(
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const sdk = yield* OneAgentSdk
      return HttpClient.transformResponse(withTracing(client), Effect.provideService(OneAgentSdk, sdk))
    })
  )

// internal

const serverOperation = "OneAgentHttp.middleware"

/**
 * The request's SERVER span as Effect's current span: Effect spans and log lines inside the request
 * nest under it, and the router's `http.route` annotation names it.
 */
class RequestSpan extends EngineSpan {
  readonly method: string
  readonly redactedNames: ReadonlyArray<string | RegExp>

  constructor(runtime: Runtime, ref: SpanRef, method: string, redactedNames: ReadonlyArray<string | RegExp>) {
    // Effect reads `sampled` (the engine's decision) to sample the spans under it, and the router to decide whether
    // to annotate.
    super(runtime, ref.handle, ref.order, idsOf(ref), ref.traceState, {
      name: method,
      parent: Option.none(),
      annotations: Context.empty(),
      links: [],
      startTime: BigInt(0),
      kind: "server",
      root: false,
      sampled: ref.sampled
    })
    this.method = method
    this.redactedNames = redactedNames
  }

  override attribute(key: string, value: unknown): void {
    super.attribute(key, value)
    if (key === "http.route" && typeof value === "string" && this.status._tag === "Started") {
      report(this.runtime, this.runtime.engine!.addon.span_name(this.handle, `${this.method} ${value}`), serverOperation)
    }
  }

  // Effect code ends only the spans it started; this one ends with the request, in `close`.
  override end(): void {}

  /** Records the response the request ended with, and ends the span. */
  close(exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>): Effect.Effect<void> | undefined {
    if (exit._tag === "Success") {
      this.finish(exit.value, undefined)
      return undefined
    }
    // Outside the app, effect/http has already turned the failure into the response it sent and added
    // that response to the cause; inside it (applied to an app, a router middleware) it has not yet.
    if (exit.cause.reasons.some((r) => r._tag === "Die" && HttpServerResponse.isHttpServerResponse(r.defect))) {
      const [response, cause] = HttpServerError.causeResponseStripped(exit.cause)
      this.finish(response, Option.getOrUndefined(cause))
      return undefined
    }
    return Effect.map(HttpServerError.causeResponse(exit.cause), ([response]) => this.finish(response, exit.cause))
  }

  private finish(response: HttpServerResponse.HttpServerResponse, cause: Cause.Cause<unknown> | undefined): void {
    const runtime = this.runtime
    Web.setStatusCodeUnsafe(runtime, this.handle, response.status, "server", serverOperation)
    const headers = Cookies.isEmpty(response.cookies)
      ? response.headers
      : { ...response.headers, "set-cookie": Cookies.toSetCookieHeaders(response.cookies) }
    Web.addResponseHeadersUnsafe(runtime, this.handle, redactHeaders(headers, this.redactedNames), serverOperation)
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime: BigInt(0), exit: Exit.void }
    // Like effect/http: the app's failure fails the span only when it became a 5xx; an interruption
    // (a client abort) is recorded as one.
    const failed = cause !== undefined && (response.status >= 500 || Cause.hasInterrupts(cause))
    Span.end(runtime, this.handle, failed ? Exit.failCause(cause) : Exit.void, serverOperation)
  }
}

const traceServer = <E, R>(
  self: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  app: WebRequest.WebApplicationInfo | WebRequest.WebApplicationInfoOptions
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | OneAgentSdk> =>
  Effect.suspend(() => {
    let span: RequestSpan | undefined
    // The exit handler is registered before the span starts, so an interruption at any point still ends it.
    return Effect.onExitPrimitive(
      Effect.withFiber<HttpServerResponse.HttpServerResponse, E, R>((fiber) => {
        const runtime = runtimeOf(fiber.context)
        const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
        const redactedNames = fiber.getRef(Headers.CurrentRedactedNames)
        const url = HttpServerRequest.toURL(request)
        const options: WebRequest.IncomingWebRequestOptions = {
          url: Option.isSome(url)
            ? UrlParams.redactUrl(url.value.href, fiber.getRef(UrlParams.CurrentRedactedNames))
            : request.url,
          method: request.method,
          headers: redactHeaders(request.headers, redactedNames),
          remoteAddress: Option.getOrUndefined(request.remoteAddress)
        }
        let startOptions = Web.incomingStart(runtime, infoOf(runtime, app), options, serverOperation)
        if (startOptions === undefined) return self
        const effectSpan = fiber.cache.span
        if (effectSpan instanceof EngineSpan && effectSpan.kind === "server") {
          // effect/http's own server span is on and has continued the caller from these headers already:
          // nest under it rather than beside it.
          startOptions = { ...startOptions, stringTag: undefined, traceState: undefined }
          if (!(effectSpan instanceof RequestSpan)) warnDuplicate(runtime)
        }
        const parent = currentSpanOf(fiber)
        const ref = Span.start(runtime, parent, startOptions, serverOperation, Span.effectParent(effectSpan))
        if (ref === undefined) return self
        // Unsampled: the request's handlers run in its context, and nothing of it is recorded.
        if (ref.handle === 0) return ref === parent ? self : Effect.provideService(self, CurrentSpan, ref)
        // Renamed `GET /orders/:id` once routed; a method outside the known ones is named `HTTP`, as its span.
        const current = span = new RequestSpan(runtime, ref, Web.methodOf(runtime, options.method).name, redactedNames)
        return Effect.provideService(Effect.provideService(self, CurrentSpan, current), Tracer.ParentSpan, current)
      }),
      (exit) => span?.close(exit)
    )
  })

// Infos created from options, one per SDK instance: the middleware is a plain function with no scope of
// its own, and an info holds nothing but a flag, so it lives as long as the SDK it was created with.
const infos = new WeakMap<Runtime, Map<WebRequest.WebApplicationInfoOptions, WebRequest.WebApplicationInfo>>()

const infoOf = (
  runtime: Runtime,
  app: WebRequest.WebApplicationInfo | WebRequest.WebApplicationInfoOptions
): WebRequest.WebApplicationInfo => {
  if ("_tag" in app && app._tag === "WebApplicationInfo") return app
  let byOptions = infos.get(runtime)
  if (byOptions === undefined) infos.set(runtime, byOptions = new Map())
  let info = byOptions.get(app)
  if (info === undefined) {
    info = Web.createInfoUnsafe(app)
    byOptions.set(app, info)
  }
  return info
}

const warned = new WeakSet<Runtime>()

const warnDuplicate = (runtime: Runtime) => {
  if (warned.has(runtime)) return
  warned.add(runtime)
  notify(
    runtime,
    "diagnostic",
    `${serverOperation}: effect/http's own server span is on too, so each request has two SERVER spans; ` +
      `provide OneAgentHttp.layerServerTracerDisabled to the server for one`
  )
}

const traceClient = <E, R>(
  self: HttpClient.HttpClient.With<E, R>,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R | OneAgentSdk> =>
  Effect.withFiber((fiber) => {
    const send = (request: HttpClientRequest.HttpClientRequest) => self.postprocess(Effect.succeed(request))
    if (fiber.getRef(Tracer.DisablePropagation) || fiber.getRef(HttpClient.TracerDisabledWhen)(request)) {
      return send(request)
    }
    // An invalid URL: the client fails it with an InvalidUrlError, there is no call to trace.
    const url = Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash))
    if (Result.isFailure(url)) return send(request)
    const redactedNames = fiber.getRef(Headers.CurrentRedactedNames)
    const propagate = fiber.getRef(HttpClient.TracerPropagationEnabled)
    return Effect.flatMap(WebRequest.outgoingHeaders, (tag) => {
      if (tag.traceparent === undefined) return send(request)
      // effect/http's client span would nest under ours and overwrite the traceparent set here.
      return Effect.provideService(
        send(propagate ? HttpClientRequest.setHeaders(request, tag) : request),
        HttpClient.TracerDisabledWhen,
        constTrue
      )
    }).pipe(
      WebRequest.traceOutgoing({
        url: UrlParams.redactUrl(
          url.success.href,
          redactedUrlNames(request.urlParams, fiber.getRef(UrlParams.CurrentRedactedNames))
        ),
        method: request.method,
        headers: redactHeaders(request.headers, redactedNames),
        statusCode: (response: HttpClientResponse.HttpClientResponse) => response.status,
        responseHeaders: (response: HttpClientResponse.HttpClientResponse) => redactHeaders(response.headers, redactedNames)
      })
    )
  })

// Adds the names of `Redacted` URL parameters to the redacted names, as effect/http's client span does.
const redactedUrlNames = (
  params: UrlParams.UrlParams,
  names: ReadonlyArray<string | RegExp>
): ReadonlyArray<string | RegExp> => {
  let out: Array<string | RegExp> | undefined
  for (const [key, value] of params.params) {
    if (typeof value !== "string") (out ??= [...names]).push(key)
  }
  return out ?? names
}

// Applies effect/http's redacted header names on top of the SDK's own rule (redaction.ts, which covers effect's
// defaults too), so a name either one redacts is redacted. Allocates only when a header matches.
const redactHeaders = (
  headers: Readonly<Record<string, string | ReadonlyArray<string>>>,
  names: ReadonlyArray<string | RegExp>
): WebRequest.Headers => {
  let out: Record<string, string | ReadonlyArray<string>> | undefined
  for (const name in headers) {
    if (!Headers.isRedactedName(name, names)) continue
    out ??= { ...headers }
    out[name] = REDACTED
  }
  return out ?? headers
}
