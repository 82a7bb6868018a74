// The OTLP/HTTP transport the export pump sends each batch with: one request at a time, retries with backoff and
// Retry-After, gzip, and an abort that ends a stalled send at shutdown.
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Zlib from "node:zlib"
import { OneAgentSdk } from "../src/index.ts"
import { type HttpTarget, makeOtlpHttpTransport, type TransportOptions } from "../src/internal/transport.ts"
import { closedPort, receiver, withSdk } from "./support/otlp.ts"

const secret = "Api-Token dt0c01.SECRETSECRET"

const target = (port: number, overrides: Partial<HttpTarget> = {}): HttpTarget => ({
  url: `http://127.0.0.1:${port}/v1/traces`,
  headers: [["Authorization", secret], ["X-Tenant", "t1"]],
  compression: "none",
  // An answered request is never timed out, however busy the machine: only the tests of stalls wait less.
  timeoutMillis: 20_000,
  ...overrides
})

// Short backoff keeps the retry tests fast; the policy itself is the same.
const fast: TransportOptions = { initialBackoffMillis: 10, maxBackoffMillis: 40 }

const transport = (t: HttpTarget, options: TransportOptions = fast) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const diagnostics: Array<string> = []
      const verbose: Array<string> = []
      const states: Array<0 | 1> = []
      const transport = makeOtlpHttpTransport(t, {
        diagnostic: (m) => diagnostics.push(m),
        verbose: (m) => verbose.push(m),
        onState: (s) => states.push(s)
      }, options)
      return { transport, diagnostics, verbose, states }
    }),
    ({ transport }) => Effect.sync(transport.close)
  )

const send = (t: { readonly send: (b: Uint8Array, n: number, a: AbortSignal) => Promise<boolean> }, body: Uint8Array, spans: number, abort = new AbortController().signal) =>
  Effect.promise(() => t.send(body, spans, abort))

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

const expectNoSecret = (messages: ReadonlyArray<string>) => {
  for (const m of messages) expect(m).not.toContain("SECRETSECRET")
}

describe("transport", () => {
  describe("success", () => {
    it.live("should POST the exact bytes with content-type and unredacted headers", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => ({ status: 200 }))
        const { diagnostics, states, transport: t } = yield* transport(target(srv.port))
        const body = bytes(1000)
        expect(yield* send(t, body, 7)).toBe(true)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(Buffer.compare(request!.raw, Buffer.from(body))).toBe(0)
        expect(request!.headers["content-type"]).toBe("application/x-protobuf")
        expect(request!.headers["content-encoding"]).toBeUndefined()
        expect(request!.headers.authorization).toBe(secret)
        expect(request!.headers["x-tenant"]).toBe("t1")
        expect(t.retries()).toBe(0)
        expect(diagnostics).toEqual([])
        expect(states).toEqual([])
      }))

    it.live("should send batches in order over one keep-alive connection", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port))
        for (let i = 0; i < 5; i++) expect(yield* send(t, bytes(10, i), i + 1)).toBe(true)
        expect(srv.requests.map((r) => r.raw[0])).toEqual([0, 1, 2, 3, 4].map((i) => bytes(10, i)[0]))
        expect(new Set(srv.requests.map((r) => r.socket)).size).toBe(1)
      }))

    it.live("should gzip the body when asked", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port, { compression: "gzip" }))
        const body = bytes(4096)
        expect(yield* send(t, body, 3)).toBe(true)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(request!.headers["content-encoding"]).toBe("gzip")
        expect(request!.raw.length).toBeLessThan(body.length)
        expect(Buffer.compare(Zlib.gunzipSync(request!.raw), Buffer.from(body))).toBe(0)
      }))
  })

  describe("retries", () => {
    it.live("should retry a 503 and report TEMPORARILY_INACTIVE then ACTIVE", () =>
      Effect.gen(function*() {
        const srv = yield* receiver((n) => ({ status: n === 1 ? 503 : 200 }))
        const { diagnostics, states, verbose, transport: t } = yield* transport(
          target(srv.port, { compression: "gzip" })
        )
        const body = bytes(2048)
        expect(yield* send(t, body, 4)).toBe(true)
        expect(srv.requests).toHaveLength(2)
        // Retries reuse the compressed bytes.
        expect(Buffer.compare(srv.requests[0]!.raw, srv.requests[1]!.raw)).toBe(0)
        expect(Buffer.compare(Zlib.gunzipSync(srv.requests[1]!.raw), Buffer.from(body))).toBe(0)
        expect(states).toEqual([1, 0])
        expect(t.retries()).toBe(1)
        expect(diagnostics).toEqual([])
        expect(verbose.join("\n")).toContain("503")
      }))

    it.live("should wait for Retry-After on a 429", () =>
      Effect.gen(function*() {
        const srv = yield* receiver((n) => n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 })
        const { transport: t, verbose } = yield* transport(target(srv.port))
        expect(yield* send(t, bytes(10), 1)).toBe(true)
        expect(srv.requests).toHaveLength(2)
        expect(t.retries()).toBe(1)
        // Retry-After's second, not the first backoff step (5 to 10 ms here).
        expect(verbose).toEqual([expect.stringContaining("HTTP 429; retry 1 of 5 in 1000 ms")])
      }))

    it.live("should drop a batch answered with 400 without retrying", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => ({ status: 400 }))
        const { diagnostics, states, transport: t } = yield* transport(target(srv.port))
        // The send is over when it resolves: one request, no retry pending.
        expect(yield* send(t, bytes(10), 5)).toBe(false)
        expect(srv.requests).toHaveLength(1)
        expect(t.retries()).toBe(0)
        expect(diagnostics).toHaveLength(1)
        expect(diagnostics[0]).toContain("400")
        expect(diagnostics[0]).toContain("5 spans")
        expect(states).toEqual([])
        expectNoSecret(diagnostics)
      }))

    it.live("should retry a refused connection, then drop", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const { diagnostics, states, transport: t } = yield* transport(target(port), { ...fast, maxAttempts: 3 })
        expect(yield* send(t, bytes(10), 2)).toBe(false)
        expect(yield* send(t, bytes(10), 3)).toBe(false)
        expect(t.retries()).toBe(4)
        expect(diagnostics).toHaveLength(2)
        expect(diagnostics[0]).toContain("ECONNREFUSED")
        expect(diagnostics[0]).toContain("3 times")
        expect(states).toEqual([1])
        expectNoSecret(diagnostics)
      }))

    it.live("should time out a server that never answers and send once it does", () =>
      Effect.gen(function*() {
        const srv = yield* receiver((n) => n <= 2 ? "stall" : { status: 200 })
        const { diagnostics, states, verbose, transport: t } = yield* transport(
          target(srv.port, { timeoutMillis: 300 })
        )
        expect(yield* send(t, bytes(10), 6)).toBe(true)
        // The two stalls timed out and were retried; the answer ended the send. (On a machine too busy to read an
        // answer within 300 ms, that try times out too and the next is answered: one more request, one more retry.)
        expect(t.retries()).toBeGreaterThanOrEqual(2)
        expect(srv.requests).toHaveLength(t.retries() + 1)
        expect(srv.requests.at(-1)!.status).toBe(200)
        expect(verbose.filter((m) => m.includes("no answer within 300 ms"))).toHaveLength(t.retries())
        expect(states).toEqual([1, 0])
        expect(diagnostics).toEqual([])
      }))

    it.live("should give up on a server that never answers", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => "stall")
        const { diagnostics, transport: t } = yield* transport(
          target(srv.port, { timeoutMillis: 100 }),
          { ...fast, maxAttempts: 2 }
        )
        expect(yield* send(t, bytes(10), 4)).toBe(false)
        expect(srv.requests).toHaveLength(2)
        expect(t.retries()).toBe(1)
        expect(diagnostics[0]).toContain("no answer within 100 ms")
      }))
  })

  describe("shutdown", () => {
    it.live("should end a send to a stalled server when aborted, and not retry after", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => "stall")
        const { transport: t } = yield* transport(target(srv.port, { timeoutMillis: 60_000 }))
        const abort = new AbortController()
        const sent = t.send(bytes(10), 8, abort.signal)
        yield* srv.arrived(1)
        abort.abort()
        expect(yield* Effect.promise(() => sent)).toBe(false)
        expect(srv.requests).toHaveLength(1)
      }))

    it.live("should not reject when a hook throws", () =>
      Effect.gen(function*() {
        const srv = yield* receiver(() => ({ status: 400 }))
        const t = makeOtlpHttpTransport(target(srv.port), {
          diagnostic: () => {
            throw new Error("user callback")
          },
          verbose: () => {},
          onState: () => {}
        })
        expect(yield* send(t, bytes(1), 1)).toBe(false)
        t.close()
      }))
  })
})

describe("what export diagnostics say about the endpoint", () => {
  it.live("never a token in the endpoint's path or its query (userinfo is refused as a setting)", () =>
    Effect.gen(function*() {
      const rx = yield* receiver(() => ({ status: 400 }))
      const token = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.YZ0123456789abcdefghij"
      const url = `${rx.url}/proxy/${token}/v1/traces?key=${token}`
      const run = yield* withSdk({ export: { tracesEndpoint: url } }, () =>
        Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" })))
      expect(rx.requests.length).toBeGreaterThan(0)
      const said = [...run.diagnostics, ...run.verbose, run.sdk.initResult.error ?? ""]
      // The refusal is reported, naming the endpoint by what is not secret.
      expect(said.join("\n")).toContain(`http://127.0.0.1:${rx.port}/proxy/…/v1/traces`)
      for (const message of said) expect(message).not.toContain(token.slice(7, 30))
    }))
})
