/**
 * The one place that loads the engine: the native binary, or where none loads the WebAssembly engine (wasmAddon.ts).
 * Everything else talks to it through {@link Addon}.
 *
 * @internal
 */
import { existsSync, readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { join, resolve as resolvePath } from "node:path"
import { fileURLToPath } from "node:url"
import { readEnv } from "./environment.ts"
import * as WasmAddon from "./wasmAddon.ts"

/** @internal */
export type AttributeValue = string | number | boolean

/**
 * @internal The whole binary, as `native/bindings.h` lists it: the one description of what crosses between
 * TypeScript and the engine. Handles and ids are small integers; a negative number is a `Status` (codes.ts).
 */
export interface Addon {
  /** How many counters `engine_init` needs (`Counter.Count`), and how many published ids (`IdsSlot.Count`). */
  readonly counter_count: number
  readonly ids_count: number
  /**
   * 0 initialised, 2 already, -1 refused. The engine writes `counters` and, at every start, `ids`; the TypeScript side
   * adds to some counters itself (spans it keeps without the engine, attributes it drops) and resets `LastNote`
   * before a start, and the engine adds to what it finds: one array for both. (The WebAssembly engine keeps its own
   * copy and the adapter copies the counters a call changes in and out around it: wasmAddon.ts.)
   */
  engine_init(
    counters: Float64Array,
    ids: Int32Array,
    ringCapacity: number,
    sampleRatio: number,
    maxAttributes: number,
    notParentBased: number
  ): number
  engine_shutdown(): number
  engine_version(): [version: string, abi: number, sourceHash: string]
  intern(value: string): number
  template_create(name: string, kind: number, flags: number, attributes: ReadonlyArray<unknown>): number
  spans_open(): Array<[handle: number, name: string, startNs: bigint]>
  /** `sampledRoot` 1: a new root the caller decided to sample (its trace id agrees with the ratio). */
  span_start(parent: number, template: number, sampledRoot?: 0 | 1): number
  span_start_tagged(parent: number, template: number, tag: string | Uint8Array, traceState: string): number
  span_end(handle: number): number
  span_attr(handle: number, key: number, value: AttributeValue | bigint, limit?: number): number
  span_service_attr(handle: number, key: number, value: AttributeValue | bigint, limit?: number): number
  span_fail(handle: number, type: string, message: string, stack: string): number
  span_status(handle: number, code: number, message: string): number
  span_name(handle: number, name: string): number
  span_event(handle: number, name: string, timeNs: bigint, attributes: ReadonlyArray<unknown>): number
  span_link(handle: number, traceparent: string, attributes: ReadonlyArray<unknown>): number
  /** The traceparent of an open span, or a negative status. */
  span_tag(handle: number): string | number
  span_tag_bytes(handle: number): Uint8Array | number
  /** Publishes the context of a new unsampled root (a trace id the ratio leaves out) in the shared ids. */
  unsampled_root(): number
  /** A new span id as 16 hex digits, or a negative status. */
  span_id_hex(): string | number
  /**
   * The process-wide id of the engine this environment initialised, for an export worker to open; 0: none, or the
   * WebAssembly engine, which no other thread can open (its export runs inline, on the calling thread).
   */
  engine_id(): number
  /**
   * Opens this environment's consumer of an engine (engineId 0: its own): finished spans are then taken as encoded
   * batches. 0, or a negative status.
   */
  export_open(
    engineId: number,
    format: "protobuf" | "json",
    resource: ReadonlyArray<readonly [string, string | number | boolean]>,
    scopeName: string,
    scopeVersion: string,
    jsonCopy: boolean
  ): number
  export_close(): number
  /** The next batch (encoded on this thread): [bytes, spans, OTLP/JSON copy?], or null when no span waits. */
  export_take(maxSpans: number, maxBytes: number): [bytes: Uint8Array, spans: number, json?: Uint8Array] | null
  /** Spans of taken batches that are done with (exported or dropped): room under the engine's bound again. */
  export_settle(spans: number): number
  /** [spans waiting to be taken, spans the consumer dropped for lack of memory]. */
  export_state(): [waiting: number, dropped: number]
}

/** @internal The ABI the TypeScript side was written against; `engine_version()[1]` must match. */
export const ABI_VERSION = 2

/** @internal */
export type LoadResult =
  | {
    readonly _tag: "Loaded"
    readonly addon: Addon
    readonly version: string
    /** Which engine: the native binary, or the WebAssembly engine (single-threaded: it exports inline). */
    readonly engine: "native" | "wasm"
    /**
     * The file it was loaded from: an export worker loads the same one, so both see the same engines. Undefined for
     * the WebAssembly engine, which no other thread can open.
     */
    readonly path: string | undefined
    /** Why the WebAssembly engine runs although a native one was wanted (the native binary's load failure). */
    readonly note?: string | undefined
  }
  | { readonly _tag: "Failed"; readonly found: boolean; readonly message: string }

/**
 * @internal The environment variable that chooses the engine: `wasm` the WebAssembly engine instead of the shipped
 * binary, `native` the binary only (no WebAssembly fallback); unset, the binary and else the WebAssembly engine. The
 * `nativeModulePath` option, when set, wins over it.
 */
export const engineVariable = "ONEAGENT_ENGINE"

const packageRoot = fileURLToPath(new URL("../..", import.meta.url))
const require = createRequire(import.meta.url)
const cache = new Map<string, LoadResult>()

/**
 * Loads the engine once per path, never throwing: `path` (the `nativeModulePath` option), else the first of
 * {@link candidates} that loads, else the WebAssembly engine (see {@link engineVariable}).
 *
 * @internal
 */
export const load = (path?: string): LoadResult => {
  // A relative path is the user's, so it is relative to the working directory, not to this file.
  if (path !== undefined) path = resolvePath(path)
  const key = path ?? packageRoot
  let result = cache.get(key)
  if (result === undefined) {
    result = path !== undefined ? loadFile(path, true) : loadShipped()
    cache.set(key, result)
  }
  return result
}

/**
 * The C library of this process on Linux, as detect-libc decides it: the running process's report names glibc's
 * version when glibc runs it. Not which loader files exist (a glibc host can have musl's installed, and a musl
 * container may lack /etc/alpine-release). Undefined elsewhere.
 *
 * @internal
 */
export const linuxLibc = (): "glibc" | "musl" | undefined => {
  if (process.platform !== "linux") return undefined
  try {
    // (excludeNetwork is in Node 20.13+ and 22; older typings lack it.)
    const report = process.report as NodeJS.ProcessReport & { excludeNetwork: boolean }
    // Without the network section the report takes about a millisecond instead of ten.
    const excluded = report.excludeNetwork
    report.excludeNetwork = true
    try {
      const header = (report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header
      return typeof header?.glibcVersionRuntime === "string" ? "glibc" : "musl"
    } finally {
      report.excludeNetwork = excluded
    }
  } catch {
    // A runtime without process.report (or one that refuses it): glibc is by far the likelier.
    return "glibc"
  }
}

/**
 * The binaries to try, in order: a local build (unless `PREBUILDS_ONLY` is set, as for installed packages), then the
 * prebuild for this platform and architecture, tagged with the C library on Linux.
 *
 * @internal
 */
export const candidates = (): Array<string> => lookForBinaries().files

/**
 * {@link candidates}, and why none could be looked for where the runtime refuses to read the package's files (Deno
 * without `--allow-read` throws `NotCapable`): then "no binary" would be the wrong reason.
 */
const lookForBinaries = (): { readonly files: Array<string>; readonly unreadable: string | undefined } => {
  const platform = `${process.platform}-${process.arch}`
  const libc = linuxLibc()
  const files = [
    ...(readEnv("PREBUILDS_ONLY") ? [] : [join(packageRoot, "build", "Release", "effect_oneagent.node")]),
    join(packageRoot, "prebuilds", platform, libc === undefined ? "effect-oneagent.node" : `effect-oneagent.${libc}.node`)
  ]
  let unreadable: string | undefined
  const found = files.filter((file) => {
    try {
      return existsSync(file)
    } catch (error) {
      unreadable ??= reasonOf(error)
      return false
    }
  })
  return { files: found, unreadable }
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error)

const prebuiltPlatforms = (): Array<string> | string => {
  try {
    return readdirSync(join(packageRoot, "prebuilds"))
  } catch (error) {
    return reasonOf(error)
  }
}

const loadShipped = (): LoadResult => {
  const choice = readEnv(engineVariable)
  if (choice === "wasm") return loadWasm(undefined)
  const { files, unreadable } = lookForBinaries()
  const failures: Array<string> = []
  for (const file of files) {
    const result = loadFile(file, false)
    if (result._tag === "Loaded") return result
    failures.push(result.message)
  }
  const platform = `${process.platform}-${process.arch}${linuxLibc() === "musl" ? " (musl)" : ""}`
  const shipped = prebuiltPlatforms()
  const failure = unreadable !== undefined && failures.length === 0
    ? `The effect-oneagent native engine could not be looked for: the runtime does not let it read the package's ` +
      `files (${unreadable}; Deno needs --allow-read for it, and --allow-ffi to load it).`
    : `The effect-oneagent native engine could not be loaded (${
      failures.length > 0 ? failures.join("; ") : `no binary for ${platform}`
    }). The package ships prebuilt binaries for ${
      typeof shipped === "string" ? `platforms it could not list (${shipped})` : shipped.join(", ") || "no platform"
    }; on others, \`npm rebuild effect-oneagent\` builds one from source (needs python3, make and a C++20 compiler).`
  if (choice === "native") {
    return {
      _tag: "Failed",
      found: false,
      message: `${failure} Tracing is disabled (${engineVariable}=native); the application runs unchanged.`
    }
  }
  return loadWasm(failure)
}

// The WebAssembly engine, embedded in the package: it loads wherever WebAssembly runs. `failure`: why the native
// engine did not load (undefined when the WebAssembly engine was chosen).
const loadWasm = (failure: string | undefined): LoadResult => {
  try {
    const addon = WasmAddon.make()
    const [version, abi] = addon.engine_version()
    if (abi !== ABI_VERSION) throw new Error(`it has ABI ${abi}, this library needs ${ABI_VERSION}`)
    const note = failure === undefined ? undefined : `${failure} The WebAssembly engine runs instead: every tracer ` +
      `records and spans are exported, encoded on the application's thread.`
    return { _tag: "Loaded", addon, version, engine: "wasm", path: undefined, note }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error)
    return {
      _tag: "Failed",
      found: false,
      message: `${failure === undefined ? "" : `${failure} `}The effect-oneagent WebAssembly engine could not be ` +
        `loaded ${failure === undefined ? "" : "either "}(${reason}). Tracing is disabled; the application runs ` +
        `unchanged.`
    }
  }
}

const loadFile = (file: string, given: boolean): LoadResult => {
  // require() would run a JavaScript file given here: only a native module is loaded.
  if (!file.endsWith(".node")) {
    return {
      _tag: "Failed",
      found: false,
      message: `The effect-oneagent native engine could not be loaded: nativeModulePath ${file} is not a .node file. ` +
        `Point it at the package's prebuilds/${process.platform}-${process.arch}/ binary (or a build of it), or leave ` +
        `it unset. Tracing is disabled; the application runs unchanged.`
    }
  }
  let addon: Addon
  try {
    addon = require(file) as Addon
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error)
    return {
      _tag: "Failed",
      found: false,
      message: given
        ? `The effect-oneagent native engine could not be loaded from nativeModulePath ${file} (${reason}). Point ` +
          `nativeModulePath at the package's prebuilds/${process.platform}-${process.arch}/ binary (or a build of ` +
          `it), or leave it unset. Tracing is disabled; the application runs unchanged.`
        : `${file}: ${reason}`
    }
  }
  let version: string
  let abi: number
  try {
    ;[version, abi] = addon.engine_version()
    if (typeof version !== "string") throw new Error("no version")
  } catch {
    return {
      _tag: "Failed",
      found: false,
      message: `${file} is not the effect-oneagent native engine (it has no engine_version)` +
        (given ? `. Tracing is disabled; the application runs unchanged.` : "")
    }
  }
  if (abi !== ABI_VERSION) {
    return {
      _tag: "Failed",
      found: true,
      message: given
        ? `The effect-oneagent native engine has ABI ${abi}, this library needs ${ABI_VERSION}: ` +
          `the binary is from another version. Reinstall effect-oneagent. Tracing is disabled.`
        : `${file} has ABI ${abi}, this library needs ${ABI_VERSION} (a binary of another version: reinstall ` +
          `effect-oneagent)`
    }
  }
  // The file the module system loaded for it (a link resolved, a test's substitute): the export worker loads that one,
  // so that it shares this engine's registry.
  let loaded = file
  try {
    loaded = require.resolve(file)
  } catch {
    // loaded above, so it resolves; should it not, the path given is the best there is
  }
  return { _tag: "Loaded", addon, version, engine: "native", path: loaded }
}
