/**
 * The raw-engine rows' export thread (bench/lib.ts `startSink`): a worker thread that opens the engine the main
 * thread initialised (by its process-wide id, as the library's export worker does), takes its finished spans as
 * encoded OTLP protobuf batches (`export_take`, encoded on this thread) and settles them at once: an in-process sink
 * with no network and no receiver. It is driven through shared memory only (never through its event loop), so it
 * runs whatever the main thread does:
 *
 * - control[Seq]: bumped by the main thread to wake it; control[Mode]: 0 run, 1 paused (takes nothing), 2 stop;
 *   control[Flush]: 1 while the main thread waits for a flush (then it takes whatever waits, batch after batch).
 * - stats (Float64Array): spans and bytes taken, batches, the wall time spent in `export_take`, and this thread's id
 *   (Linux: the main thread reads its CPU time from /proc while it sleeps).
 *
 * Like the library's pump, it takes a batch once `takeAt` spans wait or `intervalMs` has passed. With `stall` > 0 it
 * takes that many batches and never settles them, then stops taking: the export of a target that never answers.
 */
import { readlinkSync } from "node:fs"
import { workerData } from "node:worker_threads"
import { load } from "../src/internal/addon.ts"

export interface SinkData {
  readonly addonPath: string
  readonly engineId: number
  readonly maxBatchSpans: number
  readonly intervalMs: number
  readonly stall: number
  readonly control: Int32Array
  readonly stats: Float64Array
}

export const Control = { Seq: 0, Mode: 1, Flush: 2, Count: 3 } as const
export const Mode = { Run: 0, Paused: 1, Stop: 2 } as const
export const SinkStat = { Spans: 0, Bytes: 1, Batches: 2, TakeNs: 3, Open: 4, Tid: 5, Count: 6 } as const

// This thread's id (Linux), so the main thread can read its CPU time while it sleeps (a running thread's own
// schedstat lags by up to a scheduler tick); NaN elsewhere.
const threadId = (): number => {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop())
  } catch {
    return NaN
  }
}

const data = workerData as SinkData | null | undefined
if (data !== undefined && data !== null && data.control instanceof Int32Array) {
  const { control, stats } = data
  const loaded = load(data.addonPath)
  if (loaded._tag === "Failed") throw new Error(loaded.message)
  const addon = loaded.addon
  const opened = addon.export_open(data.engineId, "protobuf", [["service.name", "bench"]], "effect-oneagent", "0.1.0",
    false)
  if (opened !== 0) throw new Error(`sink: export_open returned ${opened}`)
  stats[SinkStat.Tid] = threadId()
  stats[SinkStat.Open] = 1
  const takeAt = data.maxBatchSpans
  let due = Date.now() + data.intervalMs
  let unsettled = 0
  for (;;) {
    const seq = Atomics.load(control, Control.Seq)
    const mode = Atomics.load(control, Control.Mode)
    if (mode === Mode.Stop) break
    const stalled = data.stall > 0 && unsettled >= data.stall
    if (mode === Mode.Run && !stalled) {
      const flushing = Atomics.load(control, Control.Flush) === 1
      if (flushing || addon.export_state()[0] >= takeAt || Date.now() >= due) {
        const t0 = process.hrtime.bigint()
        const batch = addon.export_take(data.maxBatchSpans, 4 << 20)
        stats[SinkStat.TakeNs] += Number(process.hrtime.bigint() - t0)
        if (batch !== null) {
          stats[SinkStat.Spans] += batch[1]
          stats[SinkStat.Bytes] += batch[0].byteLength
          stats[SinkStat.Batches]++
          if (data.stall > 0) unsettled++
          else addon.export_settle(batch[1])
          continue
        }
        due = Date.now() + data.intervalMs
      }
    }
    Atomics.wait(control, Control.Seq, seq, 1)
  }
  addon.export_close()
  stats[SinkStat.Open] = 0
}
