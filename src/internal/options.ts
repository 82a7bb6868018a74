/**
 * The layer options as an untyped caller may pass them: each one is read once (a throwing getter is a problem,
 * not a crash), checked, and replaced by its default when it cannot be used, with a problem naming it.
 *
 * @internal
 */
import type { Options } from "../OneAgentSdk.ts"

/**
 * @internal The default bound on finished spans not yet exported: a burst of 10,000 concurrent requests of 8 spans
 * each fits whole even while the export has not taken a span yet (its records cost memory only while they wait).
 */
export const defaultBufferSize = 131_072

/** @internal The largest ring of finished spans the engine accepts (about 32 MiB of pointers). */
export const maxBufferSize = 4_194_304

/** @internal */
export interface CheckedOptions {
  readonly options: Options
  /** One line per option that could not be used; empty when all were fine. */
  readonly problems: ReadonlyArray<string>
}

type Check = (value: unknown) => boolean

const isBoolean: Check = (v) => typeof v === "boolean"
const isFunction: Check = (v) => typeof v === "function"
const isObject: Check = (v) => typeof v === "object" && v !== null
const isStringArray: Check = (v) => Array.isArray(v) && v.every((s) => typeof s === "string")
const isNameList: Check = (v) => Array.isArray(v) && v.every((s) => typeof s === "string" || s instanceof RegExp)
// RFC 9110 method tokens.
const isMethodList: Check = (v) =>
  isStringArray(v) && (v as Array<string>).every((s) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s))
const isIntegerIn = (min: number, max: number): Check => (v) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max

// What each option must be, in words for the problem line.
const checks: Record<keyof Options, readonly [Check, string]> = {
  diagnosticCallback: [isFunction, "a function"],
  verboseCallback: [isFunction, "a function"],
  sampler: [isObject, "a Sampler"],
  trackOpenSpans: [isBoolean, "a boolean"],
  bufferSize: [isIntegerIn(1, maxBufferSize), `an integer from 1 to ${maxBufferSize.toLocaleString("en-US")}`],
  maxAttributes: [isIntegerIn(1, 65_535), "an integer from 1 to 65,535"],
  console: [isBoolean, "a boolean"],
  logLevel: [(v) => v === "off" || v === "finest", `"off" or "finest"`],
  nativeModulePath: [(v) => typeof v === "string" && v.trim() !== "", "a non-empty path"],
  export: [isObject, "an object"],
  effectSpans: [isBoolean, "a boolean"],
  logEvents: [isBoolean, "a boolean"],
  exportInterval: [
    (v) => typeof v === "number" && v >= 1 && v <= 3_600_000,
    "a number of milliseconds from 1 to 3,600,000"
  ],
  forkable: [isBoolean, "a boolean"],
  captureHeaders: [(v) => v === "all" || v === "none" || isStringArray(v), `"all", "none" or an array of names`],
  redactHeaders: [isStringArray, "an array of names"],
  redactNames: [isNameList, "an array of names and RegExps"],
  keepNames: [isNameList, "an array of names and RegExps"],
  knownHttpMethods: [isMethodList, "an array of HTTP method names"],
  maskSqlLiterals: [isBoolean, "a boolean"]
}

/** @internal */
export const checkOptions = (raw: unknown): CheckedOptions => {
  if (raw === undefined) return { options: {}, problems: [] }
  if (typeof raw !== "object" || raw === null) {
    return { options: {}, problems: ["the options must be an object; using the defaults"] }
  }
  const options: Record<string, unknown> = {}
  const problems: Array<string> = []
  for (const key of Object.keys(checks) as Array<keyof Options>) {
    let value: unknown
    try {
      value = (raw as Record<string, unknown>)[key]
    } catch {
      problems.push(`the option ${key} could not be read; using its default`)
      continue
    }
    if (value === undefined) continue
    const [check, expected] = checks[key]
    if (check(value)) options[key] = value
    else problems.push(`the option ${key} must be ${expected}; using its default`)
  }
  return { options: options as Options, problems }
}
