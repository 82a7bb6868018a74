// Forkable mode on a real Node cluster: test/fixtures/cluster-app.ts runs as a child process; its primary
// initialises with `forkable: true` and exports (to a receiver started here, or to a file) what its two workers
// trace and send over the cluster IPC channel.
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import cluster from "node:cluster"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Cluster from "../src/internal/cluster.ts"
import { OneAgentSdk } from "../src/index.ts"
import { type Batch, decodeJsonLines, ExportTraceServiceRequest, receiver, spansOf } from "./support/otlp.ts"

const fixture = fileURLToPath(new URL("./fixtures/cluster-app.ts", import.meta.url))
const SPANS = 40

interface Summary {
  readonly pid: number
  readonly state: number
  readonly tag: string
  readonly scopedHandle: number
  readonly initResult: { readonly status: number; readonly error?: string }
  readonly statsBeforeRelease: Record<string, number>
  readonly statsAfterRelease: Record<string, number>
  readonly reports: ReadonlyArray<{
    readonly index: number
    readonly pid: number
    readonly state: number
    readonly initResult: { readonly status: number }
    readonly statsAfterRelease: Record<string, number>
    readonly diagnostics: ReadonlyArray<string>
  }>
  readonly exits: ReadonlyArray<{ index: number; pid: number; code: number | null; signal: string | null }>
  readonly diagnostics: ReadonlyArray<string>
  readonly verbose: ReadonlyArray<string>
}

// A span as the tests need it, from either encoding: the worker that sent it (resource process.pid) and its name.
interface Arrived {
  readonly pid: number
  readonly serviceName: string
  readonly name: string
  readonly spanId: string
  readonly n: number
}

// A bound for the fixture's exit, which must come: generous, and said when it is hit.
const FIXTURE_EXIT_MILLIS = 60_000

const runFixture = (env: Record<string, string>): Promise<Summary> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      child.kill("SIGKILL")
    }, FIXTURE_EXIT_MILLIS)
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (killed) return reject(new Error(`the fixture did not exit within ${FIXTURE_EXIT_MILLIS / 1000} s\n${stderr}`))
      if (code !== 0) return reject(new Error(`fixture exited with ${code ?? signal}\n${stderr}`))
      try {
        resolve(JSON.parse(stdout.trim()) as Summary)
      } catch (error) {
        reject(new Error(`fixture output is not JSON: ${stdout}\n${stderr}\n${String(error)}`))
      }
    })
  })

// The spans of what arrived (protobuf requests, or the file's OTLP/JSON lines), as the tests need them.
const arrivedOf = (batches: ReadonlyArray<Batch>): Array<Arrived> =>
  batches.flatMap((batch) =>
    batch.spans.map((s): Arrived => ({
      pid: Number(batch.resource["process.pid"]),
      serviceName: batch.resource["service.name"] as string,
      name: s.name,
      spanId: s.spanId,
      n: Number(s.attributes["n"])
    }))
  )

const names = (index: number, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `worker${index}/span${from + i}`)

// The primary's own checks: it traced nothing and says so.
const expectPrimaryTracedNothing = (summary: Summary, arrived: ReadonlyArray<Arrived>) => {
  expect(summary.state).toBe(2) // PERMANENTLY_INACTIVE
  expect(summary.initResult.status).toBe(0)
  expect(summary.tag).toBe("")
  expect(summary.scopedHandle).toBe(0)
  expect(summary.statsBeforeRelease.spansStarted).toBe(0)
  // Calls in the primary are ignored with a diagnostic (SPEC §2), and nothing else goes wrong there.
  expect(summary.diagnostics.length).toBeGreaterThan(0)
  for (const message of summary.diagnostics) expect(message).toContain("does not trace")
  expect(arrived.filter((s) => s.pid === summary.pid)).toEqual([])
  expect(arrived.filter((s) => s.name.startsWith("Primary/"))).toEqual([])
}

describe("forkable mode on a cluster", () => {
  it.live("two workers export through the primary: every span arrives, from both worker pids", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const summary = yield* Effect.promise(() => runFixture({ FIXTURE_ENDPOINT: rx.url, FIXTURE_SPANS: String(SPANS) }))
      const arrived = arrivedOf(rx.accepted)
      expect(new Set(rx.requests.map((r) => r.path))).toEqual(new Set(["/v1/traces"]))
      expectPrimaryTracedNothing(summary, arrived)

      expect(summary.exits.map((e) => [e.code, e.signal])).toEqual([[0, null], [0, null]])
      const pids = new Map(summary.exits.map((e) => [e.index, e.pid] as const))
      expect(new Set(pids.values()).size).toBe(2)
      expect([...pids.values()]).not.toContain(summary.pid)

      expect(arrived).toHaveLength(2 * SPANS)
      expect(new Set(arrived.map((s) => s.spanId)).size).toBe(2 * SPANS)
      for (const index of [0, 1]) {
        const mine = arrived.filter((s) => s.pid === pids.get(index))
        expect(mine.map((s) => s.name).sort()).toEqual(names(index, 0, SPANS).sort())
        expect(mine.every((s) => s.name === `worker${index}/span${s.n}`)).toBe(true)
        expect(new Set(mine.map((s) => s.serviceName))).toEqual(new Set(["cluster-app"]))
      }

      // Workers: tracing, ACTIVE, and everything handed to the primary.
      expect(summary.reports).toHaveLength(2)
      for (const report of summary.reports) {
        expect(report.pid).toBe(pids.get(report.index))
        expect(report.state).toBe(0)
        expect(report.initResult.status).toBe(0)
        expect(report.diagnostics).toEqual([])
        expect(report.statsAfterRelease).toMatchObject({
          spansEnded: SPANS,
          spansExported: SPANS,
          spansDroppedExport: 0,
          spansPendingExport: 0,
          spansDroppedBuffer: 0
        })
      }
      // The primary's stats count what reached the target; the batches came base64-encoded over JSON IPC.
      expect(summary.statsAfterRelease).toMatchObject({ spansExported: 2 * SPANS, spansDroppedExport: 0 })
      const receiving = summary.verbose.filter((m) => m.includes("receiving batches"))
      expect(receiving).toHaveLength(2)
      for (const m of receiving) expect(m).toContain("(protobuf, base64)")
    }))

  it.live("a killed worker loses at most its unsent batch; the other keeps exporting (advanced IPC serialization)", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const summary = yield* Effect.promise(() =>
        runFixture({
          FIXTURE_ENDPOINT: rx.url,
          FIXTURE_SPANS: String(SPANS),
          FIXTURE_KILL: "1",
          FIXTURE_ADVANCED: "1"
        })
      )
      const arrived = arrivedOf(rx.accepted)
      expectPrimaryTracedNothing(summary, arrived)

      const victim = summary.exits.find((e) => e.index === 1)!
      const survivor = summary.exits.find((e) => e.index === 0)!
      expect(victim.signal).toBe("SIGKILL")
      expect([survivor.code, survivor.signal]).toEqual([0, null])

      // The survivor traced its second half after the victim died: all of it arrived.
      const fromSurvivor = arrived.filter((s) => s.pid === survivor.pid)
      expect(fromSurvivor.map((s) => s.name).sort()).toEqual(names(0, 0, SPANS).sort())
      // The victim's first half had reached the primary before it died; what it traced after was not sent yet.
      const fromVictim = arrived.filter((s) => s.pid === victim.pid).map((s) => s.name)
      expect(new Set(fromVictim).size).toBe(fromVictim.length)
      for (const name of names(1, 0, SPANS / 2)) expect(fromVictim).toContain(name)
      for (const name of fromVictim) expect(names(1, 0, SPANS)).toContain(name)
      expect(arrived).toHaveLength(SPANS + fromVictim.length)

      expect(summary.reports.map((r) => r.index)).toEqual([0])
      expect(summary.reports[0]!.statsAfterRelease).toMatchObject({ spansExported: SPANS, spansDroppedExport: 0 })
      expect(summary.statsAfterRelease).toMatchObject({ spansExported: arrived.length, spansDroppedExport: 0 })
      // With the advanced serialization the bytes travel as they are.
      const receiving = summary.verbose.filter((m) => m.includes("receiving batches"))
      expect(receiving).toHaveLength(2)
      for (const m of receiving) expect(m).toContain("(protobuf, raw)")
    }))

  it("the primary's file target: workers send OTLP/JSON lines, the file holds both workers' spans", async () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-cluster-"))
    try {
      const file = Path.join(dir, "traces.jsonl")
      const summary = await runFixture({ FIXTURE_FILE: file, FIXTURE_SPANS: String(SPANS) })
      const arrived = arrivedOf(decodeJsonLines(Fs.readFileSync(file, "utf8")))
      expectPrimaryTracedNothing(summary, arrived)
      const pids = new Map(summary.exits.map((e) => [e.index, e.pid] as const))
      expect(arrived).toHaveLength(2 * SPANS)
      for (const index of [0, 1]) {
        const mine = arrived.filter((s) => s.pid === pids.get(index))
        expect(mine.map((s) => s.name).sort()).toEqual(names(index, 0, SPANS).sort())
      }
      expect(summary.statsAfterRelease).toMatchObject({ spansExported: 2 * SPANS, spansDroppedExport: 0 })
      const receiving = summary.verbose.filter((m) => m.includes("receiving batches"))
      expect(receiving).toHaveLength(2)
      for (const m of receiving) expect(m).toContain("(json, utf8)")
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  describe("the primary in this process", () => {
    // A batch as a worker's engine would encode it, with the official definitions.
    const encodedBatch = (name: string, pid: number): Buffer =>
      Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
        resourceSpans: [{
          resource: { attributes: [{ key: "process.pid", value: { intValue: pid } }] },
          scopeSpans: [{
            scope: { name: "effect-oneagent" },
            spans: [{
              traceId: Buffer.alloc(16, 1),
              spanId: Buffer.alloc(8, 2),
              name,
              kind: 2,
              startTimeUnixNano: 1,
              endTimeUnixNano: 2,
              attributes: [{ key: "n", value: { intValue: 0 } }]
            }]
          }]
        }]
      })).finish())

    const message = (encoding: string, data: unknown, format = "protobuf", spans = 1) => ({
      [Cluster.MESSAGE_KEY]: "batch",
      version: 1,
      format,
      spans,
      encoding,
      data
    })

    it.live("does not trace, forwards the workers' batches in every IPC form, and rejects what it cannot use", () =>
      Effect.gen(function*() {
        const rx = yield* receiver()
        expect(process.env[Cluster.ENV]).toBeUndefined()
        const diagnostics: Array<string> = []
        const verbose: Array<string> = []
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(
          OneAgentSdk.layer({
            forkable: true,
            export: { endpoint: rx.url, shutdownTimeout: "20 seconds" },
            diagnosticCallback: (m) => diagnostics.push(m),
            verboseCallback: (m) => verbose.push(m)
          }),
          scope
        )
        const sdk = Context.get(context, OneAgentSdk)
        expect(sdk.initResult).toEqual({ status: 0, error: undefined })
        expect(yield* sdk.agentState).toBe(2)
        // Workers forked now inherit the encoding the target takes.
        expect(process.env[Cluster.ENV]).toBe("protobuf")
        expect(process.env[Cluster.ENV_IPC]).toBeUndefined()

        const tag = yield* OneAgentSdk.currentStringTag.pipe(
          OneAgentSdk.traceCustomService({ method: "m", service: "Primary" }),
          Effect.provide(context)
        )
        expect(tag).toBe("")
        expect(diagnostics).toEqual([expect.stringContaining("traceCustomService: this is the primary process")])
        diagnostics.length = 0

        const worker = { process: { pid: 4242 } }
        const bytes = encodedBatch("from-base64", 4242)
        cluster.emit("message", worker, message("base64", bytes.toString("base64")))
        cluster.emit("message", worker, message("raw", encodedBatch("from-raw", 4242)))
        // A Buffer sent as "raw" over JSON serialization arrives as its JSON form.
        cluster.emit("message", worker, message("raw", JSON.parse(JSON.stringify(encodedBatch("from-json-buffer", 4242)))))
        // Not ours: ignored without a word.
        cluster.emit("message", worker, { hello: "application message" })
        // Ours but unusable: counted and reported.
        cluster.emit("message", worker, message("utf8", "{}", "json", 3))
        cluster.emit("message", worker, message("base64", 42, "protobuf", 5))

        yield* Scope.close(scope, Exit.void)
        expect(process.env[Cluster.ENV]).toBeUndefined()
        const names = spansOf(rx.accepted).map((s) => s.name)
        expect(names.sort()).toEqual(["from-base64", "from-json-buffer", "from-raw"])
        expect(yield* sdk.stats).toMatchObject({ spansStarted: 0, spansExported: 3, spansDroppedExport: 8 })
        expect(diagnostics).toHaveLength(2)
        expect(diagnostics[0]).toContain("sent json batches, but the target takes protobuf")
        expect(diagnostics[1]).toContain("malformed batch of 5 spans")
        expect(verbose.filter((m) => m.includes("receiving batches from cluster worker pid 4242"))).toHaveLength(1)

        // A worker still sending after the primary released: nothing silently lost, the drops are counted.
        cluster.emit("message", worker, message("base64", encodedBatch("late", 4242).toString("base64"), "protobuf", 7))
        cluster.emit("message", worker, message("base64", encodedBatch("later", 4242).toString("base64"), "protobuf", 2))
        expect(yield* sdk.stats).toMatchObject({ spansExported: 3, spansDroppedExport: 8 + 9 })
        expect(diagnostics).toHaveLength(3)
        expect(diagnostics[2]).toContain("sent spans after the forkable primary shut its export down")
      }))

    it("roles: forkable in a primary makes it the primary; otherwise, and with forkable: false, on its own", () => {
      expect(cluster.isPrimary).toBe(true)
      expect(Cluster.role(true)).toEqual({ _tag: "Primary" })
      expect(Cluster.role(undefined)).toEqual({ _tag: "Standalone" })
      expect(Cluster.role(false)).toEqual({ _tag: "Standalone" })
    })
  })
})
