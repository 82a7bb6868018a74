/**
 * Web requests: the web application info object, the span shapes of incoming (SERVER, a service call, named after
 * the method and route) and outgoing (CLIENT) requests, what a request records (URL parts redacted as OpenTelemetry
 * asks, captured and redacted headers, parameters), the incoming tag from headers, the status-code rule, and the two
 * forms of both tracers.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as WebRequest from "../WebRequest.ts"
import { AttributeList, clip, spanName } from "./attributes.ts"
import { Kind, Limit, StartFlag } from "./codes.ts"
import { misuse, safeString } from "./diagnostics.ts"
import { forEachHeader, header, tagOf } from "./headers.ts"
import * as Info from "./info.ts"
import { alwaysRedacted, REDACTED, redactUrl } from "./redaction.ts"
import { admit, admitOther, type KeyKind, otherKeys, OtherLines, RequestBudget } from "./requestKeys.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import * as Span from "./span.ts"
import { fromList, ShapeCache, type Template } from "./templates.ts"
import * as Tracer from "./tracer.ts"

/** @internal The header the seed uses for the string tag. */
export const DYNATRACE_HTTP_HEADER_NAME = "X-dynaTrace"

/** @internal Headers recorded as `[REDACTED]` whatever the configuration says. */
export const SENSITIVE_HEADERS: ReadonlyArray<string> = alwaysRedacted

/** @internal The header names a web request carries its tag under. */
export const tagNames = ["traceparent", DYNATRACE_HTTP_HEADER_NAME] as const

/**
 * Adds `<prefix>.<lower-case name>` for each captured header (several values become an array), with the values of
 * credential names redacted; names past the request's bounds (requestKeys.ts) go into one other attribute.
 *
 * @internal
 */
export const addHeaders = (
  list: AttributeList,
  prefix: "http.request.header" | "http.response.header",
  headers: unknown,
  runtime: Runtime,
  budget: RequestBudget
): void => {
  const settings = runtime.data
  const capture = settings.captureHeaders
  if (headers === undefined || capture === "none") return
  if (typeof headers !== "object" || headers === null) {
    list.problems.push(`headers must be an object of header names to values`)
    return
  }
  const other = new OtherLines()
  try {
    forEachHeader(headers, (name, raw) => {
      const lower = name.toLowerCase()
      if (capture !== "all" && !capture.has(lower)) return
      if (raw === undefined) return
      const values: ReadonlyArray<unknown> = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : [raw]
      const redact = settings.redacts(lower)
      const own = admit(runtime, prefix, lower, budget)
      for (const value of values) {
        const recorded = redact ? REDACTED : safeString(value)
        if (own) list.add(`${prefix}.${lower}`, recorded)
        else other.add(`${clip(lower, Limit.Default)}: ${recorded}`)
      }
    })
  } catch {
    list.problems.push(`headers could not be read`)
  }
  addOther(list, prefix, other)
}

const addOther = (list: AttributeList, kind: KeyKind, other: OtherLines) => {
  const value = other.value
  if (value !== undefined) list.addCut(otherKeys[kind], value, other.cut, Limit.Long)
}

// Splits a URL (absolute, or a path with the host from the Host header) without throwing.
const urlParts = (url: string, host: string | undefined): URL | undefined => {
  try {
    return new URL(url, host === undefined ? undefined : `http://${host}`)
  } catch {
    return undefined
  }
}

// Records a URL (or its query) redacted as OpenTelemetry asks: userinfo as `REDACTED:REDACTED` and the values of the
// query parameters whose names the redaction rule (or effect's `UrlParams.CurrentRedactedNames`) names as
// `REDACTED`. Only the kept prefix is redacted, so a huge URL costs no more than its limit; a prefix cut inside the
// authority is redacted as if it went on to a "@" (masking more, never less), and the cut is marked.
const addRedactedUrl = (
  list: AttributeList,
  key: "url.full" | "url.query",
  text: string,
  redacts: (name: string) => boolean
) => {
  const kept = clip(text, Limit.Long)
  const cut = kept !== text
  let redacted: string
  try {
    redacted = key === "url.query" ? redactUrl(`?${kept}`, redacts).slice(1) : redactUrl(kept, redacts, cut)
  } catch {
    // Redaction names from an untyped caller that cannot be matched: nothing of the URL is safe to keep.
    redacted = REDACTED
  }
  const recorded = clip(redacted, Limit.Long)
  list.addCut(key, recorded, cut || recorded !== redacted, Limit.Long)
}

const addUrl = (list: AttributeList, url: string, host: string | undefined, redacts: (name: string) => boolean) => {
  const parsed = urlParts(url, host)
  if (parsed === undefined && url.startsWith("/") && !url.startsWith("//")) {
    // A path with no Host to complete it: url.full must be absolute, so only the path and the query are recorded.
    const relative = urlParts(url, "host.invalid")
    if (relative !== undefined) {
      list.add("url.path", relative.pathname, Limit.Long)
      if (relative.search !== "") addRedactedUrl(list, "url.query", relative.search.slice(1), redacts)
      return
    }
  }
  addRedactedUrl(
    list,
    "url.full",
    parsed !== undefined && parsed.href !== "" && /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : parsed?.href ?? url,
    redacts
  )
  if (parsed === undefined) return
  list.add("url.scheme", parsed.protocol.replace(/:$/, ""))
    .add("url.path", parsed.pathname, Limit.Long)
    .add("server.address", parsed.hostname)
  if (parsed.search !== "") addRedactedUrl(list, "url.query", parsed.search.slice(1), redacts)
  const port = parsed.port !== ""
    ? Number(parsed.port)
    : parsed.protocol === "https:"
    ? 443
    : parsed.protocol === "http:"
    ? 80
    : undefined
  list.add("server.port", port)
}

const addParameters = (list: AttributeList, parameters: unknown, runtime: Runtime, budget: RequestBudget) => {
  if (parameters === undefined) return
  if (typeof parameters !== "object" || parameters === null) {
    list.problems.push(`parameters must be an object of names to values`)
    return
  }
  const other = new OtherLines()
  try {
    // Plain objects, and URLSearchParams or a Map too: the same forms as headers.
    forEachHeader(parameters, (name, value) => {
      const recorded = runtime.data.redacts(name) ? REDACTED : safeString(value)
      if (admit(runtime, "oneagent.web.parameter", name, budget)) list.add(`oneagent.web.parameter.${name}`, recorded)
      else other.add(`${clip(name, Limit.Default)}=${recorded}`)
    })
  } catch {
    list.problems.push(`parameters could not be read`)
  }
  addOther(list, "oneagent.web.parameter", other)
}

/** @internal Whether a status code fails the span: 5xx for a server, ≥ 400 for a client (OTel HTTP conventions). */
export const isFailure = (code: number, side: "server" | "client"): boolean =>
  side === "server" ? code >= 500 : code >= 400

/** @internal */
export const createInfo = (
  options: WebRequest.WebApplicationInfoOptions
): Effect.Effect<WebRequest.WebApplicationInfo, never, Scope.Scope> => Info.make("WebApplicationInfo", () => infoOf(options))

/** @internal An info that lives as long as the process (the http middleware's, made from options). */
export const createInfoUnsafe = (options: WebRequest.WebApplicationInfoOptions): WebRequest.WebApplicationInfo =>
  Info.makeUnsafe("WebApplicationInfo", () => infoOf(options))

const infoOf = (options: WebRequest.WebApplicationInfoOptions) => {
  const list = new AttributeList()
  list.add("oneagent.web.server_name", list.required("webServerName", options.webServerName))
    .add("oneagent.web.application_id", list.required("applicationId", options.applicationId))
    .add("oneagent.web.context_root", list.required("contextRoot", options.contextRoot))
  return {
    info: {
      _tag: "WebApplicationInfo" as const,
      webServerName: options.webServerName,
      applicationId: options.applicationId,
      contextRoot: options.contextRoot
    },
    attributes: list
  }
}

/** @internal How a request's method is recorded. */
export interface Method {
  /** `http.request.method`: a known method (upper-cased), or `_OTHER`. */
  readonly method: string
  /** `http.request.method_original`, when it differs from `method`. */
  readonly original: string | undefined
  /** What the span name starts with: the method, or `HTTP` for `_OTHER`. */
  readonly name: string
}

/**
 * A request's method as OpenTelemetry records it: a known one (`knownHttpMethods`) by name, any other as `_OTHER`
 * with the original beside it. Span shapes are kept per method, and a client may send any token as a method (HTTP/2
 * takes them all): only known methods get a shape of their own.
 *
 * @internal
 */
export const methodOf = (runtime: Runtime, method: unknown): Method => {
  if (typeof method !== "string") return { method: "_OTHER", original: undefined, name: "HTTP" }
  const upper = method.toUpperCase()
  return runtime.data.knownHttpMethods.has(upper)
    ? { method: upper, original: upper === method ? undefined : method, name: upper }
    : { method: "_OTHER", original: method, name: "HTTP" }
}

/** @internal */
export const incomingStart = (
  runtime: Runtime,
  info: WebRequest.WebApplicationInfo,
  options: WebRequest.IncomingWebRequestOptions<any>,
  operation: string
): Span.StartOptions | undefined => {
  const state = Info.stateOf(runtime, info, "WebApplicationInfo", operation)
  if (state === undefined) return undefined
  const method = methodOf(runtime, options.method)
  const route = typeof options.route === "string" ? options.route : undefined
  const template = Info.templateOf(state, method.method, route, () => {
    const list = new AttributeList().addAll(state.attributes).add("http.request.method", method.method)
      .add("http.route", route)
    const name = list.name(route === undefined ? spanName(method.name) : spanName(method.name, " ", route, "first"))
    return fromList(list, name, Kind.Server, StartFlag.ServiceCall)
  })
  const attributes = new AttributeList().add("http.request.method_original", method.original)
  const url = attributes.required("url", options.url)
  const budget = new RequestBudget()
  addUrl(attributes, url, header(options.headers, "host"), runtime.data.redacts)
  attributes.add("client.address", attributes.optional("remoteAddress", options.remoteAddress))
    .add("user_agent.original", header(options.headers, "user-agent"))
  addHeaders(attributes, "http.request.header", options.headers, runtime, budget)
  addParameters(attributes, options.parameters, runtime, budget)
  const tag = tagOf(options.headers, "x-dynatrace")
  return { template, ...tag, attributes: attributes.flat(), problems: attributes.problems }
}

const outgoingShapes = new ShapeCache(1_024)

/** @internal */
export const outgoingStart = (runtime: Runtime, options: WebRequest.OutgoingWebRequestOptions<any>): Span.StartOptions => {
  const method = methodOf(runtime, options.method)
  const template: Template = outgoingShapes.get(method.method, undefined, undefined, undefined, () =>
    fromList(new AttributeList().add("http.request.method", method.method), method.name, Kind.Client, StartFlag.None))
  const attributes = new AttributeList().add("http.request.method_original", method.original)
  addUrl(attributes, attributes.required("url", options.url), undefined, runtime.data.redacts)
  addHeaders(attributes, "http.request.header", options.headers, runtime, new RequestBudget())
  return { template, attributes: attributes.flat(), problems: attributes.problems }
}

/** @internal Records a status code; an error code (by the tracer's side) fails the span without an exception. */
export const setStatusCodeUnsafe = (
  runtime: Runtime,
  handle: number,
  code: number,
  side: "server" | "client",
  operation: string
): void => {
  if (typeof code !== "number" || !Number.isInteger(code)) {
    misuse(runtime, `${operation}.setStatusCode: expects an integer status code`)
    return
  }
  Span.setAttribute(runtime, handle, "http.response.status_code", code, `${operation}.setStatusCode`)
  if (isFailure(code, side)) Span.setStatus(runtime, handle, 2, `HTTP ${code}`, `${operation}.setStatusCode`)
}

/** @internal */
export const addResponseHeadersUnsafe = (
  runtime: Runtime,
  handle: number,
  headers: unknown,
  operation: string,
  budget: RequestBudget = new RequestBudget()
) => {
  const list = new AttributeList()
  addHeaders(list, "http.response.header", headers, runtime, budget)
  for (const problem of list.problems) misuse(runtime, `${operation}.addResponseHeaders: ${problem}`)
  for (const [key, value, limit] of list.list) {
    Span.setAttribute(runtime, handle, key, value, `${operation}.addResponseHeaders`, limit)
  }
}

type ResponseOptions<A> = {
  readonly statusCode?: ((a: A) => number) | undefined
  readonly responseHeaders?: ((a: A) => WebRequest.Headers) | undefined
}

// The combinator forms derive the response from the traced effect's result.
const response = <A>(options: ResponseOptions<A>, side: "server" | "client", operation: string) =>
(runtime: Runtime, handle: number, value: A) => {
  const code = Tracer.derive(runtime, operation, () => options.statusCode, value)
  if (code !== undefined) setStatusCodeUnsafe(runtime, handle, code, side, operation)
  const headers = Tracer.derive(runtime, operation, () => options.responseHeaders, value)
  if (headers !== undefined) addResponseHeadersUnsafe(runtime, handle, headers, operation)
}

/** @internal */
export const traceIncoming = dual(3, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: WebRequest.WebApplicationInfo,
  options: WebRequest.IncomingWebRequestOptions<A>
): Effect.Effect<A, E, R> => {
  const operation = "traceIncomingWebRequest"
  return Tracer.traced(self, runtimeOf, operation, (runtime) => incomingStart(runtime, info, options, operation),
    response(options, "server", operation))
})

/** @internal */
export const traceOutgoing = dual(2, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  options: WebRequest.OutgoingWebRequestOptions<A>
): Effect.Effect<A, E, R> => {
  const operation = "traceOutgoingWebRequest"
  return Tracer.traced(self, runtimeOf, operation, (runtime) => outgoingStart(runtime, options),
    response(options, "client", operation))
})

/** @internal The scoped web request tracers (both kinds: the interfaces show each its own methods). */
export class WebTracer extends Tracer.TracerImpl
  implements WebRequest.IncomingWebRequestTracer, WebRequest.OutgoingWebRequestTracer
{
  declare readonly _tag: any
  private get side(): "server" | "client" {
    return this._tag === "IncomingWebRequestTracer" ? "server" : "client"
  }
  // What this request adds after its start, bounded as its start was (requestKeys.ts).
  private budget: RequestBudget | undefined
  private get requestBudget(): RequestBudget {
    return this.budget ??= new RequestBudget()
  }
  setStatusCode(code: number): Effect.Effect<void> {
    return Effect.sync(() => setStatusCodeUnsafe(this.runtime, this.handle, code, this.side, this.operation))
  }
  addResponseHeaders(headers: WebRequest.Headers): Effect.Effect<void> {
    return Effect.sync(() =>
      addResponseHeadersUnsafe(this.runtime, this.handle, headers, this.operation, this.requestBudget)
    )
  }
  addParameter(name: string, value: string): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.handle <= 0) return
      const key = safeString(name)
      const recorded = this.runtime.data.redacts(key) ? REDACTED : safeString(value)
      const operation = `${this.operation}.addParameter`
      if (admit(this.runtime, "oneagent.web.parameter", key, this.requestBudget)) {
        Span.setAttribute(this.runtime, this.handle, `oneagent.web.parameter.${key}`, recorded, operation)
      } else if (admitOther(this.runtime, this.requestBudget)) {
        const line = `${clip(key, Limit.Default)}=${recorded}`
        Span.setAttribute(this.runtime, this.handle, otherKeys["oneagent.web.parameter"], line, operation)
      }
    })
  }
  get outgoingHeaders(): Effect.Effect<Readonly<Record<string, string>>> {
    return this.carrier(tagNames, "outgoingHeaders")
  }
}

/** @internal */
export const incoming = (
  runtime: Runtime,
  info: WebRequest.WebApplicationInfo,
  options: WebRequest.IncomingWebRequestOptions
): Effect.Effect<WebRequest.IncomingWebRequestTracer, never, Scope.Scope> =>
  Tracer.scoped(
    runtime,
    "IncomingWebRequestTracer",
    "traceIncomingWebRequest",
    () => incomingStart(runtime, info, options, "traceIncomingWebRequest"),
    WebTracer
  )

/** @internal */
export const outgoing = (
  runtime: Runtime,
  options: WebRequest.OutgoingWebRequestOptions
): Effect.Effect<WebRequest.OutgoingWebRequestTracer, never, Scope.Scope> =>
  Tracer.scoped(
    runtime,
    "OutgoingWebRequestTracer",
    "traceOutgoingWebRequest",
    () => outgoingStart(runtime, options),
    WebTracer
  )

/** @internal The headers that carry the current span's tag. */
export const outgoingHeaders: Effect.Effect<Readonly<Record<string, string>>> = Tracer.currentCarrier(
  runtimeOf,
  tagNames,
  "outgoingHeaders"
)
