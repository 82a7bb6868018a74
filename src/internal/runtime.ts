/**
 * The state one SDK layer traces with: the engine (absent when tracing is off), how it reports, what it records of
 * sensitive data, and the test layer's bookkeeping. The SDK service carries it, and every tracer reads it from the
 * fiber's context.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DataSettings from "./dataSettings.ts"
import type { Reporter } from "./diagnostics.ts"
import type { Engine } from "./engine.ts"

/** @internal Everything a tracer call needs. */
export interface Runtime extends Reporter {
  readonly engine: Engine | undefined
  readonly data: DataSettings.DataSettings
  /**
   * The open spans started through this runtime, with where each was started (an Error whose stack is formatted on
   * demand) when `captureSites` is on. Kept when open spans are tracked (`trackOpenSpans`, the test layer).
   */
  readonly starts: Map<number, Error | undefined> | undefined
  readonly captureSites: boolean
  /** The span ids started through this runtime (test layers, so each reads only its own spans). */
  readonly recorded: Set<string> | undefined
  /** No tracing here (forkable primary): calls are ignored with a diagnostic. */
  readonly ignoreReason: string | undefined
  released: boolean
}

/** @internal The key of the SDK service in the context (`OneAgentSdk`'s). */
export const ServiceKey = "effect-oneagent/OneAgentSdk"

/** @internal Where the SDK service object keeps its runtime; not part of its public type. */
export const RuntimeKey: unique symbol = Symbol.for("effect-oneagent/Runtime") as never

/** @internal A runtime that traces nothing: a context without the SDK service (an untyped caller's). */
export const disabled: Runtime = {
  engine: undefined,
  strict: false,
  callbacks: { diagnostic: undefined, verbose: undefined },
  data: DataSettings.defaults,
  starts: undefined,
  captureSites: false,
  recorded: undefined,
  ignoreReason: undefined,
  released: false
}

// The same key as the public `OneAgentSdk` service (a service's identity is its string key), seen from here as what
// the service object holds for the tracers.
const SdkService = Context.Service<{ readonly [RuntimeKey]?: Runtime }>(ServiceKey)

/** @internal The runtime of the SDK service in `context` (one that traces nothing when there is none). */
export const runtimeOf = (context: Context.Context<never>): Runtime =>
  Context.getOrUndefined(context, SdkService)?.[RuntimeKey] ?? disabled

/** @internal The runtime of an SDK service object (undefined for one that is not this library's). */
export const runtimeOfService = (service: unknown): Runtime | undefined =>
  typeof service === "object" && service !== null ? (service as { [RuntimeKey]?: Runtime })[RuntimeKey] : undefined
