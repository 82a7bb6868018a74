/**
 * The export pump: the one loop from the engine to the target. It takes a batch (encoded as it is taken), sends it,
 * settles it (exported or dropped) and takes the next; between batches it waits until a batch is full, the export
 * interval has passed, or a flush asks. It runs on the export worker (exportWorker.ts), never on the application's
 * thread, or inline where no worker can run (the WebAssembly engine, a runtime without workers).
 *
 * Accounting, in one place: every span the engine accepted is, at any time, waiting in the engine, in flight here,
 * or counted as exported or dropped. A flush is done when every span that ended before it was asked for has been
 * taken and nothing is in flight.
 *
 * Plain promises rather than Effect: the pump and its senders are all the export worker loads, and a worker that
 * starts in a few milliseconds (no Effect runtime to load) delays neither the first export nor a short-lived
 * process's shutdown.
 *
 * @internal
 */

/** @internal Where batches come from: the engine's consumer side, or batches received from elsewhere. */
export interface Source {
  /** The next batch, encoded now; null when no span waits. */
  readonly take: (maxSpans: number, maxBytes: number) => Batch | null
  /** Spans of taken batches that are done with: room under the engine's bound again. */
  readonly settle: (spans: number) => void
  /** Spans waiting to be taken. */
  readonly waiting: () => number
  /** Spans the source dropped itself (the engine's encoder out of memory), counted with the dropped ones. */
  readonly dropped: () => number
}

/** @internal One encoded batch, with the same spans as OTLP/JSON when the console view asked for a copy. */
export type Batch = readonly [bytes: Uint8Array, spans: number, json?: Uint8Array]

/** @internal Where batches go: a transport, the file, or the cluster primary. */
export interface Sender {
  /** The encoding it takes: OTLP protobuf (HTTP) or OTLP/JSON (the file). */
  readonly format: "protobuf" | "json"
  /** Batches it takes at once (default 1): a receiver answers requests on several connections in parallel. */
  readonly concurrency?: number | undefined
  /** Sends one batch: true when delivered, false when dropped (reported by the sender). Never rejects; `abort` ends
   * it early (shutdown past its deadline). */
  readonly send: (bytes: Uint8Array, spans: number, abort: AbortSignal) => Promise<boolean>
  readonly close?: (() => void) | undefined
}

/** @internal Indices of the pump's counters (a Float64Array, shared with the application's thread when in a worker). */
export const Stat = {
  Exported: 0,
  Dropped: 1,
  InFlight: 2,
  /** 1 while the sender is backing off after a failure (TEMPORARILY_INACTIVE), else 0. */
  State: 3,
  Batches: 4,
  /** Spans taken (in batches) or dropped by the source: comparable with the engine's accepted spans for a flush. */
  Taken: 5,
  Count: 6
} as const

/** @internal */
export interface PumpOptions {
  readonly intervalMillis: number
  readonly maxBatchSpans: number
  readonly maxBatchBytes: number
  /** Take a batch before the interval once this many spans wait (default maxBatchSpans): with a small bufferSize,
   * half of it, so the bound is not reached while the interval runs. */
  readonly takeAt?: number | undefined
}

// How often the loop looks at the engine while it waits: the engine does not signal each finished span.
const pollMillis = 10

/** @internal */
export class Pump {
  private readonly source: Source
  private readonly sender: Sender
  private readonly options: PumpOptions
  private readonly stats: Float64Array
  private readonly onBatch: ((batch: Batch) => void) | undefined
  private readonly onIdle: (() => void) | undefined
  private flushes: Array<{ readonly target: number; readonly done: () => void }> = []
  private readonly sending = new Set<Promise<void>>()
  private closing = false
  private stopped = false
  private wake: (() => void) | undefined = undefined
  private due: number
  private readonly abort = new AbortController()
  /** The loop, running from construction until `close` has drained it. */
  readonly running: Promise<void>

  /** `stats` receives the counters ({@link Stat}); `onBatch` sees each batch as it is sent (the console view),
   * `onIdle` runs at each wait step. */
  constructor(
    source: Source,
    sender: Sender,
    options: PumpOptions,
    stats: Float64Array,
    onBatch?: (batch: Batch) => void,
    onIdle?: () => void
  ) {
    this.source = source
    this.sender = sender
    this.options = options
    this.stats = stats
    this.onBatch = onBatch
    this.onIdle = onIdle
    this.due = Date.now() + options.intervalMillis
    this.running = this.run()
  }

  private taken(): number {
    return this.stats[Stat.Taken]! + this.source.dropped()
  }

  private pending(): number {
    return this.source.waiting() + this.stats[Stat.InFlight]!
  }

  private settleFlushes(): void {
    if (this.flushes.length === 0 || this.sending.size > 0) return
    const empty = this.source.waiting() === 0
    this.flushes = this.flushes.filter((f) => {
      if (!this.stopped && !empty && this.taken() < f.target) return true
      f.done()
      return false
    })
  }

  private signal(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private async run(): Promise<void> {
    const { maxBatchBytes, maxBatchSpans, intervalMillis } = this.options
    const takeAt = Math.max(1, Math.min(maxBatchSpans, this.options.takeAt ?? maxBatchSpans))
    const concurrency = Math.max(1, this.sender.concurrency ?? 1)
    while (!this.stopped) {
      // A target that fails gets one batch at a time (the one being retried) until it answers again.
      const room = this.stats[Stat.State] === 1 ? 1 : concurrency
      if (this.sending.size < room) {
        const urgent = this.closing || this.flushes.length > 0
        if (urgent || this.source.waiting() >= takeAt || Date.now() >= this.due) {
          const batch = this.source.take(maxBatchSpans, maxBatchBytes)
          if (batch !== null) {
            this.send(batch)
            continue
          }
          this.due = Date.now() + intervalMillis
          if (this.closing && this.sending.size === 0) this.stopped = true
          this.settleFlushes()
          if (this.stopped) return
        }
      }
      try {
        this.onIdle?.()
      } catch {
        // a report hook must not stop the export
      }
      // Waits a poll step, or less when a send completes or a flush or the close asks.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined
          resolve()
        }, pollMillis)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  private send(batch: Batch): void {
    const [bytes, spans] = batch
    const stats = this.stats
    stats[Stat.Taken] += spans
    stats[Stat.InFlight] += spans
    try {
      this.onBatch?.(batch)
    } catch {
      // the console view is best effort; the target has the data
    }
    const sent: Promise<void> = this.sender.send(bytes, spans, this.abort.signal).then(
      (ok) => ok,
      () => false
    ).then((ok) => {
      stats[ok ? Stat.Exported : Stat.Dropped] += spans
      if (ok) stats[Stat.Batches]++
      stats[Stat.InFlight] -= spans
      this.source.settle(spans)
      this.sending.delete(sent)
      this.settleFlushes()
      this.signal()
    })
    this.sending.add(sent)
  }

  /**
   * Exports every span the engine accepted up to `target` (a count comparable with Stat.Taken; Infinity: all that
   * waits), within the deadline; resolves with the spans not exported by then (still waiting or in flight). The
   * waiter is registered in the same step that wakes the loop, so the loop cannot finish before it sees it.
   */
  flush(target: number, timeoutMillis: number): Promise<number> {
    if (this.stopped) return Promise.resolve(this.pending())
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => finish(), Math.max(0, timeoutMillis))
      const finish = () => {
        clearTimeout(timer)
        this.flushes = this.flushes.filter((f) => f !== waiter)
        resolve(this.pending())
      }
      const waiter = { target, done: finish }
      this.flushes.push(waiter)
      this.signal()
    })
  }

  /**
   * Flushes within the deadline, then stops: a batch still in flight is abandoned and what still waits is taken and
   * dropped, all counted, so the engine's bound and the counts agree. Resolves with the spans not exported.
   */
  async close(timeoutMillis: number): Promise<number> {
    this.closing = true
    const undelivered = await this.flush(Infinity, timeoutMillis)
    this.stopped = true
    this.abort.abort()
    this.signal()
    await this.running
    // Aborted, the sends still in flight end at once, dropped and counted.
    await Promise.all(this.sending)
    const all = Number.MAX_SAFE_INTEGER
    for (let batch = this.source.take(4096, all); batch !== null; batch = this.source.take(4096, all)) {
      this.stats[Stat.Taken] += batch[1]
      this.stats[Stat.Dropped] += batch[1]
      this.source.settle(batch[1])
    }
    try {
      this.sender.close?.()
    } catch {
      // closing a file or sockets: nothing to report to any more
    }
    return undelivered
  }
}
