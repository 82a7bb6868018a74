// The trace viewer (`effect-oneagent view`): reading OTLP/JSON lines, building span trees, escaping what goes
// into the page, and the command end to end (a real file written by the example, the package's bin spawned,
// and the bin run from compiled JavaScript on Node without type stripping).
import { execFile } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultOutput, main, readSpans } from "../src/viewer/cli.ts"
import { escapeHtml, renderHtml, scriptJson } from "../src/viewer/html.ts"
import { addLine, buildTraces, emptySpanSet, normalizeId, parseNanos, parseText, type Span } from "../src/viewer/model.ts"
import { decodeJsonLines, spansOf } from "./support/otlp.ts"

const exec = promisify(execFile)
const root = fileURLToPath(new URL("..", import.meta.url))
const node24 = join(root, "node_modules", ".bin", "node")
const bin = join(root, "bin", "effect-oneagent.js")
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))

const T0 = 1_795_515_501_000_000_000n
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"

interface SpanInput {
  readonly traceId?: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind?: number | string
  readonly start: number
  readonly end: number
  readonly attributes?: ReadonlyArray<unknown>
  readonly events?: ReadonlyArray<unknown>
  readonly links?: ReadonlyArray<unknown>
  readonly status?: unknown
}

const otlpSpan = (s: SpanInput) => ({
  traceId: s.traceId ?? TRACE,
  spanId: s.spanId,
  ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
  name: s.name,
  kind: s.kind ?? 1,
  startTimeUnixNano: String(T0 + BigInt(s.start)),
  endTimeUnixNano: String(T0 + BigInt(s.end)),
  attributes: s.attributes ?? [],
  events: s.events ?? [],
  links: s.links ?? [],
  status: s.status ?? {}
})

const line = (spans: ReadonlyArray<SpanInput>, service = "checkout") =>
  JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: "effect-oneagent", version: "0.1.0" }, spans: spans.map(otlpSpan) }]
    }]
  })

const str = (key: string, value: string) => ({ key, value: { stringValue: value } })

describe("viewer model", () => {
  it("decodes spans: kinds, status, every attribute type, events and links", () => {
    const set = parseText(line([{
      spanId: "00f067aa0ba902b7",
      name: "GET /orders",
      kind: 2,
      start: 0,
      end: 5_000_000,
      status: { code: 2, message: "boom" },
      attributes: [
        str("http.route", "/orders"),
        { key: "http.status", value: { intValue: "500" } },
        { key: "ratio", value: { doubleValue: 0.25 } },
        { key: "cached", value: { boolValue: false } },
        { key: "tags", value: { arrayValue: { values: [{ stringValue: "a" }, { intValue: 2 }] } } },
        { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { boolValue: true } }] } } },
        { key: "nothing", value: {} },
        { value: { stringValue: "no key: dropped" } }
      ],
      events: [{
        name: "exception",
        timeUnixNano: String(T0 + 4_000_000n),
        attributes: [str("exception.type", "Error"), str("exception.stacktrace", "Error: boom\n    at f (a.ts:1:1)")]
      }],
      links: [{ traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", attributes: [str("why", "batch")] }]
    }]))
    expect(set.lines).toBe(1)
    expect(set.malformedLines).toBe(0)
    expect(set.spans).toHaveLength(1)
    const span = set.spans[0]!
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: "00f067aa0ba902b7",
      parentSpanId: "",
      kind: 2,
      statusCode: 2,
      statusMessage: "boom",
      start: T0,
      end: T0 + 5_000_000n
    })
    expect(span.attributes.map((a) => [a.key, a.type, a.value])).toEqual([
      ["http.route", "string", "/orders"],
      ["http.status", "int", "500"],
      ["ratio", "double", "0.25"],
      ["cached", "bool", "false"],
      ["tags", "array", "[\"a\", 2]"],
      ["map", "kvlist", "{\"k\": true}"],
      ["nothing", "empty", ""]
    ])
    expect(span.events[0]!.name).toBe("exception")
    expect(span.events[0]!.time).toBe(T0 + 4_000_000n)
    expect(span.events[0]!.attributes[1]!.value).toContain("at f (a.ts:1:1)")
    expect(span.links).toEqual([{
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      attributes: [{ key: "why", type: "string", value: "batch" }]
    }])
    expect(set.resources).toEqual([[{ key: "service.name", type: "string", value: "checkout" }]])
    expect(set.scopes).toEqual([{ name: "effect-oneagent", version: "0.1.0" }])
  })

  it("accepts enum names, base64 ids and numeric times from other OTLP/JSON encoders", () => {
    const traceB64 = Buffer.from(TRACE, "hex").toString("base64")
    const spanB64 = Buffer.from("00f067aa0ba902b7", "hex").toString("base64")
    const set = emptySpanSet()
    addLine(set, JSON.stringify({
      resourceSpans: [{
        scopeSpans: [{
          spans: [{
            traceId: traceB64,
            spanId: spanB64,
            parentSpanId: "AAAAAAAAAAA=",
            name: "x",
            kind: "SPAN_KIND_CONSUMER",
            startTimeUnixNano: 1000,
            endTimeUnixNano: "2000",
            status: { code: "STATUS_CODE_ERROR" }
          }]
        }]
      }]
    }))
    expect(set.spans[0]).toMatchObject({ traceId: TRACE, spanId: "00f067aa0ba902b7", parentSpanId: "", kind: 5, statusCode: 2 })
    expect(normalizeId("00000000000000000000000000000000", 16)).toBe("")
    expect(normalizeId("ABCDEF0123456789", 8)).toBe("abcdef0123456789")
    expect(parseNanos("1795515501530841565")).toBe(1795515501530841565n)
    expect(parseNanos("-1")).toBeUndefined()
    expect(parseNanos("12.5")).toBeUndefined()
  })

  it("skips malformed lines and invalid spans, counting them, and ignores blank lines", () => {
    const text = [
      line([{ spanId: "0000000000000001", name: "ok", start: 0, end: 1 }]),
      "",
      "{not json",
      "[1, 2, 3]",
      JSON.stringify({ hello: "world" }),
      "   ",
      JSON.stringify({
        resourceSpans: [{
          scopeSpans: [{
            spans: [
              { spanId: "0000000000000002", name: "no trace id", startTimeUnixNano: "1", endTimeUnixNano: "2" },
              { traceId: TRACE, spanId: "0000000000000003", name: "bad time", startTimeUnixNano: "soon" },
              { traceId: TRACE, spanId: "0000000000000004", name: "no end", startTimeUnixNano: "5" },
              "not a span"
            ]
          }]
        }]
      }),
      line([{ spanId: "0000000000000005", name: "ok too", start: 2, end: 3 }]).slice(0, 40)
    ].join("\n")
    const set = parseText(text)
    expect(set.lines).toBe(6)
    expect(set.malformedLines).toBe(4)
    expect(set.invalidSpans).toBe(3)
    expect(set.spans.map((s) => s.name)).toEqual(["ok", "no end"])
    // A span without an end is an instant.
    expect(set.spans[1]!.end).toBe(set.spans[1]!.start)
    expect(set.problems[0]).toMatch(/^line 3: not JSON/)
    expect(set.problems.length).toBeLessThanOrEqual(5)
  })

  it("builds trees depth-first with children by start time, and names the trace after its root", () => {
    const set = parseText([
      // Exported in end order, as the engine does: children first, across two lines.
      line([
        { spanId: "00000000000000c2", parentSpanId: "00000000000000b1", name: "query 2", kind: 3, start: 30, end: 40 },
        { spanId: "00000000000000c1", parentSpanId: "00000000000000b1", name: "query 1", kind: 3, start: 10, end: 20 },
        { spanId: "00000000000000d1", parentSpanId: "00000000000000c1", name: "decode", start: 12, end: 15 }
      ]),
      line([
        { spanId: "00000000000000b2", parentSpanId: "00000000000000a1", name: "render", start: 50, end: 90, status: { code: 2 } },
        { spanId: "00000000000000b1", parentSpanId: "00000000000000a1", name: "load", start: 5, end: 45 },
        { spanId: "00000000000000a1", name: "GET /", kind: 2, start: 0, end: 100 }
      ])
    ].join("\n"))
    const [trace] = buildTraces(set.spans)
    expect(trace!.spans.map((t) => [t.span.name, t.depth, t.childCount])).toEqual([
      ["GET /", 0, 2],
      ["load", 1, 2],
      ["query 1", 2, 1],
      ["decode", 3, 0],
      ["query 2", 2, 0],
      ["render", 1, 0]
    ])
    expect(trace!.root.name).toBe("GET /")
    expect(trace!.start).toBe(T0)
    expect(trace!.end).toBe(T0 + 100n)
    expect(trace!.errorCount).toBe(1)
    expect(trace!.hasMissingParent).toBe(false)
  })

  it("renders spans whose parent is missing as roots, and marks traces continued from a remote parent", () => {
    const set = parseText(line([
      // Continued from a remote caller: the server span's parent is in another process.
      { spanId: "00000000000000a1", parentSpanId: "00f067aa0ba902b7", name: "Orders/placeOrder", kind: 2, start: 10, end: 100 },
      { spanId: "00000000000000a2", parentSpanId: "00000000000000a1", name: "charge", kind: 3, start: 20, end: 40 },
      // Its parent was lost (dropped, or in a file not read).
      { spanId: "00000000000000a3", parentSpanId: "0000000000000bad", name: "orphan", start: 0, end: 5 },
      { traceId: "11111111111111111111111111111111", spanId: "00000000000000e1", name: "other", start: 200, end: 300 }
    ]))
    const traces = buildTraces(set.spans)
    expect(traces.map((t) => t.traceId)).toEqual([TRACE, "11111111111111111111111111111111"])
    const [remote, other] = traces
    expect(remote!.spans.map((t) => [t.span.name, t.depth, t.missingParent])).toEqual([
      ["orphan", 0, true],
      ["Orders/placeOrder", 0, true],
      ["charge", 1, false]
    ])
    expect(remote!.hasMissingParent).toBe(true)
    expect(other!.hasMissingParent).toBe(false)
  })

  it("keeps the last copy of a duplicated span, breaks parent cycles, and survives very deep traces", () => {
    const dup = parseText([
      line([{ spanId: "00000000000000a1", name: "first copy", start: 0, end: 1 }]),
      line([{ spanId: "00000000000000a1", name: "second copy", start: 0, end: 2 }])
    ].join("\n"))
    expect(buildTraces(dup.spans)[0]!.spans.map((t) => t.span.name)).toEqual(["second copy"])

    const cycle = parseText(line([
      { spanId: "00000000000000a1", parentSpanId: "00000000000000a2", name: "a", start: 0, end: 10 },
      { spanId: "00000000000000a2", parentSpanId: "00000000000000a1", name: "b", start: 1, end: 9 },
      { spanId: "00000000000000a3", parentSpanId: "00000000000000a3", name: "self", start: 2, end: 3 }
    ]))
    const cyclic = buildTraces(cycle.spans)[0]!
    expect(cyclic.spans.map((t) => [t.span.name, t.depth])).toEqual([["self", 0], ["a", 0], ["b", 1]])

    const depth = 20_000
    const spans: Array<Span> = []
    const base = parseText(line([{ spanId: "0000000000000001", name: "s", start: 0, end: depth * 2 }])).spans[0]!
    for (let i = 1; i <= depth; i++) {
      spans.push({
        ...base,
        spanId: i.toString(16).padStart(16, "0"),
        parentSpanId: i === 1 ? "" : (i - 1).toString(16).padStart(16, "0"),
        name: `s${i}`
      })
    }
    const deep = buildTraces(spans.reverse())[0]!
    expect(deep.spans).toHaveLength(depth)
    expect(deep.spans[depth - 1]!.depth).toBe(depth - 1)
  })
})

describe("viewer page", () => {
  const XSS = `<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2"> <!-- \u2028\u2029 & '`

  it("escapes HTML text and JSON inside a script element", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    const json = scriptJson({ s: XSS, t: "</SCRIPT><!--" })
    expect(json).not.toMatch(/<|>|&|\u2028|\u2029/)
    expect(JSON.parse(json)).toEqual({ s: XSS, t: "</SCRIPT><!--" })
  })

  it("embeds user data only as escaped JSON: no markup from attributes, names or the file name", () => {
    const set = parseText(line([{
      spanId: "00000000000000a1",
      name: `name ${XSS}`,
      kind: 2,
      start: 0,
      end: 10,
      attributes: [str("comment", XSS), str(XSS, "key is hostile too")],
      events: [{ name: XSS, timeUnixNano: String(T0 + 1n), attributes: [str("exception.message", XSS)] }]
    }], XSS))
    const html = renderHtml(set, buildTraces(set.spans), { source: `traces ${XSS}.jsonl` })
    // Exactly two script elements: the JSON data and the app; no payload markup anywhere.
    expect(html.match(/<script\b/gi)).toHaveLength(2)
    expect(html).not.toMatch(/<img/i)
    expect(html).not.toContain("window.__xss=1</script>")
    expect(html.match(/<\/script/gi)).toHaveLength(2)
    // The data round-trips exactly, and has no raw line separator (a syntax error in old script parsers).
    const json = /<script type="application\/json" id="trace-data">([\s\S]*?)<\/script>/.exec(html)![1]!
    expect(json).not.toMatch(/[\u2028\u2029]/)
    const data = JSON.parse(json)
    expect(data.meta.source).toBe(`traces ${XSS}.jsonl`)
    const span = data.traces[0].spans[0]
    expect(span.name).toBe(`name ${XSS}`)
    expect(span.attributes).toEqual([["comment", "string", XSS], [XSS, "string", "key is hostile too"]])
    expect(span.events[0].name).toBe(XSS)
    expect(data.meta.resources[0][0][2]).toBe(XSS)
    // The escaped file name in the header and title.
    expect(html).toContain(`<title>traces &lt;script&gt;window.__xss=1&lt;/script&gt;&quot;&gt;&lt;img`)
  })

  it("is self-contained: no external resource, a restrictive CSP, relative times as numbers", () => {
    const set = parseText(line([
      { spanId: "00000000000000a1", name: "root", start: 0, end: 2_000_000 },
      { spanId: "00000000000000a2", parentSpanId: "00000000000000a1", name: "child", start: 500_000, end: 1_500_000 }
    ]))
    const html = renderHtml(set, buildTraces(set.spans), { source: "traces.jsonl" })
    expect(html).not.toMatch(/\b(src|href)\s*=/i)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<link\b|@import|url\(/i)
    expect(html).toContain(`content="default-src 'none'`)
    const data = JSON.parse(/<script type="application\/json" id="trace-data">([\s\S]*?)<\/script>/.exec(html)![1]!)
    expect(data.meta).toMatchObject({ spanCount: 2, malformedLines: 0 })
    expect(data.traces[0]).toMatchObject({ id: TRACE, rootName: "root", service: "checkout", duration: 2_000_000, errors: 0 })
    expect(data.traces[0].spans.map((s: { name: string; offset: number; duration: number; depth: number }) => [s.name, s.offset, s.duration, s.depth]))
      .toEqual([["root", 0, 2_000_000, 0], ["child", 500_000, 1_000_000, 1]])
    expect(data.traces[0].startMs).toBeCloseTo(Number(T0 / 1_000_000n), 0)
  })

  it("renders an empty file", () => {
    const set = parseText("")
    const html = renderHtml(set, buildTraces(set.spans), { source: "empty.jsonl" })
    expect(html).toContain(`{"meta":{"source":"empty.jsonl","spanCount":0`)
    expect(html).toContain(`"traces":[]}`)
  })
})

describe("effect-oneagent view (CLI)", () => {
  let dir: string
  let traces: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "effect-oneagent-viewer-"))
    traces = join(dir, "traces.jsonl")
    // A real file: the main example writes its two traces (one continued from a remote caller) through the
    // default file export.
    await exec(node24, [join(root, "examples", "main.ts")], { cwd: root, env: { ...env, ONEAGENT_TRACES_FILE: traces } })
  }, 60_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const capture = () => {
    const out = { stdout: "", stderr: "" }
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } }
  }

  it("names the page after the input", () => {
    expect(defaultOutput(join("a", "traces.jsonl"))).toBe(join("a", "traces.html"))
    expect(defaultOutput("messaging.jsonl")).toBe("messaging.html")
    expect(defaultOutput("spans")).toBe("spans.html")
  })

  it("answers usage errors with exit code 2 and a missing file with 1", async () => {
    for (const argv of [[], ["show", "x.jsonl"], ["view"], ["view", "a", "b"], ["view", "x.jsonl", "--bogus"], ["view", "-"]]) {
      const { io, out } = capture()
      expect(await main(argv, io), argv.join(" ")).toBe(2)
      expect(out.stderr).not.toBe("")
    }
    const help = capture()
    expect(await main(["--help"], help.io)).toBe(0)
    expect(help.out.stdout).toContain("effect-oneagent view <file.jsonl>")
    const missing = capture()
    expect(await main(["view", join(dir, "nope.jsonl")], missing.io)).toBe(1)
    expect(missing.out.stderr).toContain("no such file")
    const same = capture()
    expect(await main(["view", traces, "-o", traces], same.io)).toBe(2)
  })

  it("reads standard input when the input is -", async () => {
    const { io, out } = capture()
    const output = join(dir, "stdin.html")
    const stdin = Readable.from([readFileSync(traces, "utf8")])
    expect(await main(["view", "-", "-o", output], { ...io, stdin })).toBe(0)
    expect(out.stdout.trim()).toBe(output)
    expect(readFileSync(output, "utf8")).toContain(`"source":"stdin"`)
  })

  it("ends lines only at \\n: U+2028 and U+2029 inside a JSON string, CRLF and chunks cut anywhere are read", async () => {
    // Valid JSON that other writers (and this library's engine before it escaped them) put in a file unescaped.
    const raw = line([
      {
        spanId: "00000000000000b1",
        name: "GET /search",
        start: 0,
        end: 10,
        attributes: [{ key: "q", value: { stringValue: "a\u2028b\u2029c" } }]
      },
      { spanId: "00000000000000b2", parentSpanId: "00000000000000b1", name: "db", start: 1, end: 5 }
    ])
    expect(raw).toContain("\u2028")
    const text = `${raw}\r\n${line([{ traceId: "a".repeat(32), spanId: "00000000000000c1", name: "other", start: 0, end: 1 }])}`
    // Cut into 7-byte chunks, so lines and multi-byte characters span chunks.
    const bytes = Buffer.from(text, "utf8")
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7))
    const set = await readSpans(Readable.from(chunks))
    expect([set.lines, set.malformedLines]).toEqual([2, 0])
    expect(buildTraces(set.spans)).toHaveLength(2)
    expect(set.spans.find((s) => s.name === "GET /search")!.attributes)
      .toContainEqual(expect.objectContaining({ key: "q", value: "a\u2028b\u2029c" }))
  })

  it("streams a large file line by line", async () => {
    const lines = Array.from({ length: 2_000 }, (_, i) =>
      line([
        { traceId: i.toString(16).padStart(32, "0").replace(/^0/, "a"), spanId: "00000000000000a1", name: `req ${i}`, start: i, end: i + 10 },
        {
          traceId: i.toString(16).padStart(32, "0").replace(/^0/, "a"),
          spanId: "00000000000000a2",
          parentSpanId: "00000000000000a1",
          name: "db",
          start: i + 1,
          end: i + 5
        }
      ]))
    const set = await readSpans(Readable.from(lines.map((l) => l + "\n")))
    expect(set.lines).toBe(2_000)
    expect(buildTraces(set.spans)).toHaveLength(2_000)
  })

  it("spawns the package's bin on a generated file: writes the page next to it and prints its path", async () => {
    // A torn last line (a process killed mid-write) and garbage are skipped with a warning.
    const input = join(dir, "main.jsonl")
    writeFileSync(input, readFileSync(traces, "utf8") + "not json\n{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"trace")
    // From src/ (whatever dist/ holds); the compiled bin is the next test.
    const { stderr, stdout } = await exec(node24, [bin, "view", input], { cwd: dir, env: { ...env, EFFECT_ONEAGENT_VIEWER_SOURCE: "1" } })
    const output = join(dir, "main.html")
    expect(stdout.trim()).toBe(output)
    const lines = readFileSync(traces, "utf8").trim().split("\n")
    const spans = spansOf(decodeJsonLines(readFileSync(traces, "utf8")))
    expect(spans.length).toBeGreaterThanOrEqual(8)
    const traceCount = new Set(spans.map((s) => s.traceId)).size
    expect(stderr).toContain(`warning: skipped 2 malformed lines of ${lines.length + 2}`)
    expect(stderr).toContain(`${traceCount} traces, ${spans.length} spans`)
    const html = readFileSync(output, "utf8")
    for (const span of spans) {
      expect(html).toContain(`"id":"${span.spanId}"`)
      expect(html).toContain(`"name":"${span.name}"`)
    }
    // The trace the example continued from a remote caller (its tag's trace id) has a missing parent.
    expect(html).toContain(`"id":"4bf92f3577b34da6a3ce929d0e0e4736"`)
    expect(html).toMatch(/"id":"4bf92f3577b34da6a3ce929d0e0e4736","rootName":"Orders\/placeOrder","service":"[^"]*","startMs":[\d.]+,"duration":\d+,"errors":0,"missingParent":true/)
  }, 30_000)

  it("runs from compiled JavaScript on Node without type stripping, as it ships in the package", async () => {
    // The package layout: bin/ beside dist/viewer/ compiled by tsc from src/viewer/.
    const pkg = join(dir, "pkg")
    mkdirSync(join(pkg, "bin"), { recursive: true })
    cpSync(bin, join(pkg, "bin", "effect-oneagent.js"))
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "effect-oneagent", version: "9.9.9", type: "module" }))
    // The project's own build settings (tsconfig.build.json), for src/viewer only.
    writeFileSync(join(pkg, "tsconfig.json"), JSON.stringify({
      extends: join(root, "tsconfig.build.json"),
      compilerOptions: {
        rootDir: join(root, "src", "viewer"),
        outDir: join(pkg, "dist", "viewer"),
        typeRoots: [join(root, "node_modules", "@types")],
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        // Type-checked by \`npm run check\`; here only the emitted JavaScript matters.
        noCheck: true
      },
      include: [join(root, "src", "viewer")]
    }))
    await exec(node24, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(pkg, "tsconfig.json")], { cwd: root, env })
    expect(existsSync(join(pkg, "dist", "viewer", "cli.js"))).toBe(true)
    const noTypes = ["--no-experimental-strip-types"]
    const compiledEnv = { ...env, EFFECT_ONEAGENT_VIEWER_SOURCE: "0" }
    const version = await exec(node24, [...noTypes, join(pkg, "bin", "effect-oneagent.js"), "--version"], { cwd: dir, env: compiledEnv })
    expect(version.stdout.trim()).toBe("effect-oneagent 9.9.9")
    const output = join(dir, "compiled.html")
    const { stdout } = await exec(node24, [...noTypes, join(pkg, "bin", "effect-oneagent.js"), "view", traces, "-o", output], {
      cwd: dir,
      env: compiledEnv
    })
    expect(stdout.trim()).toBe(output)
    expect(readFileSync(output, "utf8")).toContain(`"rootName":"Orders/placeOrder"`)
  }, 60_000)
})
