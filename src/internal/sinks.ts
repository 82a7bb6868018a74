/**
 * Where finished spans go when the engine does not export them itself: kept in memory for the test
 * layer, or printed as trace trees to stderr (the console sink).
 *
 * @internal
 */
import * as SpanData from "../SpanData.ts"
import type { Engine } from "./engine.ts"

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
    for (const record of engine.addon.records_drain(0)) spans.push(SpanData.fromRecord(record))
  }
  return { spans, collect, close: collect }
}

/**
 * Prints each trace once its root span has ended (or at close), polling on an unref'd timer so it never
 * keeps the process alive.
 *
 * @internal
 */
export const console = (engine: Engine, write: (text: string) => void, intervalMillis = 200): Sink => {
  let pending: Array<SpanData.SpanData> = []
  const print = (spans: ReadonlyArray<SpanData.SpanData>) => {
    if (spans.length === 0) return
    try {
      write(SpanData.renderTree(spans) + "\n")
    } catch {
      // stderr closed: nothing to do
    }
  }
  const collect = () => {
    if (engine.closed) return
    for (const record of engine.addon.records_drain(0)) pending.push(SpanData.fromRecord(record))
    const done = new Set(pending.filter((s) => s.parentSpanId === undefined).map((s) => s.traceId))
    if (done.size === 0) return
    print(pending.filter((s) => done.has(s.traceId)))
    pending = pending.filter((s) => !done.has(s.traceId))
  }
  const timer = setInterval(collect, intervalMillis)
  timer.unref()
  return {
    collect,
    close: () => {
      clearInterval(timer)
      collect()
      print(pending)
      pending = []
    }
  }
}

/** @internal Drops finished spans (counted by the engine as ended), when nothing is configured to take them. */
export const discard = (engine: Engine, intervalMillis = 200): Sink => {
  const collect = () => {
    if (!engine.closed) engine.addon.records_drain(0)
  }
  const timer = setInterval(collect, intervalMillis)
  timer.unref()
  return { collect, close: () => (clearInterval(timer), collect()) }
}
