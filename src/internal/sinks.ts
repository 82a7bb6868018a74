/**
 * Where finished spans go when the engine does not export them itself: kept in memory for the test
 * layer, or printed as trace trees to stderr (the console sink).
 *
 * @internal
 */
import type * as SpanData from "../SpanData.ts"
import type { Engine } from "./engine.ts"
import { fromRecord, renderTree } from "./spanData.ts"

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

/** @internal */
export const memory = (engine: Engine): MemorySink => {
  const spans: Array<SpanData.SpanData> = []
  const collect = () => {
    if (engine.closed) return
    for (const record of engine.addon.records_drain(0)) spans.push(fromRecord(record))
  }
  return { spans, collect, close: collect }
}

/**
 * Prints each trace as a tree once its root span has arrived; `close` prints what is left.
 *
 * @internal
 */
export const consoleTrees = (write: (text: string) => void) => {
  let pending: Array<SpanData.SpanData> = []
  const print = (spans: ReadonlyArray<SpanData.SpanData>) => {
    if (spans.length === 0) return
    try {
      write(renderTree(spans) + "\n")
    } catch {
      // stderr closed: nothing to do
    }
  }
  return {
    add: (spans: ReadonlyArray<SpanData.SpanData>) => {
      // A trace is printed when its root arrives, or (continued from another process, so it has no root
      // here) one batch after its last span arrived.
      const fresh = new Set(spans.map((s) => s.traceId))
      const done = new Set(pending.filter((s) => !fresh.has(s.traceId)).map((s) => s.traceId))
      for (const span of spans) {
        pending.push(span)
        if (span.parentSpanId === undefined) done.add(span.traceId)
      }
      if (done.size === 0) return
      print(pending.filter((s) => done.has(s.traceId)))
      pending = pending.filter((s) => !done.has(s.traceId))
    },
    close: () => {
      print(pending)
      pending = []
    }
  }
}
