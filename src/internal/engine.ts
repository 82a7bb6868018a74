/**
 * The JS side of the native engine: one per process (the native engine is reference counted), with the
 * shared counters and the caches that let a tracer start a span with one call.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type { Addon } from "./addon.ts"
import type { ExportCounts } from "./exporter.ts"

/** @internal Options applied by the first initialisation only. */
export interface EngineOptions {
  readonly ringCapacity: number
  readonly sampleRatio: number
  /** Children follow their parent's sampling decision (parentbased_* samplers). */
  readonly parentBased: boolean
  readonly maxAttributes: number
}

/** @internal */
export interface Engine {
  readonly addon: Addon
  readonly counters: Float64Array
  /** Where the engine publishes the ids of each span it starts (codes.ts `IdsSlot`). */
  readonly ids: Int32Array
  /** Changes whenever a native engine is created, so caches of ids from an older one are not reused. */
  readonly epoch: number
  readonly keys: Map<string, number>
  /** How many of `keys` came from requests outside the tracers' own bounds, which {@link maxKeys} bounds. */
  requestKeys: number
  readonly templates: Map<string, number>
  /** The sampler of the first initialisation, which the native engine applies too. */
  readonly sampleRatio: number
  readonly parentBased: boolean
  /** The one consumer of finished spans, closed (collecting what is left) before the engine shuts down. */
  sink: { readonly close: () => void } | undefined
  /** Runs when the last layer releases the engine, before it shuts down (the export pipeline's flush). */
  beforeShutdown: Effect.Effect<void>
  /** The export pipeline's view, shared by every layer that joined this engine. */
  exportState: () => 0 | 1
  exportStats: () => ExportCounts
  /** Exports everything ended so far, within the deadline; returns the spans not exported by then. */
  exportFlush: (timeoutMillis: number) => Effect.Effect<number>
  refs: number
  closed: boolean
}

let current: Engine | undefined
let epochs = 0
// Set while the last release flushes and shuts the engine down: a layer acquired meanwhile waits for it and then
// starts a new engine, rather than joining one about to close.
let closing: Deferred.Deferred<void> | undefined

/**
 * Waits until an engine being shut down (its last layer releasing) is gone; immediate otherwise.
 *
 * @internal
 */
export const awaitShutdown: Effect.Effect<void> = Effect.suspend(() =>
  closing === undefined ? Effect.void : Deferred.await(closing)
)

/**
 * Initialises the native engine or joins the running one. Returns the engine and 0 (initialised) or
 * 2 (already initialised), or -1 when the engine refused the options.
 *
 * @internal
 */
export const acquire = (addon: Addon, options: EngineOptions): { engine: Engine; status: 0 | 2 } | -1 => {
  // Shared memory: the export worker reads the counters too (the spans dropped at the bound, for its report).
  const counters = current?.addon === addon
    ? current.counters
    : new Float64Array(new SharedArrayBuffer(addon.counter_count * Float64Array.BYTES_PER_ELEMENT))
  const ids = current?.addon === addon ? current.ids : new Int32Array(addon.ids_count)
  const status = addon.engine_init(
    counters,
    ids,
    options.ringCapacity,
    options.sampleRatio,
    options.maxAttributes,
    options.parentBased ? 0 : 1
  )
  if (status === 2 && current !== undefined && current.addon === addon) {
    current.refs++
    return { engine: current, status: 2 }
  }
  if (status !== 0) return -1
  current = {
    addon,
    counters,
    ids,
    epoch: ++epochs,
    keys: new Map(),
    requestKeys: 0,
    templates: new Map(),
    sampleRatio: options.sampleRatio,
    parentBased: options.parentBased,
    sink: undefined,
    beforeShutdown: Effect.void,
    exportState: () => 0,
    exportStats: () => ({ exported: 0, dropped: 0, pending: 0, queued: 0 }),
    exportFlush: () => Effect.succeed(0),
    refs: 1,
    closed: false
  }
  return { engine: current, status: 0 }
}

/**
 * Releases one initialisation; the last one shuts the native engine down.
 *
 * @internal
 */
export const release = (
  engine: Engine,
  onOpenSpans?: (open: ReadonlyArray<[handle: number, name: string, startNs: bigint]>) => void
): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (engine.closed) return Effect.void
    if (--engine.refs > 0) return Effect.sync(() => void engine.addon.engine_shutdown())
    // Spans still open now are lost: say which, so a leaked tracer is found.
    const open = engine.addon.spans_open()
    if (open.length > 0) onOpenSpans?.(open)
    const done = Deferred.makeUnsafe<void>()
    closing = done
    return engine.beforeShutdown.pipe(
      Effect.ensuring(Effect.sync(() => {
        try {
          engine.sink?.close()
        } finally {
          engine.closed = true
          if (current === engine) current = undefined
          engine.addon.engine_shutdown()
          if (closing === done) closing = undefined
          Deferred.doneUnsafe(done, Effect.void)
        }
      }))
    )
  })

/** @internal The id of an attribute key, interned once per engine. */
export const keyId = (engine: Engine, key: string): number => {
  const id = engine.keys.get(key)
  if (id !== undefined) return id
  // Interned keys live as long as the engine; keys from requests (header and parameter names, chosen by whoever
  // sends the request) must not grow them without bound. The tracers admit those through requestKeys.ts, which
  // interns them with internKey; this bound is the backstop for any other way in (effect/http's own server span
  // records request headers too). The application's own keys are not limited.
  if (fromRequest(key)) {
    if (engine.requestKeys >= maxKeys) return KeysFull
    engine.requestKeys++
  }
  return internKey(engine, key)
}

/** @internal Interns a key without the backstop of {@link keyId}: for keys whose number is bounded already. */
export const internKey = (engine: Engine, key: string): number => {
  let id = engine.keys.get(key)
  if (id === undefined) {
    id = engine.addon.intern(key)
    engine.keys.set(key, id)
  }
  return id
}

/**
 * @internal The most distinct header and parameter names an engine interns as attribute keys outside the tracers'
 * own bounds (requestKeys.ts); past it, attributes with new ones are dropped.
 */
export const maxKeys = 65_536

const requestKeyPrefixes = ["http.request.header.", "http.response.header.", "oneagent.web.parameter."]
const fromRequest = (key: string): boolean => {
  for (const prefix of requestKeyPrefixes) if (key.startsWith(prefix)) return true
  return false
}

/** @internal What {@link keyId} returns for a new key once {@link maxKeys} are interned. */
export const KeysFull = -1
