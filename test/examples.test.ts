// The README's quick start, as a user runs it: `npm start` runs examples/main.ts, which prints each trace as a tree
// and writes OTLP/JSON lines to the default file, or exports over OTLP/HTTP when an endpoint is set (and still
// prints the trees, as it asks for the console view).
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { decodeJsonLines, receiver, spansOf } from "./support/otlp.ts"

const root = Path.resolve(import.meta.dirname, "..")

const runExample = (name: string, env: Record<string, string>, cwd = root) =>
  Effect.callback<{ readonly code: number | null; readonly stderr: string }>((resume) => {
    const child = ChildProcess.execFile(process.execPath, [Path.join(root, "examples", name)], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      timeout: 30_000
    }, (_error, _stdout, stderr) => resume(Effect.succeed({ code: child.exitCode, stderr })))
  })

const runMain = (env: Record<string, string>) => runExample("main.ts", env)

// The names of the spans in one printed trace, in print order.
const printedTrees = (stderr: string): Map<string, Array<string>> => {
  const trees = new Map<string, Array<string>>()
  let current: Array<string> | undefined
  for (const line of stderr.split("\n")) {
    const header = /^trace ([0-9a-f]{32})(?: \(continued from span [0-9a-f]{16}\))?$/.exec(line)
    if (header !== null) trees.set(header[1]!, current = [])
    const span = /^\s+└─ (\S+)/.exec(line)
    if (span !== null && current !== undefined) current.push(span[1]!)
  }
  return trees
}

const expectedSpans = ["Orders/placeOrder", "Payments/charge", "InProcessLink", "AuditLog/record"]
const continuedTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

const expectTwoPrintedTraces = (stderr: string) => {
  const trees = printedTrees(stderr)
  expect(trees.size, stderr).toBe(2)
  expect(trees.get(continuedTrace)).toEqual(expectedSpans)
  // The continued trace says so, with the caller's span.
  expect(stderr).toContain(`trace ${continuedTrace} (continued from span 00f067aa0ba902b7)`)
  for (const names of trees.values()) expect(names).toEqual(expectedSpans)
}

describe("examples/main.ts (npm start)", () => {
  it.live("prints two trace trees and writes their spans as OTLP/JSON lines to the file", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "oneagent-main-"))
      const file = Path.join(dir, "traces.jsonl")
      const { code, stderr } = yield* runMain({ ONEAGENT_TRACES_FILE: file })
      expect(code, stderr).toBe(0)
      expectTwoPrintedTraces(stderr)
      const spans = spansOf(decodeJsonLines(Fs.readFileSync(file, "utf8")))
      expect(spans.map((s) => s.name).sort()).toEqual([...expectedSpans, ...expectedSpans].sort())
      expect(spans.filter((s) => s.traceId === continuedTrace)).toHaveLength(4)
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("exports over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and still prints the trees", () =>
    Effect.gen(function*() {
      const rx = yield* receiver()
      const { code, stderr } = yield* runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${rx.port}` })
      expect(code, stderr).toBe(0)
      expectTwoPrintedTraces(stderr)
      const spans = spansOf(rx.accepted)
      expect(spans.map((s) => s.name).sort()).toEqual([...expectedSpans, ...expectedSpans].sort())
      expect(spans.filter((s) => s.traceId === continuedTrace)).toHaveLength(4)
    }))
})

describe("the other examples", () => {
  // Each runs with one command and prints its traces; the root spans each example is about.
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["web.ts", ["GET [client]", "GET [server]", "HTTP 404"]],
    ["http.ts", ["GET [client]", "GET /orders/:id [server]", "load order"]],
    ["database.ts", ["[client]", "db.query.text"]],
    ["messaging.ts", ["send orders [producer]", "process orders [consumer]", "receive orders [consumer]"]]
  ]
  for (const [name, expected] of cases) {
    it.live(`${name} runs and prints its traces`, () =>
      Effect.gen(function*() {
        const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "oneagent-example-"))
        const { code, stderr } = yield* runExample(name, {}, dir)
        Fs.rmSync(dir, { recursive: true, force: true })
        expect(code, stderr).toBe(0)
        for (const text of expected) expect(stderr).toContain(text)
      }))
  }
})
