/**
 * Incoming and outgoing web requests: the web application info object, header handling and the tracer
 * types.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { OutgoingTaggable, Tracer } from "./Tracers.ts"

/**
 * The header the seed uses for the string tag. Outgoing requests carry the tag in it and in
 * `traceparent`; incoming requests are read from either.
 *
 * @since 0.1.0
 * @category constants
 */
export const DYNATRACE_HTTP_HEADER_NAME = "X-dynaTrace"

/**
 * Headers recorded as `[REDACTED]` whatever the configuration says.
 *
 * @since 0.1.0
 * @category constants
 */
export const SENSITIVE_HEADERS: ReadonlyArray<string> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

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
export const header = (headers: Headers | undefined, name: string): string | undefined => {
  const lower = name.toLowerCase()
  let found: Array<string> | undefined
  try {
    forEachHeader(headers, (key, value) => {
      // Untyped callers and message brokers hand over numbers, nulls and objects too; they never throw here.
      if (value === undefined || value === null || key.toLowerCase() !== lower) return
      found ??= []
      found.push(typeof value === "string" ? value : Array.isArray(value) ? value.map(String).join(",") : String(value))
    })
  } catch {
    return undefined
  }
  return found?.join(",")
}

/**
 * Calls `f` with each header, whichever form the headers come in (a value may be an array of values). Anything that
 * is not headers has none.
 *
 * @since 0.1.0
 * @category headers
 * @internal
 */
export const forEachHeader = (headers: Headers | undefined, f: (name: string, value: unknown) => void): void => {
  if (typeof headers !== "object" || headers === null) return
  if (Array.isArray(headers)) {
    for (const pair of headers as ReadonlyArray<unknown>) {
      if (Array.isArray(pair) && typeof pair[0] === "string") f(pair[0], pair[1])
    }
  } else if (typeof (headers as Partial<HeadersLike>).forEach === "function") {
    // for...in would list a Headers' or Map's methods, not its headers.
    const like: HeadersLike = headers as HeadersLike
    like.forEach((value, name) => {
      if (typeof name === "string") f(name, value)
    })
  } else {
    const record = headers as Readonly<Record<string, unknown>>
    for (const name in record) f(name, record[name])
  }
}
