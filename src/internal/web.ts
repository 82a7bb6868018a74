/**
 * The per-request data of web request tracers: URL parts, captured and redacted headers, parameters,
 * the incoming tag from headers, and the status-code rule.
 *
 * @internal
 */
import { UrlParams } from "effect/http"
import * as WebRequest from "../WebRequest.ts"
import { Limit } from "./codes.ts"
import { clip } from "./engine.ts"
import { type DataSettings, safeString } from "./runtime.ts"
import { AttributeList } from "./templates.ts"

const REDACTED = "[REDACTED]"

/** @internal Adds `<prefix>.<lower-case name>` for each captured header; several values become an array. */
export const addHeaders = (
  list: AttributeList,
  prefix: "http.request.header" | "http.response.header",
  headers: WebRequest.Headers | undefined,
  settings: DataSettings
): void => {
  const capture = settings.captureHeaders
  if (headers === undefined || capture === "none") return
  if (typeof headers !== "object" || headers === null) {
    list.problems.push(`headers must be an object of header names to values`)
    return
  }
  try {
    WebRequest.forEachHeader(headers, (name, raw) => {
      const lower = name.toLowerCase()
      if (capture !== "all" && !capture.has(lower)) return
      if (raw === undefined) return
      const values: ReadonlyArray<unknown> = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : [raw]
      const redact = WebRequest.SENSITIVE_HEADERS.includes(lower) || settings.redactHeaders.has(lower)
      for (const value of values) list.add(`${prefix}.${lower}`, redact ? REDACTED : safeString(value))
    })
  } catch {
    list.problems.push(`headers could not be read`)
  }
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
// query parameters in effect's `UrlParams.CurrentRedactedNames` (by default the OTel list: AWSAccessKeyId, Signature,
// sig, X-Goog-Signature, ...) as `REDACTED`. Only the kept prefix is redacted, so a huge URL costs no more than its
// limit; a prefix cut inside the authority or a parameter is redacted as if that part went on to a "@" (masking
// more, never less), and the cut is marked.
const addRedactedUrl = (list: AttributeList, key: "url.full" | "url.query", text: string) => {
  const kept = clip(text, Limit.Long)
  const cut = kept !== text
  let redacted: string
  try {
    redacted = key === "url.query"
      ? UrlParams.redactUrl(`?${kept}`).slice(1)
      : cut
      ? UrlParams.redactUrl(`${kept}@`).replace(/@$/, "")
      : UrlParams.redactUrl(kept)
  } catch {
    // Redaction names from an untyped caller that cannot be matched: nothing of the URL is safe to keep.
    redacted = REDACTED
  }
  const recorded = clip(redacted, Limit.Long)
  list.addCut(key, recorded, cut || recorded !== redacted, Limit.Long)
}

const addUrl = (list: AttributeList, url: string, host: string | undefined) => {
  const parsed = urlParts(url, host)
  if (parsed === undefined && url.startsWith("/") && !url.startsWith("//")) {
    // A path with no Host to complete it: url.full must be absolute, so only the path and the query are recorded.
    const relative = urlParts(url, "host.invalid")
    if (relative !== undefined) {
      list.add("url.path", relative.pathname, Limit.Long)
      if (relative.search !== "") addRedactedUrl(list, "url.query", relative.search.slice(1))
      return
    }
  }
  addRedactedUrl(
    list,
    "url.full",
    parsed !== undefined && parsed.href !== "" && /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : parsed?.href ?? url
  )
  if (parsed === undefined) return
  list.add("url.scheme", parsed.protocol.replace(/:$/, ""))
    .add("url.path", parsed.pathname, Limit.Long)
    .add("server.address", parsed.hostname)
  if (parsed.search !== "") addRedactedUrl(list, "url.query", parsed.search.slice(1))
  const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : parsed.protocol === "http:" ? 80 : undefined
  list.add("server.port", port)
}

/** @internal The per-request attributes of an incoming web request. */
export const incomingAttributes = (
  options: WebRequest.IncomingWebRequestOptions,
  settings: DataSettings
): AttributeList => {
  const list = new AttributeList()
  const url = list.required("url", options.url)
  addUrl(list, url, WebRequest.header(options.headers, "host"))
  list.add("client.address", list.optional("remoteAddress", options.remoteAddress))
    .add("user_agent.original", WebRequest.header(options.headers, "user-agent"))
  addHeaders(list, "http.request.header", options.headers, settings)
  addParameters(list, options.parameters)
  return list
}

/** @internal */
export const addParameters = (list: AttributeList, parameters: Readonly<Record<string, string>> | undefined) => {
  if (parameters === undefined) return
  if (typeof parameters !== "object" || parameters === null) {
    list.problems.push(`parameters must be an object of names to values`)
    return
  }
  try {
    // Plain objects, and URLSearchParams or a Map too: the same forms as headers.
    WebRequest.forEachHeader(parameters, (name, value) => list.add(`oneagent.web.parameter.${name}`, safeString(value)))
  } catch {
    list.problems.push(`parameters could not be read`)
  }
}

/** @internal The per-request attributes of an outgoing web request. */
export const outgoingAttributes = (options: WebRequest.OutgoingWebRequestOptions, settings: DataSettings): AttributeList => {
  const list = new AttributeList()
  addUrl(list, list.required("url", options.url), undefined)
  addHeaders(list, "http.request.header", options.headers, settings)
  return list
}

/** @internal The incoming tag of a request or message: `traceparent` (+ `tracestate`) first, then the Dynatrace name. */
export const tagOf = (
  headers: WebRequest.Headers | undefined,
  dynatraceName: string
): { readonly stringTag: string | undefined; readonly traceState: string | undefined } => {
  const traceparent = WebRequest.header(headers, "traceparent")
  if (traceparent !== undefined) return { stringTag: traceparent, traceState: WebRequest.header(headers, "tracestate") }
  return { stringTag: WebRequest.header(headers, dynatraceName), traceState: undefined }
}

/** @internal Whether a status code fails the span: 5xx for a server, ≥ 400 for a client (OTel HTTP conventions). */
export const isFailure = (code: number, side: "server" | "client"): boolean =>
  side === "server" ? code >= 500 : code >= 400
