import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import type { OtlpHttpTarget } from "../src/ExportConfig.ts"
import { makeOtlpHttpTransport, type TransportOptions } from "../src/internal/transport.ts"

interface Received {
  readonly body: Buffer
  readonly headers: Http.IncomingHttpHeaders
  readonly at: number
}

// What the server does with the n-th request (1-based); "stall" never answers.
type Reply = { readonly status: number; readonly headers?: Record<string, string> } | "stall"

const server = (reply: (n: number) => Reply) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly port: number; readonly requests: Array<Received> }>(
      (resume) => {
        const requests: Array<Received> = []
        const server = Http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            requests.push({ body: Buffer.concat(chunks), headers: req.headers, at: performance.now() })
            const r = reply(requests.length)
            if (r === "stall") return
            res.writeHead(r.status, r.headers).end()
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port, requests })))
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

const target = (port: number, overrides: Partial<OtlpHttpTarget> = {}): OtlpHttpTarget => ({
  _tag: "OtlpHttp",
  url: `http://127.0.0.1:${port}/v1/traces`,
  headers: [["Authorization", Redacted.make(secret)], ["X-Tenant", Redacted.make("t1")]],
  compression: "none",
  timeoutMillis: 2_000,
  ...overrides
})

// Short backoff keeps the retry tests fast; the policy itself is the same.
const fast: TransportOptions = { maxQueueBatches: 16, initialBackoffMillis: 10, maxBackoffMillis: 40 }

const transport = (t: OtlpHttpTarget, options: TransportOptions = fast) =>
  Effect.gen(function*() {
    const diagnostics: Array<string> = []
    const verbose: Array<string> = []
    const states: Array<0 | 1> = []
    const transport = yield* makeOtlpHttpTransport(t, {
      diagnostic: (m) => diagnostics.push(m),
      verbose: (m) => verbose.push(m),
      onState: (s) => states.push(s)
    }, options)
    return { transport, diagnostics, verbose, states }
  })

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
        t.offer(body, 7)
        const { pendingSpans } = yield* t.flush(2_000)
        expect(pendingSpans).toBe(0)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(Buffer.compare(request.body, Buffer.from(body))).toBe(0)
        expect(request.headers["content-type"]).toBe("application/x-protobuf")
        expect(request.headers["content-encoding"]).toBeUndefined()
        expect(request.headers.authorization).toBe(secret)
        expect(request.headers["x-tenant"]).toBe("t1")
        expect(t.stats()).toEqual({ sentSpans: 7, droppedSpans: 0, pendingSpans: 0, retries: 0, sentBatches: 1 })
        expect(diagnostics).toEqual([])
        expect(states).toEqual([])
      }))

    it.live("should send batches in order, one at a time", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port))
        for (let i = 0; i < 5; i++) t.offer(bytes(10, i), i + 1)
        expect((yield* t.flush(2_000)).pendingSpans).toBe(0)
        expect(srv.requests.map((r) => r.body[0])).toEqual([0, 1, 2, 3, 4].map((i) => bytes(10, i)[0]))
        expect(t.stats()).toMatchObject({ sentSpans: 15, sentBatches: 5, droppedSpans: 0 })
      }))

    it.live("should gzip the body when asked", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 200 }))
        const { transport: t } = yield* transport(target(srv.port, { compression: "gzip" }))
        const body = bytes(4096)
        t.offer(body, 3)
        yield* t.flush(2_000)
        expect(srv.requests).toHaveLength(1)
        const [request] = srv.requests
        expect(request.headers["content-encoding"]).toBe("gzip")
        expect(request.body.length).toBeLessThan(body.length)
        expect(Buffer.compare(Zlib.gunzipSync(request.body), Buffer.from(body))).toBe(0)
        expect(t.stats().sentSpans).toBe(3)
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
        t.offer(body, 4)
        expect((yield* t.flush(3_000)).pendingSpans).toBe(0)
        expect(srv.requests).toHaveLength(2)
        // Retries reuse the compressed bytes.
        expect(Buffer.compare(srv.requests[0].body, srv.requests[1].body)).toBe(0)
        expect(Buffer.compare(Zlib.gunzipSync(srv.requests[1].body), Buffer.from(body))).toBe(0)
        expect(states).toEqual([1, 0])
        expect(t.stats()).toEqual({ sentSpans: 4, droppedSpans: 0, pendingSpans: 0, retries: 1, sentBatches: 1 })
        expect(diagnostics).toEqual([])
        expect(verbose.join("\n")).toContain("503")
      }))

    it.live("should wait for Retry-After on a 429", () =>
      Effect.gen(function*() {
        const srv = yield* server((n) => n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 })
        const { transport: t } = yield* transport(target(srv.port))
        t.offer(bytes(10), 1)
        expect((yield* t.flush(5_000)).pendingSpans).toBe(0)
        expect(srv.requests).toHaveLength(2)
        expect(srv.requests[1].at - srv.requests[0].at).toBeGreaterThanOrEqual(900)
        expect(t.stats()).toMatchObject({ sentSpans: 1, retries: 1 })
      }))

    it.live("should drop a batch answered with 400 without retrying", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => ({ status: 400 }))
        const { diagnostics, states, transport: t } = yield* transport(target(srv.port))
        t.offer(bytes(10), 5)
        expect((yield* t.flush(2_000)).pendingSpans).toBe(0)
        // A retry would arrive within the backoff; give it the chance to show up.
        yield* Effect.sleep(100)
        expect(srv.requests).toHaveLength(1)
        expect(t.stats()).toEqual({ sentSpans: 0, droppedSpans: 5, pendingSpans: 0, retries: 0, sentBatches: 0 })
        expect(diagnostics).toHaveLength(1)
        expect(diagnostics[0]).toContain("400")
        expect(diagnostics[0]).toContain("5 spans")
        expect(states).toEqual([])
        expectNoSecret(diagnostics)
      }))

    it.live("should retry a refused connection, then drop, with the counts adding up", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const { diagnostics, states, transport: t } = yield* transport(target(port), { ...fast, maxAttempts: 3 })
        t.offer(bytes(10), 2)
        t.offer(bytes(10), 3)
        expect((yield* t.flush(5_000)).pendingSpans).toBe(0)
        expect(t.stats()).toEqual({ sentSpans: 0, droppedSpans: 5, pendingSpans: 0, retries: 4, sentBatches: 0 })
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
        t.offer(bytes(10), 6)
        expect((yield* t.flush(5_000)).pendingSpans).toBe(0)
        expect(srv.requests).toHaveLength(3)
        expect(t.stats()).toEqual({ sentSpans: 6, droppedSpans: 0, pendingSpans: 0, retries: 2, sentBatches: 1 })
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
        t.offer(bytes(10), 4)
        expect((yield* t.flush(5_000)).pendingSpans).toBe(0)
        expect(srv.requests).toHaveLength(2)
        expect(t.stats()).toMatchObject({ sentSpans: 0, droppedSpans: 4, pendingSpans: 0, retries: 1 })
        expect(diagnostics[0]).toContain("no answer within 100 ms")
      }))
  })

  describe("bounds", () => {
    it.live("should drop and count batches when the queue is full, and count leftovers at close", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => "stall")
        const scope = yield* Scope.make()
        const { diagnostics, transport: t } = yield* transport(target(srv.port), { ...fast, maxQueueBatches: 2 }).pipe(
          Scope.provide(scope)
        )
        // Synchronous offers: the sender has not taken any batch yet, so the ring holds 2 and 3 are dropped.
        for (let i = 0; i < 5; i++) t.offer(bytes(10, i), 10)
        expect(t.stats()).toMatchObject({ sentSpans: 0, droppedSpans: 30, pendingSpans: 20 })
        expect(diagnostics).toHaveLength(1)
        expect(diagnostics[0]).toContain("queue full")

        // One batch goes in flight, which frees a slot.
        yield* Effect.sleep(100)
        expect(srv.requests).toHaveLength(1)
        t.offer(bytes(10), 10)
        expect(diagnostics[1]).toContain("dropped 3 batches (30 spans)")
        expect(t.stats()).toMatchObject({ droppedSpans: 30, pendingSpans: 30 })

        yield* Scope.close(scope, Exit.void)
        expect(t.stats()).toEqual({ sentSpans: 0, droppedSpans: 60, pendingSpans: 0, retries: 0, sentBatches: 0 })
        expect(diagnostics.at(-1)).toContain("30 spans not exported")

        t.offer(bytes(10), 1)
        expect(t.stats().droppedSpans).toBe(61)
        expect((yield* t.flush(1_000)).pendingSpans).toBe(0)
      }))

    it.live("should tell the count of a full queue that never drains, at 10, 100, ... batches and at shutdown", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => "stall")
        const scope = yield* Scope.make()
        const { diagnostics, states, transport: t } = yield* transport(target(srv.port), { ...fast, maxQueueBatches: 2 })
          .pipe(Scope.provide(scope))
        for (let i = 0; i < 2 + 100; i++) t.offer(bytes(10, i), 3)
        // Dropping: TEMPORARILY_INACTIVE, before any request has failed.
        expect(states).toEqual([1])
        expect(diagnostics.filter((d) => d.includes("queue still full"))).toEqual([
          expect.stringContaining("dropped 10 batches (30 spans) so far"),
          expect.stringContaining("dropped 100 batches (300 spans) so far")
        ])
        yield* Scope.close(scope, Exit.void)
        expect(diagnostics.filter((d) => d.includes("full until shutdown"))).toEqual([
          expect.stringContaining("dropped 100 batches (300 spans)")
        ])
      }))

    it.live("should return from flush by its deadline while the server stalls", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => "stall")
        const { transport: t } = yield* transport(target(srv.port, { timeoutMillis: 10_000 }))
        t.offer(bytes(10), 8)
        t.offer(bytes(10), 2)
        const start = performance.now()
        const { pendingSpans } = yield* t.flush(200)
        const elapsed = performance.now() - start
        expect(pendingSpans).toBe(10)
        expect(elapsed).toBeGreaterThanOrEqual(150)
        expect(elapsed).toBeLessThan(1_500)
        const stats = t.stats()
        expect(stats.sentSpans + stats.droppedSpans + stats.pendingSpans).toBe(10)
      }))

    it.live("should not throw from offer when a hook throws", () =>
      Effect.gen(function*() {
        const srv = yield* server(() => "stall")
        const t = yield* makeOtlpHttpTransport(target(srv.port), {
          diagnostic: () => {
            throw new Error("user callback")
          },
          verbose: () => {},
          onState: () => {}
        }, { maxQueueBatches: 1 })
        t.offer(bytes(1), 1)
        expect(() => t.offer(bytes(1), 1)).not.toThrow()
        expect(t.stats().droppedSpans).toBe(1)
      }))
  })
})
