/**
 * Runs one benchmark file under `node --cpu-prof` and summarises the profile of its main thread: where the time
 * goes by self time (top functions, and by origin: this library, effect, OpenTelemetry, Node internals), and the
 * idle, GC and native ("(program)") shares. The receiver child writes its own profile, which is left out.
 *
 *   node bench/cpu-profile.ts export-pipeline.ts PIPELINE_ONLY=ours [--top 25] [--keep DIR]
 *
 * Time in the engine's own threads (the export thread) is not in a V8 profile: the process CPU time the benchmark
 * prints says how much there is besides the JS thread.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
  readonly startTime: number
  readonly endTime: number
}

const args = process.argv.slice(2)
const file = args.find((a) => a.endsWith(".ts"))
if (file === undefined) throw new Error("usage: node bench/cpu-profile.ts <bench file> [NAME=value ...] [--top n] [--keep dir]")
const top = Number(args[args.indexOf("--top") + 1] ?? 25) || 25
const keep = args.includes("--keep") ? args[args.indexOf("--keep") + 1] : undefined
const env = Object.fromEntries(args.filter((a) => /^[A-Z_]+=/.test(a)).map((a) => a.split("=", 2) as [string, string]))

const dir = keep ?? mkdtempSync(join(tmpdir(), "bench-prof-"))
const child = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, new URL(file, import.meta.url).pathname], {
  stdio: "inherit",
  env: { ...process.env, ...env }
})
const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
if (code !== 0) console.log(`${file} exited with ${code}`)

const mine = readdirSync(dir).filter((f) => f.includes(`.${child.pid}.`) && f.endsWith(".cpuprofile"))
if (mine.length === 0) throw new Error(`no profile of pid ${child.pid} in ${dir}`)
const profile = JSON.parse(readFileSync(join(dir, mine[0]!), "utf8")) as Profile

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const total = profile.endTime - profile.startTime
const root = new URL("..", import.meta.url).href
const origin = (url: string): string =>
  url === ""
    ? "native / V8"
    : url.startsWith("node:")
    ? "node internals"
    : url.includes("/node_modules/effect/")
    ? "effect"
    : url.includes("/node_modules/@opentelemetry/") || url.includes("/node_modules/protobufjs/")
    ? "OpenTelemetry JS"
    : url.startsWith(`${root}src/`)
    ? "this library (src/)"
    : url.startsWith(`${root}bench/`)
    ? "benchmark code"
    : "other"
const where = (n: Node) =>
  n.callFrame.url === "" ? "" : `${n.callFrame.url.replace(root, "").replace(/^.*node_modules\//, "")}:${n.callFrame.lineNumber + 1}`

const functions = new Map<string, number>()
const origins = new Map<string, number>()
let idle = 0
let gc = 0
let program = 0
for (const [id, us] of self) {
  const n = byId.get(id)!
  const name = n.callFrame.functionName
  if (name === "(idle)") idle += us
  else if (name === "(garbage collector)") gc += us
  else if (name === "(program)") program += us
  else {
    const key = `${name || "(anonymous)"} ${where(n)}`
    functions.set(key, (functions.get(key) ?? 0) + us)
    const o = origin(n.callFrame.url)
    origins.set(o, (origins.get(o) ?? 0) + us)
  }
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`
console.log(`\nCPU profile of ${file} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}: ` +
  `${(total / 1e6).toFixed(2)} s sampled on the main thread`)
console.log(`idle ${pct(idle)}, garbage collector ${pct(gc)}, (program) ${pct(program)}, ` +
  `JS ${pct(total - idle - gc - program)}`)
console.log("\nself time by origin:")
for (const [o, us] of [...origins].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us).padStart(7)}  ${o}`)
console.log(`\ntop ${top} functions by self time:`)
for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(us).padStart(7)}  ${key}`)
}
if (keep === undefined) rmSync(dir, { recursive: true, force: true })
else console.log(`\nprofiles kept in ${dir}`)
