/**
 * Runs every benchmark in its own child process (a fresh heap and JIT each, `--expose-gc` where needed), then
 * prints one table of ratios with the machine, and writes bench/overhead.svg (ns per span, ours and theirs).
 *
 *   node bench/run.ts                 all of them
 *   node bench/run.ts memory otlp     only the files whose names contain one of the words
 */
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { fmt, machine, type Result, type Row } from "./lib.ts"

const benches: ReadonlyArray<{ readonly file: string; readonly flags?: ReadonlyArray<string> }> = [
  { file: "span-start-end.ts" },
  { file: "traced-effect.ts" },
  { file: "effect-tracer.ts" },
  { file: "effect-span-parts.ts" },
  { file: "otlp-encode.ts" },
  { file: "memory.ts", flags: ["--expose-gc"] },
  { file: "event-loop.ts" },
  { file: "concurrency.ts" },
  { file: "sampling.ts" },
  { file: "export-pipeline.ts" },
  { file: "burst.ts" },
  { file: "console-tree.ts", flags: ["--expose-gc"] },
  { file: "late-child.ts" },
  { file: "wasm-engine.ts" },
  { file: "cluster-ipc.ts" }
]

// A benchmark still running after this long is stopped and reported (an export that never completes must not hang
// the run).
const TIMEOUT_MS = 10 * 60_000

const only = process.argv.slice(2)
const selected = benches.filter((b) => only.length === 0 || only.some((word) => b.file.includes(word)))

// Runs one benchmark, echoing its output, and returns its RESULT line.
const run = (file: string, flags: ReadonlyArray<string>): Promise<Result | undefined> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, new URL(file, import.meta.url).pathname], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let result: Result | undefined
    let pending = ""
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split("\n")
      pending = lines.pop()!
      for (const line of lines) {
        if (line.startsWith("RESULT ")) result = JSON.parse(line.slice(7)) as Result
        else console.log(`  ${line}`)
      }
    })
    const timer = setTimeout(() => {
      console.log(`  ${file}: still running after ${TIMEOUT_MS / 60_000} min, stopped`)
      child.kill("SIGKILL")
    }, TIMEOUT_MS)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) console.log(`  ${file} exited with ${code ?? signal}${result === undefined ? ", no result" : ""}`)
      resolve(result)
    })
  })

const loadBefore = machine().load
const started = Date.now()
const results: Array<Result> = []
const failed: Array<string> = []
for (const bench of selected) {
  console.log(`> ${bench.file}`)
  const result = await run(bench.file, bench.flags ?? [])
  if (result !== undefined) results.push(result)
  else failed.push(bench.file)
}
const seconds = (Date.now() - started) / 1000

const m = machine()
const cell = (row: Row, n: number | undefined) => (n === undefined ? "" : `${fmt(n)} ${row.unit}`)
const lines = [
  "",
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}; ${new Date().toISOString()}; ` +
  `benchmarks ${seconds.toFixed(0)} s; ` +
  `load average (1, 5, 15 min) before ${loadBefore}, after ${m.load}`,
  "",
  "| Benchmark | Metric | Ours | Theirs | Compared with | Ratio | Target | |",
  "|---|---|---:|---:|---|---:|---|---|",
  ...results.flatMap((r) =>
    r.rows.map((row) =>
      `| ${row.bench} | ${row.metric} | ${cell(row, row.ours)} | ${cell(row, row.theirs)} | ${row.theirsLabel ?? ""} | ${
        row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`
      } | ${row.target} | ${row.pass === undefined ? "" : row.pass ? "✅" : "❌"} |`
    )
  ),
  "",
  "Iterations:",
  ...results.map((r) => `- ${r.file}: ${r.iterations}`),
  "",
  "Notes:",
  ...results.flatMap((r) => r.rows.filter((row) => row.note).map((row) => `- ${row.bench}, ${row.metric}: ${row.note}`)),
  ...(failed.length > 0 ? ["", `No result (see their output above): ${failed.join(", ")}`] : [])
]
console.log(lines.join("\n"))

const chart = results.flatMap((r) => (r.chart ?? []).map((bar) => ({ ...bar, group: r.rows[0]!.bench })))
if (chart.length > 0 && only.length === 0) {
  const path = new URL("overhead.svg", import.meta.url).pathname
  writeFileSync(path, svg(chart, `${m.cpu}, ${m.cores} cores, Node ${m.node}, load average ${m.load}`))
  console.log(`\nwrote ${path}`)
}

// A horizontal bar per measurement, grouped by benchmark, on a log axis of ns per span (the values span three
// orders of magnitude: a native call next to a traced Effect under 10,000 fibers).
function svg(bars: ReadonlyArray<{ label: string; ns: number; group: string }>, subtitle: string): string {
  const left = 250
  const width = 860
  const barHeight = 18
  const plot = width - left - 80
  const lo = 10
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...bars.map((b) => b.ns), lo * 10)))
  const x = (ns: number) => left + (Math.log10(Math.max(lo, ns) / lo) / Math.log10(hi / lo)) * plot
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  const parts: Array<string> = []
  let y = 70
  let group = ""
  for (const bar of bars) {
    if (bar.group !== group) {
      group = bar.group
      y += 8
      parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${escape(group)}</text>`)
      y += 20
    }
    const ours = bar.label.includes("(ours)") || bar.label.includes("via engine")
    const end = x(bar.ns)
    parts.push(
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${(end - left).toFixed(1)}" height="${barHeight}" fill="${
        ours ? "#2b6cb0" : "#a0aec0"
      }"/>`,
      `<text x="${(end + 6).toFixed(1)}" y="${y + 13}">${fmt(bar.ns)} ns</text>`
    )
    y += barHeight + 6
  }
  const grid: Array<string> = []
  for (let ns = lo; ns <= hi; ns *= 10) {
    grid.push(
      `<line x1="${x(ns).toFixed(1)}" y1="62" x2="${x(ns).toFixed(1)}" y2="${y}" stroke="#e2e8f0"/>`,
      `<text x="${x(ns).toFixed(1)}" y="58" text-anchor="middle" fill="#555">${ns >= 1000 ? `${ns / 1000} µs` : `${ns} ns`}</text>`
    )
  }
  const height = y + 16
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">Cost per span, log scale (lower is better; blue: effect-oneagent, grey: OpenTelemetry JS / Effect)</text>`,
    `<text x="10" y="38" fill="#555">${escape(subtitle)}</text>`,
    ...grid,
    ...parts,
    "</svg>",
    ""
  ].join("\n")
}
