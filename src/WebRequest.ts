/**
 * Incoming and outgoing web requests (the seed's `create_web_application_info`, `trace_incoming_web_request` and
 * `trace_outgoing_web_request`): a web application info object describes the server once; an incoming request is a
 * SERVER span and a service call that continues the caller's trace from `traceparent` (with `tracestate`) or
 * `X-dynaTrace`; an outgoing request is a CLIENT span whose tag goes out in the request's headers.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Headers_ from "./internal/headers.ts"
import { withRuntime } from "./internal/tracer.ts"
import * as internal from "./internal/webRequest.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { OutgoingTaggable, Tracer } from "./Tracers.ts"

/**
 * The header the seed uses for the string tag. Outgoing requests carry the tag in it and in
 * `traceparent`; incoming requests are read from either.
 *
 * @since 0.1.0
 * @category constants
 */
export const DYNATRACE_HTTP_HEADER_NAME: "X-dynaTrace" = internal.DYNATRACE_HTTP_HEADER_NAME

/**
 * Headers recorded as `[REDACTED]` whatever the configuration says. Besides them, any header, query parameter or
 * request parameter whose name looks like a credential is redacted (the `redactNames` option; docs/security.md).
 *
 * @since 0.1.0
 * @category constants
 */
export const SENSITIVE_HEADERS: ReadonlyArray<string> = internal.SENSITIVE_HEADERS

/**
 * Headers as Node, fetch and plain code give them: an object of names to one value, several or none (Node's
 * `IncomingHttpHeaders`); a WHATWG `Headers` or a `Map` (anything with `forEach(value, name)`); or
 * `[name, value]` pairs.
 *
 * @since 0.1.0
 * @category models
 */
export type Headers =
  | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  | HeadersLike
  | ReadonlyArray<readonly [name: string, value: string]>

/**
 * A WHATWG `Headers`, a `Map` or anything else that lists its headers with `forEach(value, name)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadersLike {
  forEach(callback: (value: unknown, name: string) => void): void
}

/**
 * @since 0.1.0
 * @category options
 */
export interface WebApplicationInfoOptions {
  /** The web server's name, e.g. the virtual host or `"my-server"`. */
  readonly webServerName: string
  /** The application's id, e.g. `"OrderApi"`. */
  readonly applicationId: string
  /** The path the application is mounted at, e.g. `"/api"`. */
  readonly contextRoot: string
}

/**
 * A web application: a scoped resource; using it after its scope closed is misuse.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebApplicationInfo extends WebApplicationInfoOptions {
  readonly _tag: "WebApplicationInfo"
}

/**
 * @since 0.1.0
 * @category options
 */
export interface IncomingWebRequestOptions<A = unknown> {
  /** The full URL, or the path and query when the scheme and host come from the `Host` header. */
  readonly url: string
  /** A method outside `knownHttpMethods` is recorded as `_OTHER` (its span named `HTTP`), as OpenTelemetry asks. */
  readonly method: string
  /** Request headers; `traceparent`/`tracestate` or `X-dynaTrace` continue the caller's trace. */
  readonly headers?: Headers | undefined
  /** The client's address (`client.address`). */
  readonly remoteAddress?: string | undefined
  /** The route template (`/orders/:id`), which names the span (`GET /orders/:id`). */
  readonly route?: string | undefined
  /** Request parameters (form fields, query parameters) to record. */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** Derives the status code from the traced effect's result (combinator form). */
  readonly statusCode?: ((result: A) => number) | undefined
  /** Derives response headers from the traced effect's result (combinator form). */
  readonly responseHeaders?: ((result: A) => Headers) | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface OutgoingWebRequestOptions<A = unknown> {
  readonly url: string
  /** A method outside `knownHttpMethods` is recorded as `_OTHER` (its span named `HTTP`), as OpenTelemetry asks. */
  readonly method: string
  readonly headers?: Headers | undefined
  /** Derives the status code from the traced effect's result (combinator form). */
  readonly statusCode?: ((result: A) => number) | undefined
  /** Derives response headers from the traced effect's result (combinator form). */
  readonly responseHeaders?: ((result: A) => Headers) | undefined
}

/**
 * Setters shared by both web request tracers.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebResponse {
  /** `http.response.status_code`. An incoming request with a 5xx (an outgoing one with ≥ 400) is failed. */
  readonly setStatusCode: (code: number) => Effect.Effect<void>
  readonly addResponseHeaders: (headers: Headers) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IncomingWebRequestTracer extends Tracer, WebResponse {
  readonly _tag: "IncomingWebRequestTracer"
  readonly addParameter: (name: string, value: string) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OutgoingWebRequestTracer extends Tracer, WebResponse, OutgoingTaggable {
  readonly _tag: "OutgoingWebRequestTracer"
  /** The headers to add to the request: `traceparent`, `X-dynaTrace` and any `tracestate` (empty when not tracing). */
  readonly outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>>
}

/**
 * Finds a header case-insensitively; several values are joined with `,` as HTTP allows.
 *
 * @since 0.1.0
 * @category headers
 */
export const header: (headers: Headers | undefined, name: string) => string | undefined = Headers_.header

/**
 * Creates a web application info object, released with the scope; using it after that is misuse. Also a method of
 * the SDK service (`sdk.createWebApplicationInfo`).
 *
 * @since 0.1.0
 * @category info objects
 */
export const makeInfo: (options: WebApplicationInfoOptions) => Effect.Effect<WebApplicationInfo, never, Scope.Scope> =
  internal.createInfo

/**
 * Wraps an effect in an incoming web request tracer: a SERVER span and a service call, named after the method and the
 * route (`GET /orders/:id`). A `traceparent` or `X-dynaTrace` request header continues the caller's trace.
 * `statusCode` / `responseHeaders` derive the response from the result; a 5xx marks the span failed, a 4xx does not.
 *
 * **Example** (A handler traced with its request)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { OneAgentSdk, WebRequest } from "effect-oneagent"
 *
 * const program = Effect.gen(function*() {
 *   const app = yield* WebRequest.makeInfo({ webServerName: "orders", applicationId: "OrderApi", contextRoot: "/" })
 *   return yield* Effect.succeed({ status: 200 }).pipe(
 *     WebRequest.traceIncoming(app, {
 *       url: "http://orders.internal/orders/7?verbose=1",
 *       method: "GET",
 *       route: "/orders/:id",
 *       headers: { "user-agent": "curl/8", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
 *       statusCode: (response: { status: number }) => response.status
 *     })
 *   )
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => { status: 200 }
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceIncoming: {
  <A = unknown>(
    info: WebApplicationInfo,
    options: IncomingWebRequestOptions<A>
  ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: WebApplicationInfo,
    options: IncomingWebRequestOptions<A>
  ): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceIncoming

/**
 * Wraps an effect in an outgoing web request tracer: a CLIENT span named after the method. Inside,
 * {@link outgoingHeaders} gives the headers to send. A status code ≥ 400 marks the span failed.
 *
 * **Example** (A traced call with its headers)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CustomService, OneAgentSdk, WebRequest } from "effect-oneagent"
 *
 * const call = WebRequest.outgoingHeaders.pipe(
 *   Effect.map((headers) => ({ status: 204, sent: Object.keys(headers) })), // stands in for fetch(url, { headers })
 *   WebRequest.traceOutgoing({
 *     url: "https://payments.internal/charge",
 *     method: "POST",
 *     statusCode: (response: { status: number }) => response.status
 *   }),
 *   CustomService.trace({ method: "checkout", service: "Cart" })
 * )
 *
 * Effect.runPromise(call.pipe(Effect.provide(OneAgentSdk.layer()))).then((r) => console.log(r.sent))
 * // => [ "traceparent", "X-dynaTrace" ]
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceOutgoing: {
  <A = unknown>(
    options: OutgoingWebRequestOptions<A>
  ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingWebRequestOptions<A>): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.traceOutgoing

/**
 * Starts an incoming web request tracer in the current scope; add parameters, response headers and the status code
 * to it while it runs. Also a method of the SDK service (`sdk.traceIncomingWebRequest`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startIncoming = (
  info: WebApplicationInfo,
  options: IncomingWebRequestOptions
): Effect.Effect<IncomingWebRequestTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.incoming(runtime, info, options))

/**
 * Starts an outgoing web request tracer in the current scope; its `outgoingHeaders` are the headers to send. Also a
 * method of the SDK service (`sdk.traceOutgoingWebRequest`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startOutgoing = (
  options: OutgoingWebRequestOptions
): Effect.Effect<OutgoingWebRequestTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.outgoing(runtime, options))

/**
 * The headers that carry the current span's tag: `traceparent` and `X-dynaTrace`, and the trace's `tracestate` when
 * it has one (empty outside a trace).
 *
 * @since 0.1.0
 * @category tags
 */
export const outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>, never, OneAgentSdk> =
  internal.outgoingHeaders
