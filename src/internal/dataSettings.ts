/**
 * What is recorded of sensitive data: which request and response headers are captured, which are recorded as
 * `[REDACTED]`, and whether SQL literals are masked.
 *
 * @internal
 */

/** @internal */
export interface DataSettings {
  /** Which request/response headers are recorded: all, none, or these (lower-case) names. */
  readonly captureHeaders: "all" | "none" | ReadonlySet<string>
  /** Headers recorded as `[REDACTED]` (lower-case), besides the always-sensitive ones. */
  readonly redactHeaders: ReadonlySet<string>
  /** Record SQL statements with their literals replaced by `?`. */
  readonly maskSqlLiterals: boolean
}

/** @internal The options that set DataSettings; part of the layer options. */
export interface DataOptions {
  readonly captureHeaders?: "all" | "none" | ReadonlyArray<string> | undefined
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  readonly maskSqlLiterals?: boolean | undefined
}

/** @internal */
export const defaults: DataSettings = {
  captureHeaders: "all",
  redactHeaders: new Set(),
  maskSqlLiterals: false
}

/** @internal */
export const make = (options: DataOptions): DataSettings => ({
  captureHeaders: options.captureHeaders === undefined || options.captureHeaders === "all"
    ? "all"
    : options.captureHeaders === "none"
    ? "none"
    : new Set(options.captureHeaders.map((h) => h.toLowerCase())),
  redactHeaders: new Set((options.redactHeaders ?? []).map((h) => h.toLowerCase())),
  maskSqlLiterals: options.maskSqlLiterals ?? false
})
