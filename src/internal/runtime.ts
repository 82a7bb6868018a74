/**
 * The tracer rules, in one place for production and for the strict test layer: start a span from the
 * fiber's parent, end it from an Exit, and turn every engine status into a diagnostic (or, when strict,
 * a test failure). Nothing here throws into the application unless strict mode asks it to.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import { fileURLToPath } from "node:url"
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import type { AttributeValue } from "./addon.ts"
import { Counter, Kind, Limit, StartFlag, Status } from "./codes.ts"
import { clip, type Engine, genericTemplate, keyId, KeysFull, maxKeys, type Template, templateId } from "./engine.ts"
import * as Unsampled from "./unsampled.ts"

/**
 * The span the current fiber runs in: a native handle, 0 outside any trace, or the context of an unsampled
 * span kept without the engine (unsampled.ts). Carried by the Effect context, so each fiber (and every fiber
 * it forks) has its own parent.
 *
 * @internal
 */
export const CurrentSpan = Context.Reference<number | string>("effect-oneagent/CurrentSpan", {
  defaultValue: () => 0
})

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

/** @internal What gets recorded of sensitive data (SPEC §5). */
export interface DataSettings {
  /** Which request/response headers are recorded: all, none, or these (lower-case) names. */
  readonly captureHeaders: "all" | "none" | ReadonlySet<string>
  /** Headers recorded as `[REDACTED]` (lower-case), besides the always-sensitive ones. */
  readonly redactHeaders: ReadonlySet<string>
  /** Record SQL statements with their literals replaced by `?`. */
  readonly maskSqlLiterals: boolean
}

/** @internal */
export const defaultDataSettings: DataSettings = {
  captureHeaders: "all",
  redactHeaders: new Set(),
  maskSqlLiterals: false
}

/** @internal The options that set DataSettings; part of `OneAgentSdk.Options`. */
export interface DataOptions {
  readonly captureHeaders?: "all" | "none" | ReadonlyArray<string> | undefined
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  readonly maskSqlLiterals?: boolean | undefined
}

/** @internal */
export const dataSettingsOf = (options: DataOptions): DataSettings => ({
  captureHeaders: options.captureHeaders === undefined || options.captureHeaders === "all"
    ? "all"
    : options.captureHeaders === "none"
    ? "none"
    : new Set(options.captureHeaders.map((h) => h.toLowerCase())),
  redactHeaders: new Set((options.redactHeaders ?? []).map((h) => h.toLowerCase())),
  maskSqlLiterals: options.maskSqlLiterals ?? false
})

/** @internal Everything a tracer call needs: the engine (absent when tracing is off) and how to report. */
export interface Runtime {
  readonly engine: Engine | undefined
  readonly strict: boolean
  readonly callbacks: Callbacks
  readonly data?: DataSettings | undefined
  /** Where each open span was started (an Error whose stack is formatted on demand), when tracking is on. */
  readonly starts?: Map<number, Error> | undefined
  /** The ids of the spans started through this runtime (test layers, so each reads only its own spans). */
  readonly recorded?: Set<string> | undefined
  /** No tracing here (forkable primary): calls are ignored with a diagnostic. */
  readonly ignoreReason: string | undefined
  released: boolean
}

const describe: Record<number, string> = {
  [Status.StaleHandle]: "the tracer is not known (its span ended long ago, or it came from another SDK instance)",
  [Status.AlreadyEnded]: "the tracer has already ended",
  [Status.NoParent]: "this tracer is only recorded inside another trace, and there is none",
  [Status.TableFull]: "too many open spans (262,143); the span was not created",
  [Status.NoServiceCall]: "there is no open service call (incoming remote call, custom service, incoming web " +
    "request or message process) in the current fiber to attach the attribute to",
  [Status.BadTag]: "the incoming tag could not be parsed; a new trace was started",
  [Status.StaleParent]: "the parent span is no longer known; a new trace was started",
  [Status.ShutDown]: "the SDK was shut down; the call was ignored",
  [Status.BadTemplate]: "internal error: unknown span template",
  [Status.OutOfMemory]: "the engine is out of memory; nothing was recorded"
}

// Benign outcomes go to the verbose callback; all others are misuse or unexpected events.
const benign = new Set<number>([Status.BadTag])
// Outcomes the strict test layer does not treat as misuse: unexpected events, not API usage errors.
const notMisuse = new Set<number>([Status.BadTag, Status.TableFull, Status.OutOfMemory])

/**
 * Reports an engine status from `operation`. Strict runtimes throw a {@link MisuseError} for misuse, so
 * the test that caused it fails; otherwise the callbacks are called and any error they throw is swallowed.
 *
 * @internal
 */
export const report = (runtime: Runtime, status: number, operation: string): void => {
  if (status >= 0) return
  const message = `${operation}: ${describe[status] ?? `engine status ${status}`}`
  if (runtime.strict && !notMisuse.has(status)) throw new MisuseError(message)
  notify(runtime, benign.has(status) || status === Status.NoParent ? "verbose" : "diagnostic", message)
}

/**
 * Reads a tracer's arguments (start options, info objects, headers). Arguments that throw when read (undefined
 * options, a Proxy, a getter, a `toString`) are misuse: reported, and `undefined` so nothing is traced and the
 * application's effect runs unchanged. A strict runtime's own MisuseError passes through.
 *
 * @internal
 */
export const readArguments = <A>(runtime: Runtime, operation: string, read: () => A): A | undefined => {
  try {
    return read()
  } catch (error) {
    if (error instanceof MisuseError) throw error
    const reason = describeFailure(error).message
    misuse(runtime, `${operation}: its arguments could not be read (${reason}); nothing is traced`)
    return undefined
  }
}

/**
 * The engine for a call on an existing span: undefined when tracing is off, or (reported) when the engine that made
 * the handle was shut down. Its handles must never reach a newer engine, where the same number can name another span.
 *
 * @internal
 */
export const engineOf = (runtime: Runtime, operation: string): Engine | undefined => {
  const engine = runtime.engine
  if (engine === undefined) return undefined
  if (engine.closed) {
    report(runtime, Status.ShutDown, operation)
    return undefined
  }
  return engine
}

/** @internal Reports a misuse that the TypeScript side detects (bad arguments, both tags, ...). */
export const misuse = (runtime: Runtime, message: string): void => {
  if (runtime.strict) throw new MisuseError(message)
  notify(runtime, "diagnostic", message)
}

/**
 * Calls the callback for `level`. A diagnostic goes to the verbose callback when no diagnostic callback
 * is set, since the verbose one is documented as a superset.
 *
 * @internal
 */
export const notify = (runtime: Runtime, level: "diagnostic" | "verbose", message: string): void => {
  const callback = level === "diagnostic"
    ? runtime.callbacks.diagnostic ?? runtime.callbacks.verbose
    : runtime.callbacks.verbose
  if (callback === undefined) return
  try {
    callback(message)
  } catch {
    // A callback is a development aid; its failure must not reach the traced application.
  }
}

/** @internal What a tracer starts from besides its parent. */
export interface StartOptions {
  readonly template: Template
  /** An incoming tag: W3C traceparent (also from X-dynaTrace) ... */
  readonly stringTag?: string | undefined
  /** ... or its binary form. Both at once is misuse: both are ignored. */
  readonly byteTag?: Uint8Array | undefined
  readonly traceState?: string | undefined
  /** An in-process link to continue. */
  readonly link?: { readonly handle: number; readonly context: string } | undefined
  /** Per-span attributes as [key, value, limit] triples, set right after the start. */
  readonly attributes?: ReadonlyArray<AttributeValue> | undefined
  /** Where the tracer was created in the application, when open-span tracking is on. */
  readonly site?: Error | undefined
  /** Problems with per-span arguments, reported as misuse when the span starts. */
  readonly problems?: ReadonlyArray<string> | undefined
  /** The caller needs an engine handle even for an unsampled span (an Effect span object wraps it). */
  readonly needsHandle?: boolean | undefined
}

/**
 * Starts a span under `parent` and returns its handle; or, for an unsampled span kept without the engine, its
 * context; or 0 when none was created (tracing off, by rule, or on an error already reported).
 *
 * @internal
 */
export const start = (
  runtime: Runtime,
  parent: number | string,
  options: StartOptions,
  operation: string,
  effectParent: number | string = 0,
  decided?: typeof SampledRoot | typeof EngineDecides
): number | string => {
  const engine = runtime.engine
  if (engine === undefined) {
    if (runtime.ignoreReason !== undefined) notify(runtime, "diagnostic", `${operation}: ${runtime.ignoreReason}`)
    return 0
  }
  if (runtime.released || engine.closed) {
    report(runtime, Status.ShutDown, operation)
    return 0
  }
  const addon = engine.addon
  let t = options.template
  for (const problem of t.problems) misuse(runtime, `${operation}: ${problem}`)
  if (options.problems !== undefined) for (const problem of options.problems) misuse(runtime, `${operation}: ${problem}`)
  let id = templateId(engine, t)
  const fallback = id <= 0
  if (fallback) id = templateId(engine, t = genericTemplate(t.kind, t.flags))
  engine.counters[Counter.LastNote] = 0
  let tag = continuedTag(incomingTag(runtime, options, operation), parent, effectParent)
  // Parent-based sampling may decide without the engine (unless `decided` says it did already); a string is an
  // unsampled span's context.
  const decision = decided ?? decide(runtime, engine, parent, options, tag, effectParent)
  if (typeof decision === "string") return decision
  let traceState = traceStateOf(options.traceState)
  if (typeof parent === "string") {
    // An unsampled context from the JS side, where the engine must make the span: it continues it as a tag (with
    // the tracestate the context carries).
    if (tag === undefined) {
      tag = Unsampled.traceparentOf(parent)
      traceState = Unsampled.carriedTraceState(parent)
    }
    parent = 0
  }
  const handle = options.link !== undefined
    ? addon.span_start_linked(options.link.handle, id, options.link.context)
    : tag !== undefined
    ? addon.span_start_tagged(parent, id, tag, traceState)
    : typeof effectParent === "number" && effectParent > 0
    ? addon.span_start_nested(parent, effectParent, id)
    : addon.span_start(parent, id, decision === SampledRoot ? 1 : 0)
  const note = engine.counters[Counter.LastNote]!
  if (note !== 0) report(runtime, note, operation)
  if (handle <= 0) {
    report(runtime, handle, operation)
    return 0
  }
  if (tag !== undefined && typeof parent === "number" && parent > 0 && note === 0) {
    // A tag took the span out of the local span it runs in (a message processed inside the receive that got it):
    // a link keeps the way back to it.
    const local = addon.span_tag(parent, true)
    if (typeof local === "string") addon.span_link(handle, local, [])
  }
  if (fallback) {
    addon.span_name(handle, options.template.name)
    setAttributes(runtime, engine, handle, options.template.attributes)
  }
  if (options.attributes !== undefined) setAttributes(runtime, engine, handle, options.attributes)
  if (runtime.starts !== undefined) runtime.starts.set(handle, options.site ?? new Error())
  if (runtime.recorded !== undefined) {
    const spanId = spanIdOf(engine, handle)
    if (spanId !== undefined) runtime.recorded.add(spanId)
  }
  return handle
}

/** @internal The span id of an engine span (ended or not), or undefined for a handle that no longer resolves. */
export const spanIdOf = (engine: Engine, handle: number): string | undefined => {
  const tag = engine.addon.span_tag(handle, true)
  // "00-<trace id>-<span id>-<flags>"
  return typeof tag === "string" ? tag.slice(36, 52) : undefined
}

/** @internal A new root the ratio keeps: the engine gives it a trace id the ratio agrees with. */
export const SampledRoot = 1 as const

/** @internal Nothing to decide without the engine: it starts the span from its parent or tag as usual. */
export const EngineDecides = 0 as const

/**
 * The W3C `tracestate` a span keeps and sends on: one that parses as W3C trace context level 1 defines it (at most
 * 32 members `key=value`, keys unique), cut to 512 characters between members (from the end, as W3C allows). One
 * that does not parse is not propagated, as W3C requires.
 *
 * @internal
 */
export const traceStateOf = (raw: unknown): string => {
  if (typeof raw !== "string" || raw === "") return ""
  const members: Array<string> = []
  const keys = new Set<string>()
  for (const part of raw.split(",")) {
    const member = part.replace(/^[ \t]+|[ \t]+$/g, "")
    if (member === "") continue
    const match = traceStateMember.exec(member)
    if (match === null || keys.has(match[1]!)) return ""
    keys.add(match[1]!)
    members.push(member)
  }
  if (members.length > 32) return ""
  let kept = ""
  for (const member of members) {
    const next = kept === "" ? member : `${kept},${member}`
    if (next.length > maxTraceState) break
    kept = next
  }
  return kept
}

// key "=" value, from the W3C grammar: a simple or multi-tenant key, and a value of printable characters other than
// "," and "=" that does not end in a space.
const traceStateMember =
  /^([a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$/

const maxTraceState = 512

// The tag a span continues: its own incoming tag; else, with no SDK parent, the remote context of Effect's current
// span (one that came in over HTTP). Effect's engine spans are a parent too: start_nested takes the deeper one.
const continuedTag = (
  tag: string | Uint8Array | undefined,
  parent: number | string,
  effectParent: number | string
): string | Uint8Array | undefined =>
  tag !== undefined ? tag : typeof effectParent === "string" && parent === 0 ? effectParent : undefined

/**
 * Parent-based sampling's decisions that need no engine span: the context of an unsampled span (its unsampled
 * parent's, an unsampled incoming tag, or a new root the ratio leaves out; counted here), {@link SampledRoot} for a
 * new root the ratio keeps, or {@link EngineDecides}. Not where a span's use must be checked (the
 * strict test layer) or an engine span must wrap it (Effect spans), nor for in-process links (they name a span).
 */
const decide = (
  runtime: Runtime,
  engine: Engine,
  parent: number | string,
  options: StartOptions,
  tag: string | Uint8Array | undefined,
  effectParent: number | string
): string | typeof SampledRoot | typeof EngineDecides => {
  if (runtime.strict || options.needsHandle === true || !engine.parentBased || options.link !== undefined) {
    return EngineDecides
  }
  if (tag !== undefined) {
    const continues = typeof tag === "string" && (parent === 0 || typeof parent === "string") && Unsampled.isUnsampled(tag)
    // The context carries the tracestate, which must travel on with the trace.
    return continues ? keptOut(engine, Unsampled.withTraceState(tag, traceStateOf(options.traceState))) : EngineDecides
  }
  if (typeof parent === "string") return keptOut(engine, parent)
  if (parent !== 0 || effectParent !== 0 || engine.sampleRatio >= 1) return EngineDecides
  if (options.template.flags & StartFlag.RequireParent) return EngineDecides
  if (Unsampled.sampleRoot(engine.sampleRatio)) return SampledRoot
  const context = Unsampled.rootContext(engine)
  return context === 0 ? EngineDecides : keptOut(engine, context)
}

/**
 * The fast path of {@link start}, before any span exists: the same decision when there is nothing to report. A
 * string is an unsampled span's context, for the caller to run its effect in; otherwise the caller starts the span
 * with {@link start}, passing the decision on (undefined: there is something to report, so `start` decides).
 *
 * @internal
 */
export const decideUnsampled = (
  runtime: Runtime,
  parent: number | string,
  options: StartOptions,
  effectParent: number | string
): string | typeof SampledRoot | typeof EngineDecides | undefined => {
  const engine = runtime.engine
  if (engine === undefined || engine.closed || runtime.released) return
  if (options.problems !== undefined || options.template.problems.length > 0) return
  const { byteTag, stringTag } = options
  if (byteTag !== undefined && stringTag !== undefined) return
  const tag = continuedTag(stringTag ?? byteTag, parent, effectParent)
  return decide(runtime, engine, parent, options, tag, effectParent)
}

// An unsampled span without the engine: counted as started, ended and unsampled at once (it holds nothing open).
const keptOut = (engine: Engine, context: string): string => {
  const counters = engine.counters
  counters[Counter.Started]!++
  counters[Counter.Ended]!++
  counters[Counter.Unsampled]!++
  return context
}

const incomingTag = (runtime: Runtime, options: StartOptions, operation: string): string | Uint8Array | undefined => {
  const { byteTag, stringTag } = options
  if (stringTag === undefined) return byteTag
  if (byteTag === undefined) return stringTag
  misuse(runtime, `${operation}: both a string and a byte tag were given; both are ignored`)
  return undefined
}

/**
 * Layers that track where spans start. While there are any, tracers capture an Error where the
 * application creates them (its stack is only formatted when a report needs it).
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

const setAttributes = (runtime: Runtime, engine: Engine, handle: number, triples: ReadonlyArray<AttributeValue>) => {
  for (let i = 0; i + 2 < triples.length; i += 3) {
    const id = attributeKey(runtime, engine, triples[i] as string)
    if (id !== KeysFull) engine.addon.span_attr(handle, id, triples[i + 1]!, triples[i + 2] as number)
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

let interruptedKey = -1
let interruptedEpoch = -1

/**
 * Ends a span from an Exit: a failure (typed error or defect) marks it failed with an exception event;
 * an interruption is not a failure and sets `effect.fiber.interrupted`.
 *
 * @internal
 */
export const endWithExit = (runtime: Runtime, handle: number, exit: Exit.Exit<unknown, unknown>, operation: string) => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  const addon = engine.addon
  if (exit._tag === "Failure") {
    const cause = exit.cause
    if (Cause.hasInterrupts(cause)) {
      if (interruptedEpoch !== engine.epoch) {
        interruptedKey = keyId(engine, "effect.fiber.interrupted")
        interruptedEpoch = engine.epoch
      }
      addon.span_attr(handle, interruptedKey, true)
    }
    if (!Cause.hasInterruptsOnly(cause)) {
      const failure = describeFailure(Cause.squash(cause))
      addon.span_fail(handle, failure.type, failure.message, failure.stack)
    }
  }
  runtime.starts?.delete(handle)
  report(runtime, addon.span_end(handle), operation)
}

/** @internal Sets a status without an exception event (HTTP error codes). */
export const setStatus = (runtime: Runtime, handle: number, code: 0 | 1 | 2, message: string, operation: string) => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  report(runtime, engine.addon.span_status(handle, code, message), operation)
}

/** @internal Sets an attribute on an open span, with the string limit of its key. */
export const setAttribute = (
  runtime: Runtime,
  handle: number,
  key: string,
  value: AttributeValue,
  operation: string,
  limit: number = Limit.Default
): void => {
  const engine = handle > 0 ? engineOf(runtime, operation) : undefined
  if (engine === undefined) return
  const id = attributeKey(runtime, engine, key)
  if (id === KeysFull) return
  report(runtime, engine.addon.span_attr(handle, id, value, limit), operation)
  // The engine cuts a long key as it cuts a long value; the cut is marked the same way.
  const kept = clip(key, Limit.Default)
  if (kept !== key) engine.addon.span_attr(handle, keyId(engine, truncatedKey), kept, Limit.Default)
}

/** @internal The attribute naming what was cut to its limit (as the engine sets it for values). */
export const truncatedKey = "oneagent.truncated"

/**
 * The interned id of an attribute key, or {@link KeysFull}: then the attribute is dropped, counted with the dropped
 * attributes, and reported once per engine.
 *
 * @internal
 */
export const attributeKey = (runtime: Runtime, engine: Engine, key: string): number => {
  const id = keyId(engine, key)
  if (id === KeysFull) {
    engine.counters[Counter.DroppedAttributes]!++
    if (!keysFullReported.has(engine)) {
      keysFullReported.add(engine)
      notify(runtime, "diagnostic", `${maxKeys.toLocaleString("en-US")} distinct header and parameter names are ` +
        `recorded: attributes with new ones are dropped (set captureHeaders to the headers you need)`)
    }
  }
  return id
}

const keysFullReported = new WeakSet<Engine>()

/** @internal */
export { Kind, StartFlag }
