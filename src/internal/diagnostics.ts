/**
 * How the library reports: engine statuses and API misuse become calls of the diagnostic and verbose callbacks
 * (a development aid that must never reach the application), or, in the strict test layer, a defect that fails
 * the test. Also the helpers that describe failures and call sites without ever throwing.
 *
 * @internal
 */
import * as Fiber from "effect/Fiber"
import { fileURLToPath } from "node:url"
import { Status } from "./codes.ts"

/** @internal A defect raised by the strict test layer on API misuse. */
export class MisuseError extends Error {
  readonly _tag = "OneAgentMisuseError"
  constructor(message: string) {
    super(message)
    this.name = "OneAgentMisuseError"
  }
}

/** @internal */
export interface Callbacks {
  diagnostic: ((message: string) => void) | undefined
  verbose: ((message: string) => void) | undefined
}

/** @internal Where reports go: the callbacks, and whether misuse fails the test instead (strict test layer). */
export interface Reporter {
  readonly strict: boolean
  readonly callbacks: Callbacks
  /**
   * The strict layer's misuse from fibers other than the test's own (a detached fiber, a handler of a server the test
   * started): kept here, as a production layer would go on there, and raised when the test queries or releases the
   * layer. Misuse in the test's own fiber is raised where it happens.
   */
  readonly misuses?: MisuseLog | undefined
}

/** @internal */
export interface MisuseLog {
  /** The id of the fiber that acquired the test layer: the test's own. */
  readonly fiber: number | undefined
  readonly pending: Array<MisuseError>
}

const describe: Record<number, string> = {
  [Status.StaleHandle]: "the tracer is not known (its span ended long ago, or it came from another SDK instance)",
  [Status.AlreadyEnded]: "the tracer has already ended",
  [Status.NoParent]: "this tracer is only recorded inside another trace, and there is none",
  [Status.TableFull]: "too many open spans (262,143); the span was not created",
  [Status.NoServiceCall]: "there is no open service call (incoming remote call, custom service, incoming web " +
    "request or message process) in the current fiber to attach the attribute to",
  [Status.BadTag]: "the incoming tag could not be parsed; a new trace was started",
  [Status.ShutDown]: "the SDK was shut down; the call was ignored",
  [Status.BadTemplate]: "internal error: unknown span template",
  [Status.OutOfMemory]: "the engine is out of memory; nothing was recorded"
}

// Benign outcomes go to the verbose callback; all others are misuse or unexpected events.
const verboseStatuses = new Set<number>([Status.BadTag, Status.NoParent])
// Outcomes the strict test layer does not treat as misuse: unexpected events, not API usage errors.
const notMisuse = new Set<number>([Status.BadTag, Status.TableFull, Status.OutOfMemory])

/**
 * Reports an engine status from `operation` (nothing for a status ≥ 0): misuse, or an unexpected or benign event.
 *
 * @internal
 */
export const report = (reporter: Reporter, status: number, operation: string): void => {
  if (status >= 0) return
  const message = `${operation}: ${describe[status] ?? `engine status ${status}`}`
  if (reporter.strict && !notMisuse.has(status)) return misuse(reporter, message)
  notify(reporter, verboseStatuses.has(status) ? "verbose" : "diagnostic", message)
}

/**
 * Reports API misuse that the TypeScript side detects (bad arguments, both tags, ...) or the engine reported: the
 * diagnostic callback, or for a strict reporter a {@link MisuseError} thrown so the test that caused it fails.
 *
 * @internal
 */
export const misuse = (reporter: Reporter, message: string): void => {
  if (reporter.strict) {
    const error = new MisuseError(message)
    const log = reporter.misuses
    if (log === undefined || Fiber.getCurrent()?.id === log.fiber) throw error
    log.pending.push(error)
  }
  notify(reporter, "diagnostic", message)
}

/**
 * One defect for the misuse the strict layer kept (see {@link Reporter.misuses}), each with where it happened; the
 * log is emptied, so each is raised once.
 *
 * @internal
 */
export const takeMisuses = (log: MisuseLog): MisuseError | undefined => {
  if (log.pending.length === 0) return undefined
  const all = log.pending.splice(0)
  const lines = all.map((error) => {
    const where = callSite(error)
    return `- ${error.message}${where === "" ? "" : `\n    at ${where.split("\n").join("\n    ")}`}`
  })
  return new MisuseError(`${all.length} misuse(s) outside the test's own fiber:\n${lines.join("\n")}`)
}

/**
 * Calls the callback for `level`. A diagnostic goes to the verbose callback when no diagnostic callback is set,
 * since the verbose one is documented as a superset. Whatever the callback throws is swallowed.
 *
 * @internal
 */
export const notify = (reporter: Reporter, level: "diagnostic" | "verbose", message: string): void => {
  const callback = level === "diagnostic"
    ? reporter.callbacks.diagnostic ?? reporter.callbacks.verbose
    : reporter.callbacks.verbose
  if (callback === undefined) return
  try {
    callback(message)
  } catch {
    // A callback is a development aid; its failure must not reach the traced application.
  }
}

/**
 * Reads a tracer's arguments (start options, info objects, headers). Arguments that throw when read (undefined
 * options, a Proxy, a getter, a `toString`) are misuse: reported, and `undefined` so nothing is traced and the
 * application's effect runs unchanged. A strict reporter's own MisuseError passes through.
 *
 * @internal
 */
export const readArguments = <A>(reporter: Reporter, operation: string, read: () => A): A | undefined => {
  try {
    return read()
  } catch (error) {
    if (error instanceof MisuseError) throw error
    const reason = describeFailure(error).message
    misuse(reporter, `${operation}: its arguments could not be read (${reason}); nothing is traced`)
    return undefined
  }
}

/** @internal The `_tag` (or class name) and message of a failure, never throwing. */
export const describeFailure = (error: unknown): { type: string; message: string; stack: string } => {
  try {
    if (typeof error === "object" && error !== null) {
      const e = error as { _tag?: unknown; name?: unknown; message?: unknown; stack?: unknown }
      const type = typeof e._tag === "string"
        ? e._tag
        : typeof e.name === "string" && e.name !== "Error"
        ? e.name
        : error.constructor?.name ?? "Error"
      const message = typeof e.message === "string" ? e.message : plainText(error)
      return { type, message, stack: typeof e.stack === "string" ? e.stack : "" }
    }
    return { type: typeof error, message: safeString(error), stack: "" }
  } catch {
    return { type: "unknown", message: "", stack: "" }
  }
}

// A failure value that is a plain object says more as JSON than as "[object Object]".
const plainText = (value: object): string => {
  const text = safeString(value)
  if (text !== "[object Object]") return text
  try {
    return JSON.stringify(value) ?? text
  } catch {
    return text
  }
}

/** @internal `String(value)` that never throws (a throwing `toString`, `Symbol.toPrimitive` or Proxy trap). */
export const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return ""
  }
}

/**
 * Layers that track where spans start. While there are any, tracers capture an Error where the application
 * creates them (its stack is only formatted when a report needs it).
 *
 * @internal
 */
export const tracking = { layers: 0 }

/** @internal An Error at the current call site when tracking is on, else undefined. */
export const captureSite = (): Error | undefined => (tracking.layers > 0 ? new Error() : undefined)

const libraryDir = fileURLToPath(new URL("..", import.meta.url))

/** @internal The first stack frames outside this library, Effect and Node: where the application is. */
export const callSite = (site: Error): string => {
  const frames = (site.stack ?? "").split("\n").slice(1).map((line) => line.trim()).filter((line) =>
    !line.includes(libraryDir) && !/node_modules[/\\]effect[/\\]/.test(line) && !line.includes("node:internal")
  )
  return frames.slice(0, 3).join("\n")
}
