// Fault injection against the exporter: receivers on 127.0.0.1 that refuse connections, reset them in the middle
// of a request, stall, answer 503 storms or 429 with Retry-After. Under every fault the application's effects run
// unchanged, memory stays bounded while spans pile up behind a stalled receiver, shutdown gives up at its deadline,
// and the stats always add up: every span that ended is exported, dropped (by the exporter or the buffer) or pending,
// at any moment. (test/export.test.ts covers the basic 503 / 429 / 400 / refused cases one by one; how fast the
// application runs under each fault, and how long shutdown takes, is measured in bench/.)
//
// The receivers here are deliberately not the shared one of test/support/otlp.ts: each simulates a fault (a reset
// mid-request, a stall, a storm the test ends, hostile answers, an untrusted certificate) at the socket level.
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
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
import { closedPort } from "./support/otlp.ts"
import { eventually, watch } from "./support/wait.ts"

// ---------------------------------------------------------------------------------------------------------------
// Receivers that simulate faults

type Behavior = (req: Http.IncomingMessage, res: Http.ServerResponse, n: number) => void

interface Receiver {
  readonly url: string
  /** Requests that reached the handler. */
  readonly requests: number
  /** Resumes once `n` requests have reached the handler. */
  readonly arrived: (n: number) => Effect.Effect<void>
}

const ok = (req: Http.IncomingMessage, res: Http.ServerResponse) =>
  req.resume().on("end", () => res.writeHead(200).end())

const receiver = (behavior: Behavior) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly receiver: Receiver }>((resume) => {
      let requests = 0
      const changes = watch()
      const server = Http.createServer((req, res) => {
        requests++
        changes.changed()
        behavior(req, res, requests)
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          server,
          receiver: {
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            get requests() {
              return requests
            },
            arrived: (n) => changes.until(`request ${n} (${requests} arrived)`, () => requests >= n)
          }
        })))
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ receiver }) => receiver))

// A port that was just free: connections to it are refused.
const refusing = Effect.map(closedPort, (port) => ({ url: `http://127.0.0.1:${port}` }))

// Resets the connection in the middle of the request: after the headers, while the body is still arriving.
const resetting = (healAfter = Infinity) =>
  receiver((req, res, n) => {
    if (n > healAfter) return ok(req, res)
    req.once("data", () => req.socket.destroy())
    req.once("end", () => req.socket.destroy())
  })

const stalling = receiver(() => {
  // Never answers; the connection stays open until the receiver is released.
})

// Answers `status` until the test calms it, then 200; counts the answers it gave.
const storm = (status: 503 | 429, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    let stormy = true
    let stormAnswers = 0
    const server = yield* receiver((req, res) =>
      req.resume().on("end", () => {
        if (!stormy) return res.writeHead(200).end()
        stormAnswers++
        res.writeHead(status, headers).end()
      })
    )
    return Object.assign(server, {
      calm: () => void (stormy = false),
      stormAnswers: () => stormAnswers
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// The SDK against a receiver

interface Running {
  readonly sdk: OneAgentSdkService
  readonly context: Context.Context<OneAgentSdk>
  readonly diagnostics: Array<string>
  readonly verbose: Array<string>
  /** Resumes once `holds` is true of the messages reported so far (checked on each new one). */
  readonly until: (what: string, holds: () => boolean) => Effect.Effect<void>
  readonly scope: Scope.Closeable
}

const start = (url: string, options: OneAgentSdkOptions = {}) =>
  Effect.gen(function*() {
    const diagnostics: Array<string> = []
    const verbose: Array<string> = []
    const changes = watch()
    // Closed by the test's `stop`, and by the test's own scope if it fails before that, so one failing test never
    // leaves its engine running under the next one.
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(
      OneAgentSdk.layer({
        diagnosticCallback: (m) => (diagnostics.push(m), changes.changed()),
        verboseCallback: (m) => (verbose.push(m), changes.changed()),
        exportInterval: 20,
        effectSpans: false,
        ...options,
        // A request that is answered is never timed out, however busy the machine: only a stall waits this long.
        export: { endpoint: url, shutdownTimeout: "300 millis", timeout: "20 seconds", ...options.export }
      }),
      scope
    )
    return {
      sdk: Context.get(context, OneAgentSdk),
      context,
      diagnostics,
      verbose,
      until: changes.until,
      scope
    } satisfies Running
  })

// The retries the transport scheduled after an answer with `status`, with the delay it chose for each.
const retriesAfter = (running: Running, status: number) =>
  running.verbose.flatMap((m) => {
    const match = new RegExp(`HTTP ${status}; retry (\\d+) of \\d+ in (\\d+) ms`).exec(m)
    return match === null ? [] : [{ attempt: Number(match[1]), delay: Number(match[2]) }]
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

// Runs `n` operations in bursts, checking each result and, between bursts, the stats.
const workload = (running: Running, n: number, burst = 1000) =>
  Effect.gen(function*() {
    for (let done = 0; done < n; done += burst) {
      for (let i = 0; i < Math.min(burst, n - done); i++) {
        const result = yield* operation(i)
        if (result !== i) throw new Error(`result changed: ${result} !== ${i}`)
      }
      yield* tick
      expectStatsAddUp(yield* running.sdk.stats)
    }
  }).pipe(Effect.provide(running.context))

// Polls the stats (no event announces them) until `predicate` holds, checking on every poll that they add up.
const waitFor = (running: Running, what: string, predicate: (s: Stats) => boolean) =>
  eventually(
    what,
    Effect.map(running.sdk.stats, (stats) => {
      expectStatsAddUp(stats)
      return predicate(stats) ? stats : undefined
    })
  )

const stop = (running: Running) =>
  Effect.gen(function*() {
    yield* Scope.close(running.scope, Exit.void)
    const stats = yield* running.sdk.stats
    expectStatsAddUp(stats)
    expect(stats.spansPendingExport).toBe(0) // after shutdown nothing is pending: exported, or dropped and counted
    return { stats }
  })

// Waits until the agent state is `state` (the export worker sets it as the target answers; no event says so).
const stateBecomes = (running: Running, state: AgentState.AgentState) =>
  eventually(`the agent state ${state}`, Effect.map(running.sdk.agentState, (s) => (s === state ? s : undefined)))

const rss = () => {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().rss
}

// ---------------------------------------------------------------------------------------------------------------

describe("exporter under faults", () => {
  it.live("a refusing, resetting, stalling or storming receiver: every effect runs unchanged, every span is counted", () =>
    Effect.gen(function*() {
      const faults = {
        refused: yield* refusing,
        reset: yield* resetting(),
        stalled: yield* stalling,
        "503 storm": yield* storm(503),
        "429 storm": yield* storm(429, { "retry-after": "1" })
      }
      for (const [name, faulty] of Object.entries(faults)) {
        const running = yield* start(faulty.url)
        yield* workload(running, 20_000)
        const end = yield* stop(running)
        // None of them accepted anything: each span was dropped, by the exporter or at the buffer's bound, and counted.
        expect(end.stats.spansEnded, name).toBe(20_000)
        expect(end.stats.spansExported, name).toBe(0)
        expect(end.stats.spansDroppedExport + end.stats.spansDroppedBuffer, name).toBe(20_000)
      }
    }).pipe(Effect.scoped), 60_000)

  it.live("connection resets in the middle of requests: retried, nothing lost once the receiver recovers", () =>
    Effect.gen(function*() {
      const flaky = yield* resetting(3)
      const running = yield* start(flaky.url)
      yield* workload(running, 5_000)
      const state = yield* running.sdk.agentState
      const stats = yield* waitFor(running, "every span exported", (s) => s.spansExported === 5_000)
      expect(stats.spansDroppedExport + stats.spansDroppedBuffer).toBe(0)
      expect(flaky.requests).toBeGreaterThan(3) // the three resets were retried
      expect([AgentState.ACTIVE, AgentState.TEMPORARILY_INACTIVE]).toContain(state)
      expect(yield* running.sdk.agentState).toBe(AgentState.ACTIVE)
      yield* stop(running)
    }).pipe(Effect.scoped), 30_000)

  it.live("connection resets forever: batches are dropped after their retries, counted and reported", () =>
    Effect.gen(function*() {
      const broken = yield* resetting()
      const running = yield* start(broken.url)
      yield* workload(running, 3_000)
      const stats = yield* waitFor(running, "drops counted", (s) => s.spansDroppedExport > 0)
      expect(stats.spansExported).toBe(0)
      // The report comes from the export thread as a message: the count above may be read before it arrives.
      yield* running.until(
        "the drop reported",
        () => running.diagnostics.some((m) => /failed \d+ times, last with network error/.test(m))
      )
      const end = yield* stop(running)
      expect(end.stats.spansDroppedExport + end.stats.spansDroppedBuffer).toBe(3_000)
    }).pipe(Effect.scoped), 30_000)

  it.live("a 503 storm: TEMPORARILY_INACTIVE with backoff (no retry storm), everything arrives after it", () =>
    Effect.gen(function*() {
      const stormy = yield* storm(503)
      const running = yield* start(stormy.url)
      yield* workload(running, 2_000)
      // TEMPORARILY_INACTIVE from the first 503 until the first success.
      yield* stateBecomes(running, AgentState.TEMPORARILY_INACTIVE)
      // The storm lasts until the exporter has backed off three times.
      yield* running.until("three retries", () => retriesAfter(running, 503).length >= 3)
      stormy.calm()
      yield* waitFor(running, "every span exported", (s) => s.spansExported === 2_000)
      // No retry storm: every 503 was followed by one retry, each after a wait of the exponential backoff from
      // 100 ms (with equal jitter: half the step at least), never at once.
      yield* running.until(
        `a retry for each of the ${stormy.stormAnswers()} answers 503`,
        () => retriesAfter(running, 503).length === stormy.stormAnswers()
      )
      for (const { attempt, delay } of retriesAfter(running, 503)) {
        expect(delay).toBeGreaterThanOrEqual(50 * 2 ** (attempt - 1))
        expect(delay).toBeLessThanOrEqual(100 * 2 ** (attempt - 1))
      }
      expect(yield* running.sdk.agentState).toBe(AgentState.ACTIVE)
      yield* stop(running)
    }).pipe(Effect.scoped), 30_000)

  it.live("a 429 storm with Retry-After: 1 is obeyed; nothing is lost", () =>
    Effect.gen(function*() {
      const limited = yield* storm(429, { "retry-after": "1" })
      const running = yield* start(limited.url)
      yield* workload(running, 1_000)
      // The storm lasts until the exporter has been told to wait twice.
      yield* running.until("two retries", () => retriesAfter(running, 429).length >= 2)
      limited.calm()
      yield* waitFor(running, "every span exported", (s) => s.spansExported === 1_000)
      yield* running.until(
        `a retry for each of the ${limited.stormAnswers()} answers 429`,
        () => retriesAfter(running, 429).length === limited.stormAnswers()
      )
      // Retry-After says a second: each retry waited that second, not the backoff step it would otherwise take.
      expect(retriesAfter(running, 429).map((r) => r.delay)).toEqual(retriesAfter(running, 429).map(() => 1000))
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
      yield* running.until(
        "the drop at the bound reported",
        () => running.diagnostics.some((m) => m.includes(`${bufferSize} were already waiting for export`))
      )
      // Shutdown with a request stalled in flight gives up at its deadline.
      const end = yield* stop(running)
      expect(end.stats.spansDroppedBuffer + end.stats.spansDroppedExport).toBe(200_000)
      expect(running.diagnostics.join("\n")).toMatch(/could not be delivered within 300 ms/)
    }).pipe(Effect.scoped), 60_000)

  it.live("connection refused: counted as retried, then dropped; the stats add up at every step", () =>
    Effect.gen(function*() {
      const samples = checks.samples
      const nobody = yield* refusing
      const running = yield* start(nobody.url)
      yield* workload(running, 2_000, 100)
      yield* stateBecomes(running, AgentState.TEMPORARILY_INACTIVE)
      const end = yield* stop(running)
      expect(end.stats.spansExported).toBe(0)
      expect(end.stats.spansDroppedExport + end.stats.spansDroppedBuffer).toBe(2_000)
      // Twenty bursts and the shutdown, each checked.
      expect(checks.samples - samples).toBeGreaterThanOrEqual(21)
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
    receiver((req, res, n) => {
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
      const thief = yield* receiver((req, res) => {
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
          // Each round waits for the exporter to meet one more of the receiver's answers: eight rounds meet all six.
          for (let round = 0; round < 8; round++) {
            yield* workload(running, 600)
            yield* target.arrived(round + 1)
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
      expect(capture.authorizations.length).toBeGreaterThanOrEqual(8)
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
      yield* waitFor(running, "the spans dropped", (s) => s.spansDroppedExport === 500)
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
