// Fault injection against the exporter: receivers on 127.0.0.1 that refuse connections, reset them in the middle
// of a request, stall, answer 503 storms or 429 with Retry-After. Under every fault the application keeps its
// throughput (ops completed in a fixed window, against a healthy receiver), memory stays bounded while spans pile
// up behind a stalled receiver, shutdown returns by its deadline, and the stats always add up: every span that
// ended is exported, dropped (by the exporter or the buffer) or pending, at any moment.
// (test/export.test.ts covers the basic 503 / 429 / 400 / refused cases one by one.)
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { inspect } from "node:util"
import type { Stats } from "../src/OneAgentSdk.ts"
import {
  AgentState,
  ExportConfig,
  OneAgentSdk,
  type OneAgentSdkOptions,
  type OneAgentSdkService
} from "../src/index.ts"

// ---------------------------------------------------------------------------------------------------------------
// Receivers

type Behavior = (req: Http.IncomingMessage, res: Http.ServerResponse, n: number) => void

interface Receiver {
  readonly url: string
  /** Requests that reached the handler, with the time they arrived. */
  readonly arrivals: Array<number>
  /** Requests answered 2xx, and the spans they held (protobuf bodies are counted by the tests that need it). */
  accepted: number
}

const ok = (req: Http.IncomingMessage, res: Http.ServerResponse) =>
  req.resume().on("end", () => res.writeHead(200).end())

const receiver = (behavior: (receiver: Receiver) => Behavior) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly receiver: Receiver }>((resume) => {
      const state: Receiver = { url: "", arrivals: [], accepted: 0 }
      const handle = behavior(state)
      const server = Http.createServer((req, res) => {
        state.arrivals.push(performance.now())
        handle(req, res, state.arrivals.length)
      })
      server.listen(0, "127.0.0.1", () => {
        Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
        resume(Effect.succeed({ server, receiver: state }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ receiver }) => receiver))

// A healthy receiver in a process of its own, so the baseline pays for exporting but not for receiving.
const healthyElsewhere = Effect.acquireRelease(
  Effect.callback<{ readonly child: ChildProcess.ChildProcess; readonly url: string }>((resume) => {
    const source = `const http = require("node:http")
      const server = http.createServer((req, res) => req.resume().on("end", () => res.writeHead(200).end()))
      server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"))`
    const child = ChildProcess.spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] })
    child.stdout!.once("data", (data) =>
      resume(Effect.succeed({ child, url: `http://127.0.0.1:${String(data).trim()}` })))
  }),
  ({ child }) => Effect.sync(() => void child.kill())
)

// A port that was just free: connections to it are refused.
const refusing = Effect.map(
  Effect.callback<number>((resume) => {
    const probe = Http.createServer()
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as AddressInfo).port
      probe.close(() => resume(Effect.succeed(port)))
    })
  }),
  (port): Receiver => ({ url: `http://127.0.0.1:${port}`, arrivals: [], accepted: 0 })
)

// Resets the connection in the middle of the request: after the headers, while the body is still arriving.
const resetting = (healAfter = Infinity) =>
  receiver((state) => (req, res, n) => {
    if (n > healAfter) return ok(req, res)
    req.once("data", () => req.socket.destroy())
    req.once("end", () => req.socket.destroy())
    void state
  })

const stalling = receiver(() => () => {
  // Never answers; the connection stays open until the receiver is released.
})

const storm = (status: 503 | 429, until = Infinity, headers: Record<string, string> = {}) =>
  receiver((state) => (req, res) =>
    req.resume().on("end", () => {
      if (performance.now() < until) return res.writeHead(status, headers).end()
      state.accepted++
      res.writeHead(200).end()
    })
  )

// ---------------------------------------------------------------------------------------------------------------
// The SDK against a receiver

interface Running {
  readonly sdk: OneAgentSdkService
  readonly context: Context.Context<OneAgentSdk>
  readonly diagnostics: Array<string>
  readonly scope: Scope.Closeable
}

const start = (url: string, options: OneAgentSdkOptions = {}) =>
  Effect.gen(function*() {
    const diagnostics: Array<string> = []
    // Closed by the test's `stop` to time the shutdown, and by the test's own scope if it fails before that, so
    // one failing test never leaves its engine running under the next one.
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(
      OneAgentSdk.layer({
        diagnosticCallback: (m) => diagnostics.push(m),
        exportInterval: 20,
        effectSpans: false,
        ...options,
        export: { endpoint: url, shutdownTimeout: "300 millis", timeout: "1 second", ...options.export }
      }),
      scope
    )
    return { sdk: Context.get(context, OneAgentSdk), context, diagnostics, scope } satisfies Running
  })

// Every span that ended is exported, dropped (by the exporter or the buffer) or pending, at any moment: the stats
// are read on the JS thread from one snapshot. (spansQueued is the part of spansPendingExport still in the ring.)
const checks = { samples: 0 }
const expectStatsAddUp = (stats: Stats) => {
  checks.samples++
  expect(stats.spansUnsampled).toBe(0)
  expect(stats.spansQueued).toBeGreaterThanOrEqual(0)
  expect(stats.spansQueued, `spansQueued is part of spansPendingExport: ${JSON.stringify(stats)}`)
    .toBeLessThanOrEqual(stats.spansPendingExport)
  expect(
    stats.spansExported + stats.spansDroppedExport + stats.spansDroppedBuffer + stats.spansPendingExport,
    JSON.stringify(stats)
  ).toBe(stats.spansEnded)
}

const service = { method: "handle", service: "Orders" } as const
// One application operation: a traced effect whose result must come back unchanged.
const operation = (i: number) => Effect.succeed(i).pipe(OneAgentSdk.traceCustomService(service))

// Yields to the event loop, so I/O and the export thread's callbacks run as they would in a server.
const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

// Operations completed in `millis`, in bursts of 200 with a turn of the event loop between bursts. The best of
// three windows, so a machine busy with something else for a moment does not decide the figure.
const throughput = (running: Running, millis: number) =>
  Effect.gen(function*() {
    let best = 0
    for (let window = 0; window < 3; window++) {
      let ops = 0
      const end = performance.now() + millis
      while (performance.now() < end) {
        for (let i = 0; i < 200; i++) {
          const result = yield* operation(i)
          if (result !== i) throw new Error(`result changed: ${result} !== ${i}`)
        }
        ops += 200
        yield* tick
        expectStatsAddUp(yield* running.sdk.stats)
      }
      best = Math.max(best, ops)
    }
    return best
  }).pipe(Effect.provide(running.context))

// Runs `n` operations in bursts, checking the stats between bursts.
const workload = (running: Running, n: number, burst = 1000) =>
  Effect.gen(function*() {
    for (let done = 0; done < n; done += burst) {
      for (let i = 0; i < Math.min(burst, n - done); i++) yield* operation(i)
      yield* tick
      expectStatsAddUp(yield* running.sdk.stats)
    }
  }).pipe(Effect.provide(running.context))

const waitFor = (running: Running, what: string, predicate: (s: Stats) => boolean, timeoutMillis = 10_000) =>
  Effect.gen(function*() {
    const deadline = performance.now() + timeoutMillis
    while (true) {
      const stats = yield* running.sdk.stats
      expectStatsAddUp(stats)
      if (predicate(stats)) return stats
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(stats)}`)
      yield* Effect.sleep("10 millis")
    }
  })

const stop = (running: Running) =>
  Effect.gen(function*() {
    const started = performance.now()
    yield* Scope.close(running.scope, Exit.void)
    const millis = performance.now() - started
    const stats = yield* running.sdk.stats
    expectStatsAddUp(stats)
    expect(stats.spansPendingExport).toBe(0) // after shutdown nothing is pending: exported, or dropped and counted
    return { millis, stats }
  })

// Waits until the agent state is `state` (the export worker sets it as the target answers).
const stateBecomes = (running: Running, state: AgentState.AgentState) =>
  Effect.gen(function*() {
    while ((yield* running.sdk.agentState) !== state) yield* Effect.sleep("5 millis")
  }).pipe(Effect.timeout("10 seconds"))

const rss = () => {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().rss
}

// ---------------------------------------------------------------------------------------------------------------

describe("exporter under faults", () => {
  it.live("the application's throughput is unaffected by a refusing, resetting, stalling or storming receiver", () =>
    Effect.gen(function*() {
      const window = 250
      const baselineReceiver = yield* healthyElsewhere
      const baseline = yield* start(baselineReceiver.url)
      yield* throughput(baseline, 100) // warm-up
      const healthyOps = yield* throughput(baseline, window)
      // Spans made faster than a busy machine can post them may be dropped at the queue's bound (counted, and the
      // stats add up); the rest reach the healthy receiver.
      const exported = yield* waitFor(baseline, "the spans exported", (s) => s.spansPendingExport === 0)
      expect(exported.spansExported).toBeGreaterThan(healthyOps)
      yield* stop(baseline)

      const faults = {
        refused: yield* refusing,
        reset: yield* resetting(),
        stalled: yield* stalling,
        "503 storm": yield* storm(503),
        "429 storm": yield* storm(429, Infinity, { "retry-after": "1" })
      }
      const ratios: Record<string, number> = {}
      for (const [name, faulty] of Object.entries(faults)) {
        const running = yield* start(faulty.url)
        const ops = yield* throughput(running, window)
        ratios[name] = ops / healthyOps
        const { millis } = yield* stop(running)
        expect(millis, `${name}: shutdown by its deadline`).toBeLessThan(300 + 1_500)
      }
      console.log(
        `faults: ${healthyOps} ops per ${window} ms against a healthy receiver; ratios ${JSON.stringify(ratios)}`
      )
      for (const [name, ratio] of Object.entries(ratios)) expect(ratio, name).toBeGreaterThanOrEqual(0.5)
    }).pipe(Effect.scoped), 60_000)

  it.live("connection resets in the middle of requests: retried, nothing lost once the receiver recovers", () =>
    Effect.gen(function*() {
      const flaky = yield* resetting(3)
      const running = yield* start(flaky.url)
      yield* workload(running, 5_000)
      const state = yield* running.sdk.agentState
      const stats = yield* waitFor(running, "every span exported", (s) => s.spansExported === 5_000)
      expect(stats.spansDroppedExport + stats.spansDroppedBuffer).toBe(0)
      expect(flaky.arrivals.length).toBeGreaterThan(3) // the three resets were retried
      expect([AgentState.ACTIVE, AgentState.TEMPORARILY_INACTIVE]).toContain(state)
      expect(yield* running.sdk.agentState).toBe(AgentState.ACTIVE)
      yield* stop(running)
    }).pipe(Effect.scoped), 30_000)

  it.live("connection resets forever: batches are dropped after their retries, counted and reported", () =>
    Effect.gen(function*() {
      const broken = yield* resetting()
      const running = yield* start(broken.url)
      yield* workload(running, 3_000)
      const stats = yield* waitFor(running, "drops counted", (s) => s.spansDroppedExport > 0, 15_000)
      expect(stats.spansExported).toBe(0)
      expect(running.diagnostics.join("\n")).toMatch(/failed \d+ times, last with network error/)
      const end = yield* stop(running)
      expect(end.stats.spansDroppedExport + end.stats.spansDroppedBuffer).toBe(3_000)
    }).pipe(Effect.scoped), 30_000)

  it.live("a 503 storm: TEMPORARILY_INACTIVE with backoff (no retry storm), everything arrives after it", () =>
    Effect.gen(function*() {
      const until = performance.now() + 1_500
      const stormy = yield* storm(503, until)
      const running = yield* start(stormy.url)
      yield* workload(running, 2_000)
      // TEMPORARILY_INACTIVE from the first 503 until the first success.
      yield* stateBecomes(running, AgentState.TEMPORARILY_INACTIVE)
      yield* waitFor(running, "every span exported", (s) => s.spansExported === 2_000)
      // One batch in flight at a time, retried with exponential backoff from 100 ms: a handful of requests, not
      // hundreds.
      expect(stormy.arrivals.filter((t) => t < until).length).toBeLessThan(20)
      expect(yield* running.sdk.agentState).toBe(AgentState.ACTIVE)
      yield* stop(running)
    }).pipe(Effect.scoped), 30_000)

  it.live("a 429 storm with Retry-After: 1 is obeyed; nothing is lost", () =>
    Effect.gen(function*() {
      const until = performance.now() + 1_200
      const limited = yield* storm(429, until, { "retry-after": "1" })
      const running = yield* start(limited.url)
      yield* workload(running, 1_000)
      yield* waitFor(running, "every span exported", (s) => s.spansExported === 1_000)
      const during = limited.arrivals.filter((t) => t < until)
      // Retry-After says a second: at most one try per second while the storm lasts (plus the first one).
      expect(during.length).toBeLessThanOrEqual(3)
      for (let i = 1; i < during.length; i++) expect(during[i]! - during[i - 1]!).toBeGreaterThanOrEqual(900)
      yield* stop(running)
    }).pipe(Effect.scoped), 30_000)

  it.live("200,000 spans behind a stalled receiver with a small buffer: memory stays bounded, drops add up", () =>
    Effect.gen(function*() {
      const stalled = yield* stalling
      const bufferSize = 1024
      const running = yield* start(stalled.url, {
        bufferSize,
        export: { endpoint: stalled.url, timeout: "10 seconds" }
      })
      yield* workload(running, 10_000) // warm-up: caches, JIT, the receiver's connection
      const before = rss()
      let maxPending = 0
      for (let round = 0; round < 19; round++) {
        yield* workload(running, 10_000)
        maxPending = Math.max(maxPending, (yield* running.sdk.stats).spansPendingExport)
      }
      const grown = (rss() - before) / 2 ** 20
      const stats = yield* running.sdk.stats
      expectStatsAddUp(stats)
      console.log(
        `faults: 200,000 spans to a stalled receiver: RSS +${grown.toFixed(1)} MB, at most ${maxPending} pending, ` +
          `dropped ${stats.spansDroppedBuffer} by the buffer and ${stats.spansDroppedExport} by the exporter`
      )
      expect(stats.spansEnded).toBe(200_000)
      expect(stats.spansExported).toBe(0)
      // Pending is bounded by bufferSize (the batch in flight included), never by the number of spans.
      expect(maxPending).toBeLessThanOrEqual(bufferSize)
      expect(stats.spansDroppedBuffer + stats.spansDroppedExport).toBeGreaterThan(150_000)
      expect(grown).toBeLessThan(96)
      // Said while the batch in flight still waits for the stalled receiver, not only at shutdown.
      yield* Effect.gen(function*() {
        while (!running.diagnostics.some((m) => m.includes(`${bufferSize} were already waiting for export`))) {
          yield* Effect.sleep("10 millis")
        }
      }).pipe(Effect.timeout("5 seconds"))
      // Shutdown with a request stalled in flight still returns by its deadline.
      const end = yield* stop(running)
      expect(end.millis).toBeLessThan(300 + 1_500)
      expect(end.stats.spansDroppedBuffer + end.stats.spansDroppedExport).toBe(200_000)
      expect(running.diagnostics.join("\n")).toMatch(/could not be delivered within 300 ms/)
    }).pipe(Effect.scoped), 60_000)

  it.live("connection refused: counted as retried, then dropped; the stats add up at every step", () =>
    Effect.gen(function*() {
      const nobody = yield* refusing
      const running = yield* start(nobody.url)
      yield* workload(running, 2_000)
      yield* stateBecomes(running, AgentState.TEMPORARILY_INACTIVE)
      const end = yield* stop(running)
      expect(end.stats.spansExported).toBe(0)
      expect(end.stats.spansDroppedExport + end.stats.spansDroppedBuffer).toBe(2_000)
      expect(checks.samples).toBeGreaterThan(50)
    }).pipe(Effect.scoped), 30_000)
})

// ---------------------------------------------------------------------------------------------------------------
// Secrets under faults: the Dynatrace API token goes in the Authorization header of requests to the configured
// receiver, and nowhere else: not in diagnostics, verbose messages, engine logging, errors, stats, spans, nor to a
// host a redirect points at, whatever the receiver answers.

describe("the API token under faults", () => {
  const secret = "dt0c01.SECRETPART7Q2Z.TOKENTAILX9F4W"
  const leaks = (text: string) => text.includes("SECRETPART") || text.includes("TOKENTAILX")

  interface Capture {
    readonly texts: Array<string>
    readonly authorizations: Array<string>
  }

  // Every answer a hostile or broken receiver could give, with the token echoed wherever a message could pick it up.
  const hostile = (capture: Capture, elsewhere: string) =>
    receiver(() => (req, res, n) => {
      const auth = String(req.headers.authorization ?? "")
      capture.authorizations.push(auth)
      req.resume().on("end", () => {
        switch (n % 6) {
          case 1:
            return res.writeHead(401, `Unauthorized ${auth}`, { "www-authenticate": auth }).end(`bad token ${auth}`)
          case 2:
            return res.writeHead(503, { "retry-after": auth }).end(auth)
          case 3:
            return req.socket.destroy()
          case 4:
            return res.writeHead(307, { location: `${elsewhere}/steal?t=${encodeURIComponent(auth)}` }).end()
          case 5:
            return res.writeHead(429, { "retry-after": "0" }).end(auth)
          default:
            return res.writeHead(400, auth.replace(/[^\x20-\x7e]/g, "")).end(JSON.stringify({ error: auth }))
        }
      })
    })

  it.live("never appears in diagnostics, logs, errors, stats or spans, nor reaches a redirect's target", () =>
    Effect.gen(function*() {
      const capture: Capture = { texts: [], authorizations: [] }
      const stolen: Array<string> = []
      const thief = yield* receiver(() => (req, res) => {
        stolen.push(JSON.stringify(req.headers), req.url ?? "")
        req.resume().on("end", () => res.writeHead(200).end())
      })
      const target = yield* hostile(capture, thief.url)
      const stderr: Array<string> = []
      const write = process.stderr.write
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
        stderr.push(String(chunk))
        return (write as (...args: Array<unknown>) => boolean).call(process.stderr, chunk, ...rest)
      }) as typeof process.stderr.write
      try {
        const verbose: Array<string> = []
        const running = yield* start(target.url, {
          logLevel: "finest",
          verboseCallback: (m) => verbose.push(m),
          export: { dynatrace: { url: target.url, apiToken: Redacted.make(secret) }, shutdownTimeout: "300 millis" }
        })
        yield* Effect.gen(function*() {
          for (let round = 0; round < 8; round++) {
            yield* workload(running, 600)
            yield* Effect.sleep("60 millis")
          }
          // A failure whose message names the header the application was sending: recorded, and not the token.
          yield* Effect.exit(Effect.fail(new Error("upstream refused the Authorization header")).pipe(
            OneAgentSdk.traceCustomService(service)
          ))
        }).pipe(Effect.provide(running.context))
        const stats = yield* running.sdk.stats
        const end = yield* stop(running)
        capture.texts.push(
          ...running.diagnostics,
          ...verbose,
          ...stderr,
          JSON.stringify(stats),
          JSON.stringify(end.stats),
          JSON.stringify(running.sdk.initResult),
          running.sdk.agentVersionString,
          inspect(running.sdk, { depth: 6, showHidden: true }),
          inspect(running.context, { depth: 6 })
        )
      } finally {
        process.stderr.write = write
      }
      // The positive control: the receiver did get the token, in the Authorization header.
      expect(capture.authorizations.length).toBeGreaterThan(4)
      expect(capture.authorizations.every((a) => a === `Api-Token ${secret}`)).toBe(true)
      // The diagnostics did report the failures (so they were exercised), without the token.
      expect(capture.texts.join("\n")).toMatch(/HTTP 4\d\d|HTTP 503|network error/)
      for (const text of capture.texts) expect(leaks(text), text.slice(0, 300)).toBe(false)
      // A cross-origin redirect drops the Authorization header (the URL it put the token in is the receiver's doing).
      for (const headers of stolen.filter((_, i) => i % 2 === 0)) expect(leaks(headers), headers).toBe(false)
    }).pipe(Effect.scoped), 30_000)

  it.effect("configuration errors name the setting, never the token", () =>
    Effect.gen(function*() {
      const attempts: ReadonlyArray<ExportConfig.ExportOptions> = [
        { dynatrace: { url: `not a url ${secret}`, apiToken: Redacted.make(secret) } },
        { dynatrace: { url: "ftp://example.com", apiToken: Redacted.make(secret) } },
        // A header pasted whole into the name: invalid, and the message must not quote it.
        { endpoint: "http://127.0.0.1:1", headers: { [`Authorization: Api-Token ${secret}`]: "v" } },
        { endpoint: "http://127.0.0.1:1", headers: { authorization: `Api-Token ${secret}\r\nx-injected: 1` } }
      ]
      for (const options of attempts) {
        const error = yield* Effect.flip(ExportConfig.resolve(options))
        expect(leaks(error.message), error.message).toBe(false)
        expect(leaks(inspect(error, { depth: 6 })), inspect(error)).toBe(false)
        expect(leaks(JSON.stringify(error)), JSON.stringify(error)).toBe(false)
      }
      // From the environment, through a ConfigProvider.
      const fromEnv = yield* ExportConfig.resolve().pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnv({ env: { DT_URL: `::${secret}`, DT_API_TOKEN: secret } })
        ),
        Effect.flip
      )
      expect(leaks(fromEnv.message)).toBe(false)
      const resolved = yield* ExportConfig.resolve({
        dynatrace: { url: "https://abc.live.dynatrace.com", apiToken: Redacted.make(secret) }
      })
      expect(leaks(JSON.stringify(resolved))).toBe(false)
      expect(leaks(inspect(resolved, { depth: 8 }))).toBe(false)
      expect(leaks(String(resolved.target))).toBe(false)
    }))
})

describe("TLS verification", () => {
  // A self-signed certificate for 127.0.0.1 (valid until 2126), trusted by nobody.
  const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc/KWHqXlCXf3ZdGc
Tt9yY5nVR8L/D1TFJ6IfB317ydmhRANCAASOzXeCAAHoexfZOF2j5XLSqSO168e3
bdAo+yTYHhLLr1oxFE/uJ+/hnTGS+VNXvvvUVjUOqYeL+Js56vvPZtUJ
-----END PRIVATE KEY-----`
  const cert = `-----BEGIN CERTIFICATE-----
MIIBkTCCATagAwIBAgIUZfNHqN4U9pmeljOQjH3QJsO9l8UwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNDExMDQ1OVoYDzIxMjYxMDMx
MTEwNDU5WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASOzXeCAAHoexfZOF2j5XLSqSO168e3bdAo+yTYHhLLr1oxFE/uJ+/h
nTGS+VNXvvvUVjUOqYeL+Js56vvPZtUJo2QwYjAdBgNVHQ4EFgQUEG4uMnbHviqo
y6VfAg3PoRqe5tIwHwYDVR0jBBgwFoAUEG4uMnbHviqoy6VfAg3PoRqe5tIwDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC
IQCivwTH+bHfGTAItuQ1wUHXmD03xvN0zxKh4OaQTHiqzgIhAK0cT6Ukg6z4EmTI
Ncow7aemrTge4Ow6JP9s4UBL9ktf
-----END CERTIFICATE-----`

  it.live("an HTTPS receiver with an untrusted certificate gets nothing: the export fails verification", () =>
    Effect.gen(function*() {
      let requests = 0
      const server = yield* Effect.acquireRelease(
        Effect.callback<Https.Server>((resume) => {
          const s = Https.createServer({ key, cert }, (req, res) => {
            requests++
            req.resume().on("end", () => res.writeHead(200).end())
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED
      const verbose: Array<string> = []
      const diagnostics: Array<string> = []
      const running = yield* start(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        verboseCallback: (m) => verbose.push(m),
        diagnosticCallback: (m) => diagnostics.push(m)
      })
      yield* workload(running, 500)
      yield* Effect.sleep("300 millis")
      const end = yield* stop(running)
      expect(requests).toBe(0)
      expect(end.stats.spansExported).toBe(0)
      expect(end.stats.spansDroppedExport).toBe(500)
      // Not retried (the next try would meet the same certificate): dropped with the code and what to do.
      expect(diagnostics.join("\n")).toMatch(/network error \w*(CERT|SELF_SIGNED|VERIFY)\w* \(not retryable: .*NODE_EXTRA_CA_CERTS/)
      expect(verbose.filter((m) => m.includes("retry"))).toEqual([])
      expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBe(before)
    }).pipe(Effect.scoped), 30_000)

  it("no source turns certificate verification off", () => {
    const root = fileURLToPath(new URL("..", import.meta.url))
    const offending: Array<string> = []
    const visit = (dir: string) => {
      for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
        const path = Path.join(dir, entry.name)
        if (entry.isDirectory()) visit(path)
        else if (/\.(ts|js|mjs|cjs|cc|h)$/.test(entry.name)) {
          const text = Fs.readFileSync(path, "utf8")
          const patterns = [
            /rejectUnauthorized\s*:\s*(false|0|!1)/,
            /NODE_TLS_REJECT_UNAUTHORIZED/,
            /checkServerIdentity\s*:/,
            /insecureHTTPParser/,
            /SSL_VERIFY_NONE|CURLOPT_SSL_VERIFYPEER/
          ]
          for (const pattern of patterns) {
            if (pattern.test(text)) offending.push(`${Path.relative(root, path)}: ${pattern}`)
          }
        }
      }
    }
    for (const dir of ["src", "native", "bin", "examples"]) {
      if (Fs.existsSync(Path.join(root, dir))) visit(Path.join(root, dir))
    }
    expect(offending).toEqual([])
  })
})
