/**
 * OTLP/HTTP sender for batches the native engine has already encoded.
 *
 * The engine hands over `(bytes, spanCount)` on the JS thread; `offer` puts them in a fixed ring without
 * allocating, and one background fiber posts them one at a time with `node:http` / `node:https` over one keep-alive
 * connection, retrying transient failures. Every span offered ends up in exactly one of `sentSpans`, `droppedSpans`
 * or `pendingSpans`. Redirects are not followed, so the headers (an API token) only ever reach the configured URL.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Zlib from "node:zlib"
import type { OtlpHttpTarget } from "../ExportConfig.ts"

/** @internal */
export const AgentStateActive = 0

/** @internal */
export const AgentStateTemporarilyInactive = 1

/** @internal */
export interface TransportHooks {
  /** Export failures and drops. */
  readonly diagnostic: (message: string) => void
  /** Benign events: retries and their delays. */
  readonly verbose: (message: string) => void
  /** `1` (TEMPORARILY_INACTIVE) when a request must be retried, `0` (ACTIVE) after the next success. */
  readonly onState: (state: 0 | 1) => void
}

/** @internal */
export interface TransportOptions {
  /** Ring capacity in batches; the batch in flight is not counted. */
  readonly maxQueueBatches: number
  /** Tries per batch, the first one included. Default 6. */
  readonly maxAttempts?: number
  /** First backoff delay before jitter. Default 100 ms. */
  readonly initialBackoffMillis?: number
  /** Backoff cap before jitter. Default 5 s. */
  readonly maxBackoffMillis?: number
  /** Cap on a server's `Retry-After`, so a misconfigured proxy cannot park the exporter for hours. Default 30 s. */
  readonly maxRetryAfterMillis?: number
  /**
   * Whether closing reports the spans it drops (default true). The export pipeline turns it off: it flushes first
   * and makes one report of everything that could not be delivered.
   */
  readonly reportOnClose?: boolean
}

/** @internal */
export interface TransportStats {
  readonly sentSpans: number
  readonly droppedSpans: number
  readonly pendingSpans: number
  readonly retries: number
  readonly sentBatches: number
}

/** @internal */
export interface Transport {
  /** Synchronous and never throws; with the ring full (or after close) the batch is dropped and its spans counted. */
  readonly offer: (body: Uint8Array, spanCount: number) => void
  /** Waits until every batch offered before the call was sent or given up, or until the deadline. */
  readonly flush: (timeoutMillis: number) => Effect.Effect<{ readonly pendingSpans: number }>
  readonly stats: () => TransportStats
}

/**
 * Starts the sender fiber in the current scope. Closing the scope stops it; whatever is still queued or in flight
 * then is counted as dropped, so the owner calls `flush` with its deadline first.
 *
 * @internal
 */
export const makeOtlpHttpTransport: (
  target: OtlpHttpTarget,
  hooks: TransportHooks,
  options: TransportOptions
) => Effect.Effect<Transport, never, Scope.Scope> = Effect.fnUntraced(function*(target, hooks, options) {
  const capacity = Math.max(1, Math.floor(options.maxQueueBatches))
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 6))
  const initialBackoffMillis = options.initialBackoffMillis ?? 100
  const maxBackoffMillis = options.maxBackoffMillis ?? 5_000
  const maxRetryAfterMillis = options.maxRetryAfterMillis ?? 30_000
  const gzip = target.compression === "gzip"
  const where = safeUrl(target.url)
  const url = new URL(target.url)
  const secure = url.protocol === "https:"
  const request: (options: Http.RequestOptions) => Http.ClientRequest = secure ? Https.request : Http.request
  // One batch is in flight at a time, so one socket is reused; the second covers a reconnect while the first closes.
  // Destroyed with the scope, so no idle socket outlives the transport.
  const agent = yield* Effect.acquireRelease(
    Effect.sync(() =>
      secure ? new Https.Agent({ keepAlive: true, maxSockets: 2 }) : new Http.Agent({ keepAlive: true, maxSockets: 2 })
    ),
    (agent) => Effect.sync(() => agent.destroy())
  )
  const endpoint: Http.RequestOptions = {
    method: "POST",
    // The URL keeps an IPv6 literal in brackets; the socket wants the bare address.
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    agent
  }

  // Ring of batches: parallel arrays, head index and size, so a batch costs no allocation and no shifting.
  const bodies: Array<Uint8Array | undefined> = new Array(capacity).fill(undefined)
  const counts = new Float64Array(capacity)
  let head = 0
  let size = 0

  let queuedSpans = 0
  let inFlightSpans = 0
  let sentSpans = 0
  let droppedSpans = 0
  let retries = 0
  let sentBatches = 0
  // Batches that entered the ring, and batches that left it for good; flush waits on the latter.
  let accepted = 0
  let settled = 0
  let closed = false
  let state: 0 | 1 = AgentStateActive
  // One report per episode of a full ring, not one per dropped batch.
  let fullDroppedBatches = 0
  let fullDroppedSpans = 0

  let wake: (() => void) | undefined = undefined
  let waiters: Array<{ readonly target: number; readonly resume: () => void }> = []

  const diagnostic = (message: string) => call(hooks.diagnostic, `effect-oneagent export: ${message}`)
  const verbose = (message: string) => call(hooks.verbose, `effect-oneagent export: ${message}`)
  const setState = (next: 0 | 1) => {
    if (state === next) return
    state = next
    call(hooks.onState, next)
  }

  const offer = (body: Uint8Array, spanCount: number): void => {
    const spans = spanCount > 0 && Number.isFinite(spanCount) ? Math.floor(spanCount) : 0
    if (closed) {
      droppedSpans += spans
      diagnostic(`dropped a batch of ${spans} spans offered after shutdown`)
      return
    }
    if (size === capacity) {
      // Spans are being dropped: the target is not keeping up, whether or not a request has failed yet.
      setState(AgentStateTemporarilyInactive)
      if (fullDroppedBatches === 0) {
        diagnostic(`export queue full (${capacity} batches): dropping new batches until it drains`)
      }
      fullDroppedBatches++
      fullDroppedSpans += spans
      droppedSpans += spans
      // While the target stays down the episode may never end: its count is also told at 10, 100, 1000, ... batches.
      if (isPowerOfTen(fullDroppedBatches)) {
        diagnostic(`export queue still full: dropped ${fullDroppedBatches} batches (${fullDroppedSpans} spans) so far`)
      }
      return
    }
    if (fullDroppedBatches > 0) {
      diagnostic(`export queue has room again; dropped ${fullDroppedBatches} batches (${fullDroppedSpans} spans)`)
      fullDroppedBatches = 0
      fullDroppedSpans = 0
    }
    const tail = (head + size) % capacity
    bodies[tail] = body
    counts[tail] = spans
    size++
    queuedSpans += spans
    accepted++
    if (wake !== undefined) {
      const resume = wake
      wake = undefined
      resume()
    }
  }

  const notifyWaiters = () => {
    if (waiters.length === 0) return
    const waiting = waiters
    waiters = []
    for (const waiter of waiting) {
      if (closed || waiter.target <= settled) waiter.resume()
      else waiters.push(waiter)
    }
  }

  const pending = () => queuedSpans + inFlightSpans

  const flush = (timeoutMillis: number): Effect.Effect<{ readonly pendingSpans: number }> =>
    Effect.suspend(() => {
      const target = accepted
      if (closed || settled >= target) return Effect.succeed({ pendingSpans: pending() })
      return Effect.callback<void>((resume) => {
        const waiter = { target, resume: () => resume(Effect.void) }
        waiters.push(waiter)
        return Effect.sync(() => {
          waiters = waiters.filter((w) => w !== waiter)
        })
      }).pipe(
        Effect.timeoutOption(Number.isFinite(timeoutMillis) ? Math.max(0, timeoutMillis) : 0),
        Effect.map(() => ({ pendingSpans: pending() }))
      )
    })

  const stats = (): TransportStats => ({
    sentSpans,
    droppedSpans,
    pendingSpans: pending(),
    retries,
    sentBatches
  })

  const nextBatch = Effect.callback<void>((resume) => {
    if (size > 0) return resume(Effect.void)
    wake = () => resume(Effect.void)
    return Effect.sync(() => {
      wake = undefined
    })
  })

  const retryAfterMillis = (value: string | null): number | undefined => {
    if (value === null) return undefined
    const trimmed = value.trim()
    if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, maxRetryAfterMillis)
    const date = Date.parse(trimmed)
    // Wall-clock on purpose: an HTTP date is wall-clock time.
    return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), maxRetryAfterMillis)
  }

  const backoffMillis = (retry: number): number => {
    const base = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** (retry - 1))
    // Equal jitter: never less than half the step, so instances that failed together spread out.
    return Math.round(base / 2 + Math.random() * (base / 2))
  }

  // Header values leave their Redacted wrapper only here, once; the object never leaves this closure except into
  // the requests built from it.
  const headers: Record<string, string> = {}
  for (const [name, value] of target.headers) headers[name.toLowerCase()] = Redacted.value(value)
  headers["content-type"] = "application/x-protobuf"
  if (gzip) headers["content-encoding"] = "gzip"

  const post = (payload: Uint8Array): Effect.Effect<Outcome> =>
    Effect.promise((interrupted) =>
      postOnce(
        () => request({ ...endpoint, headers: { ...headers, "content-length": String(payload.byteLength) } }),
        payload,
        target.timeoutMillis,
        interrupted
      )
    )

  // Returns whether the batch was accepted by the receiver.
  const send = Effect.fnUntraced(function*(body: Uint8Array, spans: number) {
    let payload = body
    if (gzip) {
      // Compress before the first try so retries reuse the bytes; zlib's async API keeps it off the JS thread.
      const compressed = yield* Effect.result(gzipBytes(body))
      if (compressed._tag === "Failure") {
        diagnostic(`gzip failed (${compressed.failure.message}); dropped a batch of ${spans} spans`)
        return false
      }
      payload = compressed.success
    }
    for (let attempt = 1;; attempt++) {
      const outcome = yield* post(payload)
      if (outcome.status >= 200 && outcome.status < 300) {
        setState(AgentStateActive)
        return true
      }
      const reason = outcome.status === 0 ? outcome.error : `HTTP ${outcome.status}`
      if (outcome.error !== undefined && outcome.hint !== undefined) {
        diagnostic(`${where} failed with ${reason} (not retryable: ${outcome.hint}); dropped a batch of ${spans} spans`)
        return false
      }
      if (outcome.status !== 0 && !retryableStatus(outcome.status)) {
        const why = outcome.status >= 300 && outcome.status < 400
          ? "redirects are not followed: configure the final URL"
          : "not retryable"
        diagnostic(`${where} answered ${reason} (${why}); dropped a batch of ${spans} spans`)
        return false
      }
      if (attempt >= maxAttempts) {
        diagnostic(`${where} failed ${attempt} times, last with ${reason}; dropped a batch of ${spans} spans`)
        return false
      }
      setState(AgentStateTemporarilyInactive)
      const delay = retryAfterMillis(outcome.retryAfter) ?? backoffMillis(attempt)
      retries++
      verbose(`${where} failed with ${reason}; retry ${attempt} of ${maxAttempts - 1} in ${delay} ms`)
      yield* Effect.sleep(delay)
    }
  })

  const run = Effect.gen(function*() {
    while (true) {
      if (size === 0) yield* nextBatch
      const body = bodies[head]!
      const spans = counts[head]
      bodies[head] = undefined
      head = (head + 1) % capacity
      size--
      queuedSpans -= spans
      inFlightSpans = spans
      const ok = yield* send(body, spans)
      // Moved from in flight to its final counter in one synchronous step, so the counts always add up.
      if (ok) {
        sentSpans += spans
        sentBatches++
      } else {
        droppedSpans += spans
      }
      inFlightSpans = 0
      settled++
      notifyWaiters()
    }
  }).pipe(
    // The exporter's own work must never show up as spans.
    Effect.withTracerEnabled(false)
  )

  // Registered before the fork, so it runs after the fiber has been interrupted (finalizers run in reverse order).
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      if (fullDroppedBatches > 0) {
        diagnostic(`export queue was full until shutdown; dropped ${fullDroppedBatches} batches (${fullDroppedSpans} spans)`)
      }
      const lost = queuedSpans + inFlightSpans
      bodies.fill(undefined)
      size = 0
      queuedSpans = 0
      inFlightSpans = 0
      droppedSpans += lost
      if (lost > 0 && options.reportOnClose !== false) diagnostic(`shut down with ${lost} spans not exported; they are dropped`)
      notifyWaiters()
    })
  )
  yield* Effect.forkScoped(run)

  return { offer, flush, stats } satisfies Transport
})

// internal

type Outcome =
  | { readonly status: number; readonly retryAfter: string | null; readonly error?: undefined; readonly hint?: undefined }
  | { readonly status: 0; readonly retryAfter: null; readonly error: string; readonly hint: string | undefined }

const retryableStatus = (status: number): boolean =>
  status === 429 || status === 502 || status === 503 || status === 504

// Never rejects and settles once: every failure becomes an Outcome, so the caller decides about retries in one place.
const postOnce = (
  open: () => Http.ClientRequest,
  payload: Uint8Array,
  timeoutMillis: number,
  interrupted: AbortSignal
): Promise<Outcome> =>
  new Promise((resolve) => {
    if (interrupted.aborted) return resolve(failure({ error: "request aborted", hint: undefined }))
    let req: Http.ClientRequest | undefined
    let answer: Outcome | undefined
    let settled = false
    const settle = (outcome: Outcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      interrupted.removeEventListener("abort", onAbort)
      resolve(outcome)
    }
    // Destroying the request closes its socket, so nothing late from it can be taken for the next batch's answer.
    const stop = (outcome: Outcome) => {
      settle(outcome)
      req?.destroy()
    }
    const onAbort = () => stop(failure({ error: "request aborted", hint: undefined }))
    // Bounds connect, upload and answer together; a status already received is still the verdict.
    const timer = setTimeout(() => stop(answer ?? failure({ error: `no answer within ${timeoutMillis} ms`, hint: undefined })), timeoutMillis)
    interrupted.addEventListener("abort", onAbort, { once: true })
    try {
      req = open()
      req.on("response", (res) => {
        const outcome: Outcome = { status: res.statusCode!, retryAfter: res.headers["retry-after"] ?? null }
        answer = outcome
        // Settled once drained, when the keep-alive socket is back in the pool for the next batch.
        res.on("end", () => settle(outcome)).on("close", () => settle(outcome)).resume()
      })
      // Stays attached after settling: a late socket error must not become an unhandled 'error' event.
      req.on("error", (error) => stop(failure(describeError(error))))
      req.end(payload)
    } catch (error) {
      // Thrown synchronously for a request Node refuses to build (e.g. an invalid header).
      stop(failure(describeError(error)))
    }
  })

const failure = ({ error, hint }: { readonly error: string; readonly hint: string | undefined }): Outcome => ({
  status: 0,
  retryAfter: null,
  error,
  hint
})

// Node's errors carry a code (ECONNREFUSED, ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT, ...), and only the code is
// reported: some messages quote the offending value, which may be a header. Errors that the next try would meet
// again are not retried; the hint says what to change.
const describeError = (error: unknown): { readonly error: string; readonly hint: string | undefined } => {
  const code = typeof error === "object" && error !== null ? (error as { readonly code?: unknown }).code : undefined
  if (typeof code !== "string") {
    return { error: error instanceof Error ? `network error (${error.message})` : "network error", hint: undefined }
  }
  const hint = code === "ERR_TLS_CERT_ALTNAME_INVALID"
    ? "the receiver's certificate does not name this host: use the name it was issued for"
    : code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID"
    ? "the receiver's certificate is outside its validity period"
    : /CERT|ERR_TLS|VERIFY/.test(code)
    ? "the receiver's certificate is not trusted; add its CA with NODE_EXTRA_CA_CERTS"
    : /^ERR_(INVALID_CHAR|INVALID_HTTP_TOKEN|HTTP_INVALID_HEADER_VALUE)$/.test(code)
    ? "a configured header cannot be sent"
    : undefined
  return { error: `network error ${code}`, hint }
}

const gzipBytes = (body: Uint8Array): Effect.Effect<Uint8Array, Error> =>
  Effect.callback<Uint8Array, Error>((resume) => {
    Zlib.gzip(body, (error, result) => resume(error === null ? Effect.succeed(result) : Effect.fail(error)))
  })

// Diagnostics name the receiver without query string or credentials, which may carry secrets.
const safeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return "the OTLP endpoint"
  }
}

const call = <A>(hook: (a: A) => void, a: A): void => {
  // A throwing user callback must not break the native callback that called offer, nor the sender fiber.
  try {
    hook(a)
  } catch {
    // ignored on purpose
  }
}

// 10, 100, 1000, ...
const isPowerOfTen = (n: number): boolean => {
  if (n < 10) return false
  while (n % 10 === 0) n /= 10
  return n === 1
}
