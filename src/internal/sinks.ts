/**
 * The test layer's sink: finished spans read out of the engine as OTLP/JSON (the same encoding the file target gets)
 * and kept in memory as plain data.
 *
 * @internal
 */
import type * as SpanData from "../SpanData.ts"
import type { Engine } from "./engine.ts"
import { sdkName, sdkVersion } from "./version.ts"
import { spansOf, textOf } from "./spanData.ts"

/** @internal */
export interface Sink {
  /** Moves finished spans out of the engine now. */
  readonly collect: () => void
  /** Collects the rest and stops; called before the engine shuts down. */
  readonly close: () => void
}

/** @internal Keeps every finished span, in end order. */
export interface MemorySink extends Sink {
  readonly spans: Array<SpanData.SpanData>
}

/** @internal The test layer's consumer of its engine, on the application's thread (there is no export worker). */
export const memory = (engine: Engine): MemorySink => {
  const spans: Array<SpanData.SpanData> = []
  const addon = engine.addon
  addon.export_open(0, "json", [], sdkName, sdkVersion, false)
  const collect = () => {
    if (engine.closed) return
    for (let batch = addon.export_take(4096, 0); batch !== null; batch = addon.export_take(4096, 0)) {
      addon.export_settle(batch[1])
      spans.push(...spansOf(textOf(batch[0])))
    }
  }
  return {
    spans,
    collect,
    close: () => {
      collect()
      addon.export_close()
    }
  }
}

