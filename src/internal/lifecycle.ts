/**
 * Acquiring and releasing the SDK: load the addon, initialise (or join) the engine, attach the span
 * consumer (the export pipeline, or memory for the test layer), and on the last release flush within the
 * deadline and shut the engine down. Never fails: problems end up in InitResult and the diagnostics.
 *
 * @internal
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import type * as ExportConfig from "../ExportConfig.ts"
import type * as InitResult from "../InitResult.ts"
import type { Options } from "../OneAgentSdk.ts"
import { load } from "./addon.ts"
import * as Cluster from "./cluster.ts"
import * as DataSettings from "./dataSettings.ts"
import { notify, tracking } from "./diagnostics.ts"
import * as EngineModule from "./engine.ts"
import { readEnv } from "./environment.ts"
import * as ExportConfigInternal from "./exportConfig.ts"
import * as Exporter from "./exporter.ts"
import * as FileSink from "./fileSink.ts"
import { type CheckedOptions, defaultBufferSize } from "./options.ts"
import type { Runtime } from "./runtime.ts"
import { samplerOf } from "./sampling.ts"
import * as Senders from "./senders.ts"
import * as Service from "./service.ts"
import * as Sinks from "./sinks.ts"
import { sdkVersion } from "./version.ts"
import { AgentState, InitStatus } from "./states.ts"

/** @internal The library's own version, the first half of `agentVersionString`. */
export const LIBRARY_VERSION = sdkVersion

/** @internal The layer options (`OneAgentSdk.Options`), as lifecycle reads them. */
export type LifecycleOptions = Options

/** @internal */
export type SinkMode = { readonly _tag: "Export" } | {
  readonly _tag: "Memory"
  readonly onSink: (sink: Sinks.MemorySink) => void
}

// The InitResult of a layer that initialised (or joined) the engine or the forkable primary's collector.
const initResultOf = (joined: boolean, warning: string | undefined, what: string): InitResult.InitResult =>
  joined
    ? {
      status: InitStatus.ALREADY_INITIALIZED,
      error: `already initialized: this layer shares the running ${what} and its options`
    }
    : warning !== undefined
    ? { status: InitStatus.INITIALIZED_WITH_WARNING, error: warning }
    : { status: InitStatus.INITIALIZED, error: undefined }

const joinWarnings = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : `${a}; ${b}`

const stderrLogger = (level: string) => (message: string) => {
  process.stderr.write(`[effect-oneagent ${level}] ${message}\n`)
}

const makeRuntime = (options: LifecycleOptions, strict: boolean, mode: SinkMode, fiber: number): Runtime => {
  const finest = options.logLevel === "finest" ||
    (options.logLevel === undefined && /^finest$/i.test(readEnv("ONEAGENT_SDK_LOG") ?? ""))
  return {
    engine: undefined,
    strict,
    callbacks: {
      diagnostic: options.diagnosticCallback ?? (finest ? stderrLogger("diagnostic") : undefined),
      verbose: options.verboseCallback ?? (finest ? stderrLogger("verbose") : undefined)
    },
    data: DataSettings.make(options),
    // The test layer always knows its open spans (openSpans reads only its own); where they started only if asked.
    starts: (options.trackOpenSpans ?? strict) || mode._tag === "Memory" ? new Map() : undefined,
    captureSites: options.trackOpenSpans ?? strict,
    recorded: mode._tag === "Memory" ? new Set() : undefined,
    // The strict layer raises misuse where it happens in the test's own fiber (the one acquiring it), and keeps the
    // rest for the test's next query or the layer's release.
    misuses: strict ? { fiber, pending: [] } : undefined,
    ignoreReason: undefined,
    released: false
  }
}

// A worker's settings (its primary exports): a setting that cannot be used falls back as resolveExport does.
const resolveWorkerSettings = (options: LifecycleOptions) =>
  withFallbacks(
    exportOptionsOf(options),
    ExportConfigInternal.resolveSettings,
    (error, _settings, fallback) =>
      `${error.message}; using ${
        fallback === "options"
          ? "the options without the environment"
          : fallback === "environment"
          ? "the environment without the options"
          : "the defaults"
      }`
  ).pipe(Effect.map(({ value, warning }) => ({ settings: value, warning })))

// The fallbacks read no environment: a malformed variable that failed the first resolution would fail them again.
const withoutEnvironment = <A>(resolve: Effect.Effect<A, ExportConfigInternal.ExportConfigError>) =>
  Effect.provideService(resolve, ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))

// Options from untyped callers may throw when read (getters); then they count as unusable.
const exportOptionsOf = (options: LifecycleOptions): ExportConfig.ExportOptions | undefined => {
  try {
    return options.console === undefined ? options.export ?? {} : { ...options.export, console: options.console }
  } catch {
    return undefined
  }
}

/**
 * Resolves with the options and the environment; if a setting cannot be used, with the options alone (so a typo in
 * an unrelated variable does not discard a configured target), then with the environment alone (so an unusable
 * option does not discard a configured target either), and failing that with the defaults. The warning
 * says which setting was not used and what happened instead.
 */
const withFallbacks = <A>(
  options: ExportConfig.ExportOptions | undefined,
  resolve: (options: ExportConfig.ExportOptions) => Effect.Effect<A, ExportConfigInternal.ExportConfigError>,
  describe: (
    error: ExportConfigInternal.ExportConfigError,
    value: A,
    fallback: "options" | "environment" | "defaults"
  ) => string
): Effect.Effect<{ readonly value: A; readonly warning: string | undefined }> => {
  const unreadable = new ExportConfigInternal.ExportConfigError({ setting: "export", description: "could not be read" })
  // A getter that throws, or a runtime that refuses to read the environment (Deno without --allow-env throws
  // NotCapable): named by the error's class only, as its message may quote what it read.
  const unreadableBy = (defect: unknown) =>
    new ExportConfigInternal.ExportConfigError({
      setting: "export",
      description: defect instanceof Error && defect.name !== "Error"
        ? `the options or the environment could not be read (${defect.name})`
        : "the options or the environment could not be read"
    })
  // A getter of an untyped caller's options that throws is a setting that cannot be used, not a defect.
  const attempt = (options: ExportConfig.ExportOptions | undefined) =>
    options === undefined
      ? Effect.fail(unreadable)
      : Effect.suspend(() => resolve(options)).pipe(Effect.catchDefect((defect) => Effect.fail(unreadableBy(defect))))
  return attempt(options).pipe(
    Effect.map((value) => ({ value, warning: undefined as string | undefined })),
    Effect.catch((error) =>
      withoutEnvironment(attempt(options)).pipe(
        Effect.map((value) => ({ value, warning: describe(error, value, "options") })),
        // The options cannot be used at all: what the environment configures still applies, then the defaults.
        Effect.catch(() =>
          Effect.suspend(() => resolve({ console: safeConsole(options) })).pipe(
            Effect.map((value) => ({ value, warning: describe(error, value, "environment") })),
            Effect.catch(() =>
              Effect.map(
                withoutEnvironment(resolve({ console: safeConsole(options) })),
                (value) => ({ value, warning: describe(error, value, "defaults") })
              )
            )
          )
        )
      )
    ),
    Effect.orDie
  )
}

const safeConsole = (options: ExportConfig.ExportOptions | undefined): boolean => {
  try {
    return options?.console === true
  } catch {
    return false
  }
}

// Resolves the export target; a setting that cannot be used falls back (see withFallbacks) with a warning.
const resolveExport = (options: LifecycleOptions) =>
  withFallbacks(exportOptionsOf(options), ExportConfigInternal.resolve, (error, resolved, fallback) =>
    `${error.message}; ${
      resolved.target._tag === "File"
        ? `exporting to the file ${resolved.target.path} instead`
        : fallback === "options"
        ? "exporting to the target of the options, without the environment"
        : fallback === "environment"
        ? "exporting to the target of the environment, without the options"
        : "using the defaults"
    }`).pipe(Effect.map(({ value, warning }) => ({ resolved: value, warning })))

/** @internal */
export const acquire = (
  checked: CheckedOptions,
  strict: boolean,
  mode: SinkMode
): Effect.Effect<Service.ServiceImpl, never, Scope.Scope> =>
  Effect.gen(function*() {
    const options = checked.options
    const fiber = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.id))
    const runtime = makeRuntime(options, strict, mode, fiber)
    for (const problem of checked.problems) notify(runtime, "diagnostic", `effect-oneagent: ${problem}`)
    const problems = [...checked.problems]
    const logVariable = readEnv("ONEAGENT_SDK_LOG")
    if (options.logLevel === undefined && logVariable !== undefined && !/^(finest|off|)$/i.test(logVariable.trim())) {
      problems.push(`ONEAGENT_SDK_LOG must be "finest" or "off"; it is ignored`)
      notify(runtime, "diagnostic", `effect-oneagent: ${problems.at(-1)}`)
    }
    let optionProblems = problems.length === 0 ? undefined : problems.join("; ")
    if (runtime.captureSites) {
      tracking.layers++
      yield* Effect.addFinalizer(() => Effect.sync(() => void tracking.layers--))
    }
    const loaded = load(options.nativeModulePath)
    if (loaded._tag === "Failed") {
      notify(runtime, "diagnostic", loaded.message)
      return Service.make(runtime, {
        result: { status: InitStatus.LOAD_ERROR, error: loaded.message },
        found: loaded.found,
        compatible: false,
        version: `${LIBRARY_VERSION}/-`,
        engine: "none"
      }, () => AgentState.ERROR, noStats)
    }
    // The WebAssembly engine took over from a native binary that did not load: say why, once per layer.
    if (loaded.note !== undefined) notify(runtime, "diagnostic", loaded.note)
    const version = `${LIBRARY_VERSION}/${loaded.version}${loaded.engine === "wasm" ? " (wasm)" : ""}`
    const role: Cluster.Role = mode._tag === "Export" ? Cluster.role(options.forkable) : { _tag: "Standalone" }
    if (role._tag === "Primary") return yield* acquirePrimary(runtime, options, version, loaded.engine, optionProblems)
    yield* EngineModule.awaitShutdown
    const sampling = samplerOf(options)
    if (sampling.warning !== undefined) {
      notify(runtime, "diagnostic", `effect-oneagent: ${sampling.warning}`)
      optionProblems = joinWarnings(optionProblems, sampling.warning)
    }
    const acquired = EngineModule.acquire(loaded.addon, {
      ringCapacity: options.bufferSize ?? defaultBufferSize,
      sampleRatio: sampling.sampleRatio,
      parentBased: sampling.parentBased,
      maxAttributes: options.maxAttributes ?? 128
    })
    if (acquired === -1) {
      return Service.make(runtime, {
        result: { status: InitStatus.INIT_ERROR, error: `the ${loaded.engine} engine refused the options` },
        found: true,
        compatible: true,
        version,
        engine: loaded.engine
      }, () => AgentState.ERROR, noStats)
    }
    const { engine, status } = acquired
    const live: Runtime = { ...runtime, engine }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        live.released = true
        return EngineModule.release(engine, (open) => Service.reportOpenSpans(live, open))
      })
    )
    let warning: string | undefined
    if (status === 0) {
      if (mode._tag === "Memory") {
        engine.sink = Sinks.memory(engine)
      } else {
        // The pipeline lives as long as the engine, which may outlive this layer when others joined it.
        const pipelineScope = yield* Scope.make()
        const bufferSize = options.bufferSize ?? defaultBufferSize
        const pump = { intervalMillis: options.exportInterval ?? 1000, maxBatchSpans: 512, maxBatchBytes: 4 << 20 }
        let pipeline: Exporter.Pipeline
        if (role._tag === "Worker") {
          const { settings, warning: problem } = yield* resolveWorkerSettings(options)
          warning = problem
          if (warning !== undefined) notify(live, "diagnostic", warning)
          pipeline = yield* Exporter.start(live, engine, {
            target: { _tag: "Relay", format: role.format },
            resource: settings.resource,
            pump,
            bufferSize,
            console: settings.console
          }, {
            shutdownTimeoutMillis: settings.shutdownTimeoutMillis,
            addonPath: loaded.path,
            relay: Cluster.relayToPrimary(live, role.format, role.raw)
          }).pipe(Scope.provide(pipelineScope))
        } else {
          const { resolved, warning: problem } = yield* resolveExport(options)
          warning = joinWarnings(role.warning, problem)
          if (role.warning !== undefined) notify(live, "diagnostic", role.warning)
          if (problem !== undefined) notify(live, "diagnostic", problem)
          pipeline = yield* Exporter.start(live, engine, {
            target: Senders.plainTarget(resolved.target, FileSink.defaultMaxBytes, Redacted.value),
            resource: resolved.resource,
            pump,
            bufferSize,
            console: resolved.console
          }, {
            shutdownTimeoutMillis: resolved.shutdownTimeoutMillis,
            addonPath: loaded.path
          }).pipe(Scope.provide(pipelineScope))
        }
        engine.beforeShutdown = Scope.close(pipelineScope, Exit.void)
        engine.exportState = pipeline.state
        engine.exportStats = pipeline.stats
        engine.exportFlush = pipeline.flush
      }
    }
    if (mode._tag === "Memory" && engine.sink !== undefined && "spans" in engine.sink) {
      mode.onSink(engine.sink as Sinks.MemorySink)
    }
    return Service.make(live, {
      result: initResultOf(status === 2, joinWarnings(optionProblems, warning), "engine"),
      found: true,
      compatible: true,
      version,
      engine: loaded.engine
    }, () =>
      live.released || engine.closed
        ? AgentState.PERMANENTLY_INACTIVE
        : engine.exportState() === 1
        ? AgentState.TEMPORARILY_INACTIVE
        : AgentState.ACTIVE, () => Service.statsOf(engine, engine.exportStats()))
  })

const noStats = () => Service.emptyStats

// The primary of a forkable cluster setup: no engine and no tracing here; it runs the one export target for the
// batches its workers send (cluster.ts).
const acquirePrimary = (
  runtime: Runtime,
  options: LifecycleOptions,
  version: string,
  engine: "native" | "wasm",
  optionProblems: string | undefined
): Effect.Effect<Service.ServiceImpl, never, Scope.Scope> =>
  Effect.gen(function*() {
    const primary: Runtime = { ...runtime, ignoreReason: Cluster.primaryIgnoreReason }
    const { resolved, warning } = yield* resolveExport(options)
    if (warning !== undefined) notify(primary, "diagnostic", warning)
    yield* Effect.addFinalizer(() => Effect.sync(() => void (primary.released = true)))
    const collector = yield* Cluster.acquirePrimary(primary, resolved, {
      bufferSize: options.bufferSize ?? defaultBufferSize,
      intervalMillis: options.exportInterval ?? 1000,
      fileMaxBytes: FileSink.defaultMaxBytes
    })
    notify(primary, "verbose", "forkable primary: tracing is off in this process; cluster workers forked from " +
      "now on trace and send their batches here")
    return Service.make(primary, {
      result: initResultOf(collector.status === 2, joinWarnings(optionProblems, warning), "forkable primary"),
      found: true,
      compatible: true,
      version,
      engine
    }, () => AgentState.PERMANENTLY_INACTIVE, () => {
      // The workers' spans as the primary's target received them (after release: what was delivered in the end).
      const counts = collector.stats()
      return {
        ...Service.emptyStats,
        spansExported: counts.exported,
        spansDroppedExport: counts.dropped,
        spansPendingExport: counts.pending
      }
    })
  })
