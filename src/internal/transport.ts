/**
 * OTLP/HTTP for batches the engine has already encoded: one request at a time with `node:http` / `node:https` over one
 * keep-alive connection, gzip on request, retries of transient failures with backoff and `Retry-After`. The export
 * pump (exportPump.ts) sends a batch and awaits its outcome before it takes the next, so there is no queue here.
 * Plain promises, as the pump: it runs on the export worker, which starts without an Effect runtime.
 * Redirects are not followed, so the headers (an API token) only ever reach the configured URL.
 *
 * @internal
 */
import * as Http from "node:http"
import * as Https from "node:https"
import * as Zlib from "node:zlib"

/**
 * @internal An OTLP/HTTP receiver as the export worker gets it: header values (an API token) as plain strings, which
 * only the requests are built from; never logged, never in a report.
 */
export interface HttpTarget {
  readonly url: string
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>
  readonly compression: "gzip" | "none"
  readonly timeoutMillis: number
}

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
  /** Tries per batch, the first one included. Default 6. */
  readonly maxAttempts?: number
  /** First backoff delay before jitter. Default 100 ms. */
  readonly initialBackoffMillis?: number
  /** Backoff cap before jitter. Default 5 s. */
  readonly maxBackoffMillis?: number
  /** Cap on a server's `Retry-After`, so a misconfigured proxy cannot park the exporter for hours. Default 30 s. */
  readonly maxRetryAfterMillis?: number
  /** Batches sent at once (sockets kept). Default 1. */
  readonly concurrency?: number
}

/** @internal */
export interface Transport {
  /** Sends one batch, retrying transient failures: true when the receiver accepted it, false when it was dropped
   * (reported on the diagnostic hook). Never rejects; `abort` ends the request in flight and any wait for a retry. */
  readonly send: (body: Uint8Array, spans: number, abort: AbortSignal) => Promise<boolean>
  /** Retries so far. */
  readonly retries: () => number
  /** Closes the keep-alive sockets. */
  readonly close: () => void
}

/**
 * The OTLP/HTTP transport of `target`.
 *
 * @internal
 */
export const makeOtlpHttpTransport = (
  target: HttpTarget,
  hooks: TransportHooks,
  options: TransportOptions = {}
): Transport => {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 6))
  const initialBackoffMillis = options.initialBackoffMillis ?? 100
  const maxBackoffMillis = options.maxBackoffMillis ?? 5_000
  const maxRetryAfterMillis = options.maxRetryAfterMillis ?? 30_000
  const gzip = target.compression === "gzip"
  const where = safeUrl(target.url)
  const url = new URL(target.url)
  const secure = url.protocol === "https:"
  const request: (options: Http.RequestOptions) => Http.ClientRequest = secure ? Https.request : Http.request
  // One keep-alive socket per batch in flight (the pump sends a few at once), and one to cover a reconnect.
  const sockets = (options.concurrency ?? 1) + 1
  const agent = secure
    ? new Https.Agent({ keepAlive: true, maxSockets: sockets })
    : new Http.Agent({ keepAlive: true, maxSockets: sockets })
  const endpoint: Http.RequestOptions = {
    method: "POST",
    // The URL keeps an IPv6 literal in brackets; the socket wants the bare address.
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    agent
  }

  let retries = 0
  let state: 0 | 1 = 0
  const diagnostic = (message: string) => call(hooks.diagnostic, `effect-oneagent export: ${message}`)
  const verbose = (message: string) => call(hooks.verbose, `effect-oneagent export: ${message}`)
  const setState = (next: 0 | 1) => {
    if (state === next) return
    state = next
    call(hooks.onState, next)
  }

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

  // The object never leaves this closure except into the requests built from it.
  const headers: Record<string, string> = {}
  for (const [name, value] of target.headers) headers[name.toLowerCase()] = value
  headers["content-type"] = "application/x-protobuf"
  if (gzip) headers["content-encoding"] = "gzip"

  const post = (payload: Uint8Array, abort: AbortSignal): Promise<Outcome> =>
    postOnce(
      () => request({ ...endpoint, headers: { ...headers, "content-length": String(payload.byteLength) } }),
      payload,
      target.timeoutMillis,
      abort
    )

  const send = async (body: Uint8Array, spans: number, abort: AbortSignal): Promise<boolean> => {
    let payload = body
    if (gzip) {
      try {
        // Compressed before the first try so retries reuse the bytes; zlib's async API keeps it off this thread.
        payload = await gzipBytes(body)
      } catch (error) {
        diagnostic(`gzip failed (${error instanceof Error ? error.message : String(error)}); dropped a batch of ${spans} spans`)
        return false
      }
    }
    for (let attempt = 1;; attempt++) {
      if (abort.aborted) return false
      const outcome = await post(payload, abort)
      if (outcome.status >= 200 && outcome.status < 300) {
        setState(0)
        return true
      }
      if (abort.aborted) return false
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
      setState(1)
      const delay = retryAfterMillis(outcome.retryAfter) ?? backoffMillis(attempt)
      retries++
      verbose(`${where} failed with ${reason}; retry ${attempt} of ${maxAttempts - 1} in ${delay} ms`)
      await sleep(delay, abort)
    }
  }

  return { send, retries: () => retries, close: () => agent.destroy() }
}

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

const gzipBytes = (body: Uint8Array): Promise<Uint8Array> =>
  new Promise((resolve, reject) => Zlib.gzip(body, (error, result) => (error === null ? resolve(result) : reject(error))))

// Waits for a retry, or less when the export shuts down.
const sleep = (millis: number, abort: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (abort.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      abort.removeEventListener("abort", done)
      resolve()
    }
    const timer = setTimeout(done, millis)
    abort.addEventListener("abort", done, { once: true })
  })

// Diagnostics name the receiver without query string or credentials, which may carry secrets.
// Diagnostics name the endpoint without what could be a secret: no userinfo, no query, and a path segment longer
// than any OTLP or Dynatrace path part (`api`, `v2`, `otlp`, an environment id) shown as `…`, since some proxies
// take a token in the path.
const safeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    const path = parsed.pathname.split("/").map((segment) => segment.length > 16 ? "…" : segment).join("/")
    return `${parsed.origin}${path}`
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


