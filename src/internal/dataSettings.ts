/**
 * What is recorded of sensitive data: which request and response headers are captured, which header, query and
 * request parameter names are recorded as `[REDACTED]` (one rule for all of them, redaction.ts), which HTTP methods
 * are recorded by name, and whether SQL literals are masked.
 *
 * @internal
 */
import { defaultRule, makeRule, type NamePatterns } from "./redaction.ts"

/** @internal */
export interface DataSettings {
  /** Which request/response headers are recorded: all, none, or these (lower-case) names. */
  readonly captureHeaders: "all" | "none" | ReadonlySet<string>
  /** Whether a header, query parameter or request parameter of this name is recorded as `[REDACTED]`. */
  readonly redacts: (name: string) => boolean
  /** The HTTP methods recorded by name; others are `_OTHER`, as OpenTelemetry asks. */
  readonly knownHttpMethods: ReadonlySet<string>
  /** Record SQL statements with their literals replaced by `?`. */
  readonly maskSqlLiterals: boolean
}

/** @internal The options that set DataSettings; part of the layer options. */
export interface DataOptions {
  readonly captureHeaders?: "all" | "none" | ReadonlyArray<string> | undefined
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  readonly redactNames?: NamePatterns | undefined
  readonly keepNames?: NamePatterns | undefined
  readonly knownHttpMethods?: ReadonlyArray<string> | undefined
  readonly maskSqlLiterals?: boolean | undefined
}

/** @internal OpenTelemetry's known methods (RFC 9110, PATCH from RFC 5789, QUERY). */
export const defaultHttpMethods: ReadonlySet<string> = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
  "QUERY"
])

/** @internal */
export const defaults: DataSettings = {
  captureHeaders: "all",
  redacts: defaultRule,
  knownHttpMethods: defaultHttpMethods,
  maskSqlLiterals: false
}

/** @internal */
export const make = (options: DataOptions): DataSettings => ({
  captureHeaders: options.captureHeaders === undefined || options.captureHeaders === "all"
    ? "all"
    : options.captureHeaders === "none"
    ? "none"
    : new Set(options.captureHeaders.map((h) => h.toLowerCase())),
  // redactHeaders is the older name for redactNames, from when only headers were redacted by name.
  redacts: options.redactHeaders === undefined && options.redactNames === undefined && options.keepNames === undefined
    ? defaultRule
    : makeRule([...options.redactHeaders ?? [], ...options.redactNames ?? []], options.keepNames ?? []),
  knownHttpMethods: options.knownHttpMethods === undefined ? defaultHttpMethods : new Set(options.knownHttpMethods),
  maskSqlLiterals: options.maskSqlLiterals ?? false
})
