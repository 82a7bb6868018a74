/**
 * The console view: each finished trace printed as a tree, once its root span has arrived.
 *
 * @internal
 */
import type * as SpanData from "../SpanData.ts"
import { renderTree } from "./spanData.ts"

/**
 * Prints each trace as a tree once its root span has arrived; `close` prints what is left.
 *
 * @internal
 */
export const make = (write: (text: string) => void) => {
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
