/**
 * Attribute keys made of names that a request chooses (`http.request.header.<name>`, `http.response.header.<name>`,
 * `oneagent.web.parameter.<name>`). The engine's intern table is append-only (the export thread reads it while the
 * application adds to it), so a key can never be taken back: what requests can make is bounded instead, in three
 * ways. One request records at most {@link maxNamedPerRequest} of them, of which at most
 * {@link maxNewPerRequest} may be names the engine has not seen; each kind of name has its own bound
 * ({@link maxKeysPerKind}), so a flood of request header names never costs a response header or a parameter its
 * key; and well-known header names and the ones `captureHeaders` lists get their keys whatever the bounds say.
 * A name refused its own key is not lost: it is recorded with its value in one attribute per kind
 * ({@link otherKeys}), whose key exists already, so nothing a request sends grows the table once the bounds are
 * reached, and an application's headers (X-Request-Id) and own keys always get through.
 *
 * @internal
 */
import { clip } from "./attributes.ts"
import { Counter, Limit } from "./codes.ts"
import { notify } from "./diagnostics.ts"
import { type Engine, internKey } from "./engine.ts"
import type { Runtime } from "./runtime.ts"

/** @internal The prefixes of the keys that requests name. */
export type KeyKind = "http.request.header" | "http.response.header" | "oneagent.web.parameter"

/** @internal Where names refused a key of their own are recorded, as `name: value` (headers) or `name=value` lines. */
export const otherKeys: Readonly<Record<KeyKind, string>> = {
  "http.request.header": "oneagent.web.other_request_headers",
  "http.response.header": "oneagent.web.other_response_headers",
  "oneagent.web.parameter": "oneagent.web.other_parameters"
}

/** @internal Distinct names of one kind that get keys of their own, besides well-known and configured ones. */
export const maxKeysPerKind = 4_096

/** @internal Names one request records under keys of their own (a span keeps 128 attributes by default). */
export const maxNamedPerRequest = 64

/** @internal Of those, names the engine has not seen before. */
export const maxNewPerRequest = 16

/** @internal Parameters added one by one (`addParameter`) past the bounds, recorded in the other attribute. */
export const maxOtherPerRequest = 16

/** @internal Header names that always get keys of their own: the standard ones and the common de-facto ones. */
export const wellKnownHeaders: ReadonlySet<string> = new Set([
  ":authority", ":method", ":path", ":scheme", ":status",
  "accept", "accept-charset", "accept-encoding", "accept-language", "accept-patch", "accept-ranges",
  "access-control-allow-credentials", "access-control-allow-headers", "access-control-allow-methods",
  "access-control-allow-origin", "access-control-expose-headers", "access-control-max-age",
  "access-control-request-headers", "access-control-request-method",
  "age", "allow", "alt-svc", "authorization", "baggage", "b3", "cache-control", "cdn-loop", "connection",
  "content-disposition", "content-encoding", "content-language", "content-length", "content-location",
  "content-range", "content-security-policy", "content-type", "cookie", "cross-origin-embedder-policy",
  "cross-origin-opener-policy", "cross-origin-resource-policy", "date", "dnt", "early-data", "etag", "expect",
  "expires", "forwarded", "from", "grpc-encoding", "grpc-message", "grpc-status", "grpc-timeout", "host",
  "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "keep-alive",
  "last-modified", "link", "location", "max-forwards", "origin", "permissions-policy", "pragma", "priority",
  "proxy-authenticate", "proxy-authorization", "range", "referer", "referrer-policy", "retry-after",
  "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site",
  "sec-fetch-user", "sec-websocket-accept", "sec-websocket-extensions", "sec-websocket-key",
  "sec-websocket-protocol", "sec-websocket-version", "server", "server-timing", "set-cookie",
  "strict-transport-security", "te", "timing-allow-origin", "traceparent", "tracestate", "trailer",
  "transfer-encoding", "upgrade", "upgrade-insecure-requests", "user-agent", "vary", "via", "www-authenticate",
  "x-amzn-trace-id", "x-b3-parentspanid", "x-b3-sampled", "x-b3-spanid", "x-b3-traceid", "x-cloud-trace-context",
  "x-content-type-options", "x-correlation-id", "x-dynatrace", "x-forwarded-for", "x-forwarded-host",
  "x-forwarded-port", "x-forwarded-proto", "x-frame-options", "x-powered-by", "x-real-ip", "x-request-id",
  "x-requested-with", "x-xss-protection"
])

/** @internal What one request has recorded under names of its own so far. */
export class RequestBudget {
  named = 0
  fresh = 0
  other = 0
}

interface Counts {
  readonly kinds: Record<KeyKind, number>
  readonly reported: Set<KeyKind>
}

const counts = new WeakMap<Engine, Counts>()

const countsOf = (engine: Engine): Counts => {
  let c = counts.get(engine)
  if (c === undefined) {
    c = {
      kinds: { "http.request.header": 0, "http.response.header": 0, "oneagent.web.parameter": 0 },
      reported: new Set()
    }
    counts.set(engine, c)
  }
  return c
}

/**
 * Whether `name` (lower-case for headers) may be recorded under its own key `<kind>.<name>`; if so the key is
 * interned now. Without an engine nothing is recorded, and every name may be.
 *
 * @internal
 */
export const admit = (runtime: Runtime, kind: KeyKind, name: string, budget: RequestBudget): boolean => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed) return true
  if (budget.named >= maxNamedPerRequest) return false
  // The key as AttributeList records it: cut to the key limit.
  const key = clip(`${kind}.${name}`, Limit.Default)
  if (!engine.keys.has(key) && !(kind !== "oneagent.web.parameter" && alwaysAdmitted(runtime, name))) {
    const c = countsOf(engine)
    if (c.kinds[kind] >= maxKeysPerKind) {
      reportFull(runtime, c, kind)
      return false
    }
    if (budget.fresh >= maxNewPerRequest) return false
    budget.fresh++
    c.kinds[kind]++
  }
  internKey(engine, key)
  budget.named++
  return true
}

// Well-known names, and the ones the configuration lists: a fixed number of them.
const alwaysAdmitted = (runtime: Runtime, name: string): boolean => {
  const capture = runtime.data.captureHeaders
  return wellKnownHeaders.has(name) || (typeof capture === "object" && capture.has(name))
}

const reportFull = (runtime: Runtime, c: Counts, kind: KeyKind) => {
  if (c.reported.has(kind)) return
  c.reported.add(kind)
  notify(
    runtime,
    "diagnostic",
    `${maxKeysPerKind.toLocaleString("en-US")} distinct ${kind}.* names have keys of their own: new names are ` +
      `recorded in ${otherKeys[kind]} (list the headers you need in captureHeaders to give them keys)`
  )
}

/**
 * Whether one more name past the bounds may be recorded in the other attribute by a call of its own
 * (`addParameter`); past {@link maxOtherPerRequest} it is counted as a dropped attribute.
 *
 * @internal
 */
export const admitOther = (runtime: Runtime, budget: RequestBudget): boolean => {
  if (budget.other < maxOtherPerRequest) {
    budget.other++
    return true
  }
  const engine = runtime.engine
  if (engine !== undefined) engine.counters[Counter.DroppedAttributes]!++
  return false
}

/**
 * The lines of the other attribute of one set of headers or parameters, kept to the long string limit as they are
 * added, so a request with thousands of names costs no more than what is recorded.
 *
 * @internal
 */
export class OtherLines {
  private text = ""
  cut = false

  add(line: string): void {
    if (this.cut) return
    const next = this.text === "" ? line : `${this.text}\n${line}`
    const kept = clip(next, Limit.Long)
    this.cut = kept !== next
    this.text = kept
  }

  get value(): string | undefined {
    return this.text === "" ? undefined : this.text
  }
}
