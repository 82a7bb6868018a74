/**
 * Acquiring and releasing the SDK: load the addon, initialise (or join) the engine, attach a sink, and on
 * release collect what is left and shut the engine down. Never fails: problems end up in InitResult.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as AgentState from "../AgentState.ts"
import * as InitResult from "../InitResult.ts"
import { load } from "./addon.ts"
import * as EngineModule from "./engine.ts"
import type { Runtime } from "./runtime.ts"
import * as Service from "./service.ts"
import * as Sinks from "./sinks.ts"

/** @internal The library's own version, the first half of `agentVersionString`. */
export const LIBRARY_VERSION = "0.1.0"

/** @internal Options as lifecycle needs them; the public type is `OneAgentSdk.Options`. */
export interface LifecycleOptions {
  readonly diagnosticCallback?: ((message: string) => void) | undefined
  readonly verboseCallback?: ((message: string) => void) | undefined
  readonly bufferSize?: number | undefined
  readonly sampleRatio?: number | undefined
  readonly maxAttributes?: number | undefined
  readonly console?: boolean | undefined
  readonly logLevel?: "off" | "finest" | undefined
  readonly nativeModulePath?: string | undefined
}

/** @internal */
export type SinkMode = { readonly _tag: "Production" } | { readonly _tag: "Memory"; onSink: (sink: Sinks.MemorySink) => void }

const envFlag = (name: string): boolean => /^(1|true|yes|on)$/i.test(process.env[name] ?? "")

const stderrLogger = (level: string) => (message: string) => {
  process.stderr.write(`[effect-oneagent ${level}] ${message}\n`)
}

/** @internal */
export const acquire = (
  options: LifecycleOptions,
  strict: boolean,
  mode: SinkMode
): Effect.Effect<Service.Service, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const finest = options.logLevel === "finest" ||
        (options.logLevel === undefined && /^finest$/i.test(process.env.ONEAGENT_SDK_LOG ?? ""))
      const runtime: Runtime = {
        engine: undefined,
        strict,
        callbacks: {
          diagnostic: options.diagnosticCallback ?? (finest ? stderrLogger("diagnostic") : undefined),
          verbose: options.verboseCallback ?? (finest ? stderrLogger("verbose") : undefined)
        },
        ignoreReason: undefined,
        released: false
      }
      const loaded = load(options.nativeModulePath)
      if (loaded._tag === "Failed") {
        const service = Service.make(runtime, {
          result: { status: InitResult.STATUS_LOAD_ERROR, error: loaded.message },
          found: loaded.found,
          compatible: false,
          version: `${LIBRARY_VERSION}/-`
        }, () => AgentState.ERROR)
        return { service, runtime }
      }
      const acquired = EngineModule.acquire(loaded.addon, {
        ringCapacity: options.bufferSize ?? 65_536,
        sampleRatio: options.sampleRatio ?? 1,
        maxAttributes: options.maxAttributes ?? 128
      })
      const version = `${LIBRARY_VERSION}/${loaded.version}`
      if (acquired === -1) {
        const service = Service.make(runtime, {
          result: { status: InitResult.STATUS_INIT_ERROR, error: "the native engine refused the options" },
          found: true,
          compatible: true,
          version
        }, () => AgentState.ERROR)
        return { service, runtime }
      }
      const { engine, status } = acquired
      const live: Runtime = { ...runtime, engine }
      // A joining layer shares the first one's sink: only one consumer may take spans from the engine.
      if (status === 0) {
        if (mode._tag === "Memory") {
          engine.sink = Sinks.memory(engine)
        } else if (options.console ?? envFlag("ONEAGENT_CONSOLE")) {
          engine.sink = Sinks.console(engine, (text) => process.stderr.write(text))
        } else {
          engine.sink = Sinks.discard(engine)
        }
      }
      if (mode._tag === "Memory" && engine.sink !== undefined && "spans" in engine.sink) {
        mode.onSink(engine.sink as Sinks.MemorySink)
      }
      const service = Service.make(live, {
        result: {
          status: status === 0 ? InitResult.STATUS_INITIALIZED : InitResult.STATUS_ALREADY_INITIALIZED,
          error: status === 0 ? undefined : "already initialized: this layer shares the running engine and its options"
        },
        found: true,
        compatible: true,
        version
      }, () => live.released ? AgentState.PERMANENTLY_INACTIVE : AgentState.ACTIVE)
      return { service, runtime: live }
    }),
    ({ runtime }) =>
      Effect.sync(() => {
        runtime.released = true
        if (runtime.engine !== undefined) EngineModule.release(runtime.engine)
      })
  ).pipe(Effect.map(({ service }) => service))
