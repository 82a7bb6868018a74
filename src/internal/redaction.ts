/**
 * The one redaction rule for names that carry credentials: request and response headers, query parameters and
 * request parameters are all judged by it, in attributes and in failure text alike (docs/security.md lists it).
 *
 * @internal
 */
import { UrlParams } from "effect/http"
import { clip } from "./attributes.ts"

/** @internal What a redacted header or parameter value is recorded as. */
export const REDACTED = "[REDACTED]"

/** @internal Headers recorded as `[REDACTED]` whatever the configuration says. */
export const alwaysRedacted: ReadonlyArray<string> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

/**
 * @internal Parts that mark a credential anywhere in a name, lower-cased with everything but letters and digits
 * removed (`X-Auth-Token`, `client_secret`, `PHPSESSID`, `X-Amz-Credential`, `AWSAccessKeyId`).
 */
export const credentialParts: ReadonlyArray<string> = [
  "token",
  "secret",
  "passw",
  "pwd",
  "credential",
  "signature",
  "session",
  "sessid",
  "apikey",
  "accesskey",
  "privatekey",
  "authoriz",
  "authenticat",
  "oauth",
  "csrf",
  "xsrf",
  "jwt"
]

/**
 * @internal Words that mark a credential when they are a whole word of a name (split at anything but letters and
 * digits, and between a lower-case and an upper-case letter): `x-api-key`, `sig`, `connect.sid`, `xAuth`. As whole
 * words only, so `keyword`, `author` and `:authority` are not credentials.
 */
export const credentialWords: ReadonlyArray<string> = ["auth", "key", "sig", "sid", "pass", "otp"]

// HTTP's authentication challenges name a scheme and a realm, never a secret, and say why a request was refused.
const challenges = new Set(["www-authenticate", "proxy-authenticate"])
const words = new Set(credentialWords)

/**
 * Whether a name looks like a credential by the default patterns ({@link credentialParts}, {@link credentialWords}).
 *
 * @internal
 */
export const isCredentialName = (name: string): boolean => {
  const lower = name.toLowerCase()
  if (challenges.has(lower)) return false
  const compact = lower.replace(/[^a-z0-9]+/g, "")
  for (const part of credentialParts) if (compact.includes(part)) return true
  for (const word of name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/)) {
    if (words.has(word)) return true
  }
  return false
}

/** @internal Names or patterns as the options give them. */
export type NamePatterns = ReadonlyArray<string | RegExp>

/**
 * The rule of one configuration: whether a name (of a header, a query parameter or a request parameter) is recorded
 * as `[REDACTED]`. Always for {@link alwaysRedacted} and `redact`; otherwise by the default patterns unless `keep`
 * names it. Strings are names compared case-insensitively; patterns are tested against the lower-case name.
 *
 * @internal
 */
export const makeRule = (redact: NamePatterns, keep: NamePatterns): (name: string) => boolean => {
  const redactMatches = matcher([...alwaysRedacted, ...redact])
  const keepMatches = matcher(keep)
  // Names repeat on every request; the cache is bounded, as the names come from whoever sends the request.
  const cache = new Map<string, boolean>()
  return (name) => {
    let redacted = cache.get(name)
    if (redacted === undefined) {
      const lower = name.toLowerCase()
      redacted = redactMatches(lower) || (!keepMatches(lower) && isCredentialName(name))
      if (cache.size >= 1_024) cache.clear()
      cache.set(name, redacted)
    }
    return redacted
  }
}

const matcher = (patterns: NamePatterns): (lower: string) => boolean => {
  const names = new Set<string>()
  const regexps: Array<RegExp> = []
  for (const pattern of patterns) {
    if (typeof pattern === "string") names.add(pattern.toLowerCase())
    // Without the g and y flags, whose lastIndex would make `test` answer differently on the next name.
    else regexps.push(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")))
  }
  return (lower) => names.has(lower) || regexps.some((r) => r.test(lower))
}

/** @internal The default rule: {@link alwaysRedacted} and the default patterns. */
export const defaultRule: (name: string) => boolean = makeRule([], [])

// Query parameter names are percent-encoded, with `+` for a space.
const decodeName = (name: string): string => {
  if (!name.includes("%") && !name.includes("+")) return name
  try {
    return decodeURIComponent(name.replace(/\+/g, " "))
  } catch {
    return name
  }
}

/**
 * Redacts the values of the `name=value` pairs of a query (or a fragment) whose names the rule redacts, as
 * OpenTelemetry's `url.query` asks: `REDACTED`.
 *
 * @internal
 */
export const redactParameters = (query: string, redacts: (name: string) => boolean): string => {
  if (!query.includes("=")) return query
  return query.split("&").map((part) => {
    const eq = part.indexOf("=")
    return eq > 0 && redacts(decodeName(part.slice(0, eq))) ? `${part.slice(0, eq + 1)}REDACTED` : part
  }).join("&")
}

/**
 * Redacts a URL as OpenTelemetry's `url.full` asks: userinfo as `REDACTED:REDACTED` (effect's WHATWG-faithful
 * reading, which also applies the fiber's `UrlParams.CurrentRedactedNames`), and the values of credential query and
 * fragment parameters (an OAuth implicit grant puts its token in the fragment) as `REDACTED`. A URL `cut` at its limit
 * is redacted as if the part it was cut in went on to a `@`: a cut inside the authority masks all of it.
 *
 * @internal
 */
export const redactUrl = (url: string, redacts: (name: string) => boolean, cut: boolean = false): string => {
  const base = cut ? UrlParams.redactUrl(`${url}@`).replace(/@$/, "") : UrlParams.redactUrl(url)
  const query = base.indexOf("?")
  const hash = base.indexOf("#")
  if (query === -1 && hash === -1) return base
  if (query === -1 || (hash !== -1 && hash < query)) {
    return base.slice(0, hash + 1) + redactParameters(base.slice(hash + 1), redacts)
  }
  if (hash === -1) return base.slice(0, query + 1) + redactParameters(base.slice(query + 1), redacts)
  return base.slice(0, query + 1) + redactParameters(base.slice(query + 1, hash), redacts) + "#" +
    redactParameters(base.slice(hash + 1), redacts)
}

// URLs in free text, up to the first character a URL in a message does not have. Every run these patterns scan is
// bounded (a scheme) or ends where the next match could start, so a hostile text costs linear time.
const urlsInText = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>`]+/gi
// The userinfo of a URL without a scheme ("//user:password@host").
const userinfoInText = /(^|[^:\w])\/\/([^\s/?#@"'<>`]+)@/g
// A `name=value` pair after `?` or `&`, also of a URL without a scheme ("GET /reset?token=...").
const parametersInText = /([?&])([^\s=&#?"'<>`]+)=([^\s&#"'<>`]*)/g
// The credential of an Authorization header that a client library echoed.
const schemesInText = /\b(Bearer|Api-Token)\s+[A-Za-z0-9._~+/=-]+/g

/**
 * Redacts credentials in free text (an exception's message and stack, a status message): the userinfo and credential
 * parameters of every URL in it (with or without a scheme), any `?name=value` / `&name=value` whose name the rule
 * redacts, and the credential after `Bearer` or `Api-Token`. Linear in the text; the caller bounds how much of it is
 * read.
 *
 * @internal
 */
export const redactText = (text: string, redacts: (name: string) => boolean): string => {
  if (text === "") return text
  let out = text.includes("://") ? text.replace(urlsInText, (url) => safely(() => redactUrl(url, redacts))) : text
  if (out.includes("@")) out = out.replace(userinfoInText, "$1//REDACTED:REDACTED@")
  if (out.includes("=")) {
    out = out.replace(parametersInText, (whole, separator: string, name: string) =>
      redacts(decodeName(name)) ? `${separator}${name}=REDACTED` : whole)
  }
  return out.replace(schemesInText, (_, scheme: string) => `${scheme} ${REDACTED}`)
}

// A URL whose redaction throws (fiber redaction names from an untyped caller that cannot be matched) is not kept.
const safely = (redact: () => string): string => {
  try {
    return redact()
  } catch {
    return REDACTED
  }
}

/**
 * Failure text (an exception's message or stack, recorded up to `limit` characters) with its credentials redacted
 * ({@link redactText}). Only a bounded prefix is read, so a huge message costs no more than a few times its limit.
 *
 * @internal
 */
export const redactFailureText = (text: string, limit: number, redacts: (name: string) => boolean): string =>
  redactText(clip(text, 4 * limit), redacts)

const headerPrefixes = ["http.request.header.", "http.response.header."]

/**
 * An attribute that Effect's own spans record (effect/http's server and client spans record headers and URLs with
 * effect's redactions only) with the SDK's rule applied too: header values of credential names as `[REDACTED]`, and
 * `url.full` / `url.query` redacted as the tracers record them.
 *
 * @internal
 */
export const redactAttribute = <A>(key: string, value: A, redacts: (name: string) => boolean): A | string => {
  if (typeof value !== "string") return value
  if (key === "url.full") return safely(() => redactUrl(value, redacts))
  if (key === "url.query") return safely(() => redactUrl(`?${value}`, redacts).slice(1))
  for (const prefix of headerPrefixes) {
    if (key.startsWith(prefix)) return redacts(key.slice(prefix.length)) ? REDACTED : value
  }
  return value
}
