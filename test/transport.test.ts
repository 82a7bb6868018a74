// The OTLP/HTTP transport the export pump sends each batch with: one request at a time, retries with backoff and
// Retry-After, gzip, and an abort that ends a stalled send at shutdown.
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import { type HttpTarget, makeOtlpHttpTransport, type TransportOptions } from "../src/internal/transport.ts"

interface Received {
  readonly body: Buffer
  readonly headers: Http.IncomingHttpHeaders
  readonly at: number
  readonly socket: unknown
}

// What the server does with the n-th request (1-based); "stall" never answers.
type Reply = { readonly status: number; readonly headers?: Record<string, string> } | "stall"

const server = (reply: (n: number) => Reply) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly server: Http.Server
      readonly port: number
      readonly requests: Array<Received>
      /** Resolves once `n` requests have arrived. */
      readonly arrived: (n: number) => Promise<void>
    }>(
      (resume) => {
        const requests: Array<Received> = []
        let waiters: Array<{ readonly n: number; readonly resolve: () => void }> = []
        const arrived = (n: number) =>
          new Promise<void>((resolve) => (requests.length >= n ? resolve() : waiters.push({ n, resolve })))
        const server = Http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            requests.push({ body: Buffer.concat(chunks), headers: req.headers, at: performance.now(), socket: req.socket })
            waiters = waiters.filter((w) => (requests.length >= w.n ? (w.resolve(), false) : true))
            const r = reply(requests.length)
            if (r === "stall") return
            res.writeHead(r.status, r.headers).end()
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port, requests, arrived })))
      }
    ),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

// A port that was just free: connecting to it is refused.
const closedPort = Effect.callback<number>((resume) => {
  const probe = Http.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const port = (probe.address() as AddressInfo).port
    probe.close(() => resume(Effect.succeed(port)))
  })
})

const secret = "Api-Token dt0c01.SECRETSECRET"

const target = (port: number, overrides: Partial<HttpTarget> = {}): HttpTarget => ({
  url: `http://127.0.0.1:${port}/v1/traces`,
  headers: [["Authorization", secret], ["X-Tenant", "t1"]],
  compression: "none",
  timeoutMillis: 2_000,
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
        const srv = yield* server(() => ({ status: 200 }))
        const { diagnostics, states, transport: t } = yield* transport(target(srv.port))
        const body = bytes(1000)
        expect(yield* send(t, body, 7)).toBe(true)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(Buffer.compare(request!.body, Buffer.from(body))).toBe(0)
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
        const srv = yield* server(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port))
        for (let i = 0; i < 5; i++) expect(yield* send(t, bytes(10, i), i + 1)).toBe(true)
        expect(srv.requests.map((r) => r.body[0])).toEqual([0, 1, 2, 3, 4].map((i) => bytes(10, i)[0]))
        expect(new Set(srv.requests.map((r) => r.socket)).size).toBe(1)
      }))

    it.live("should gzip the body when asked", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port, { compression: "gzip" }))
        const body = bytes(4096)
        expect(yield* send(t, body, 3)).toBe(true)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(request!.headers["content-encoding"]).toBe("gzip")
        expect(request!.body.length).toBeLessThan(body.length)
        expect(Buffer.compare(Zlib.gunzipSync(request!.body), Buffer.from(body))).toBe(0)
      }))
  })

  describe("retries", () => {
    it.live("should retry a 503 and report TEMPORARILY_INACTIVE then ACTIVE", () =>
      Effect.gen(function*() {
        const srv = yield* server((n) => ({ status: n === 1 ? 503 : 200 }))
        const { diagnostics, states, verbose, transport: t } = yield* transport(
          target(srv.port, { compression: "gzip" })
        )
        const body = bytes(2048)
        expect(yield* send(t, body, 4)).toBe(true)
        expect(srv.requests).toHaveLength(2)
        // Retries reuse the compressed bytes.
        expect(Buffer.compare(srv.requests[0]!.body, srv.requests[1]!.body)).toBe(0)
        expect(Buffer.compare(Zlib.gunzipSync(srv.requests[1]!.body), Buffer.from(body))).toBe(0)
        expect(states).toEqual([1, 0])
        expect(t.retries()).toBe(1)
        expect(diagnostics).toEqual([])
        expect(verbose.join("\n")).toContain("503")
      }))

    it.live("should wait for Retry-After on a 429", () =>
      Effect.gen(function*() {
        const srv = yield* server((n) => n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 })
        const { transport: t } = yield* transport(target(srv.port))
        expect(yield* send(t, bytes(10), 1)).toBe(true)
        expect(srv.requests).toHaveLength(2)
        expect(srv.requests[1]!.at - srv.requests[0]!.at).toBeGreaterThanOrEqual(900)
        expect(t.retries()).toBe(1)
      }))

    it.live("should drop a batch answered with 400 without retrying", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 400 }))
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
        const srv = yield* server((n) => n <= 2 ? "stall" : { status: 200 })
        const { diagnostics, states, verbose, transport: t } = yield* transport(
          target(srv.port, { timeoutMillis: 300 })
        )
        expect(yield* send(t, bytes(10), 6)).toBe(true)
        expect(srv.requests).toHaveLength(3)
        expect(t.retries()).toBe(2)
        expect(verbose.join("\n")).toContain("300 ms")
        expect(states).toEqual([1, 0])
        expect(diagnostics).toEqual([])
      }))

    it.live("should give up on a server that never answers", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => "stall")
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
        const srv = yield* server(() => "stall")
        const { transport: t } = yield* transport(target(srv.port, { timeoutMillis: 60_000 }))
        const abort = new AbortController()
        const sent = t.send(bytes(10), 8, abort.signal)
        yield* Effect.promise(() => srv.arrived(1))
        abort.abort()
        expect(yield* Effect.promise(() => sent)).toBe(false)
        expect(srv.requests).toHaveLength(1)
      }))

    it.live("should not reject when a hook throws", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 400 }))
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
