/**
 * The console tree (issue 17): `SpanData.renderTree` of one trace of 1,000, 5,000 and 20,000 spans. It must grow
 * linearly with the spans (it was quadratic: every span looked for its children among all spans).
 *
 * The trace: a 4-ary tree (each span the parent of the next four, depth ≈ log4 n), two rpc attributes per span,
 * start times in order. How it grows is the slope of log(time) over log(spans) across the three sizes (least
 * squares): 1 is linear, 2 quadratic. Each measurement starts after a full GC (run with --expose-gc; bench/run.ts
 * does) and renders the small traces repeatedly (20 × 1,000, 4 × 5,000, 1 × 20,000 spans), so every size allocates
 * as much per measurement and meets the same collections. A chain (every span the child of the one before, depth n) checks
 * that a deep trace renders too.
 *
 * With the commit before the restructure checked out next to this tree (BENCH_BASE, default
 * /work/scratch/bench-base: `git worktree add /work/scratch/bench-base adad64f`), its renderTree runs beside it at
 * 1,000 and 5,000 spans, in alternating rounds.
 */
import { existsSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { renderTree, type SpanData } from "../src/SpanData.ts"
import { median, now, report } from "./lib.ts"

const SIZES = [1_000, 5_000, 20_000] as const
const ROUNDS = 7
const WARMUP = 2
const BASE = process.env.BENCH_BASE ?? "/work/scratch/bench-base"

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const spanId = (i: number) => (i + 1).toString(16).padStart(16, "0")
const trace = (n: number, parentOf: (i: number) => number): Array<SpanData> =>
  Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: spanId(i),
    parentSpanId: i === 0 ? undefined : spanId(parentOf(i)),
    name: `bench.Service${i % 7}/call`,
    kind: "server",
    sampled: true,
    traceState: "",
    startTime: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
    endTime: 1_700_000_000_000_000_000n + BigInt(i) * 1000n + 500n,
    durationMillis: 0.0005,
    status: { code: "unset", message: "" },
    attributes: { "rpc.method": "call", "rpc.service": `bench.Service${i % 7}` },
    events: [],
    links: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0
  }))

type Render = (spans: ReadonlyArray<SpanData>) => string
const base: Render | undefined = existsSync(`${BASE}/src/SpanData.ts`)
  ? ((await import(pathToFileURL(`${BASE}/src/SpanData.ts`).href)) as { renderTree: Render }).renderTree
  : undefined

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
// ms per render, over enough renders to cover 20,000 spans at every size, so each size allocates as much in a
// measurement and meets the same collections.
const ms = (render: Render, spans: ReadonlyArray<SpanData>, spansPerMeasurement = 20_000): number => {
  const renders = Math.max(1, Math.round(spansPerMeasurement / spans.length))
  gc()
  const t0 = now()
  let lines = 0
  for (let r = 0; r < renders; r++) lines += render(spans).split("\n").length
  const took = (now() - t0) / 1e6 / renders
  if (lines !== renders * (spans.length + 1)) throw new Error("renderTree: unexpected line count")
  return took
}

const trees = SIZES.map((n) => trace(n, (i) => (i - 1) >> 2))
const now_: Array<Array<number>> = SIZES.map(() => [])
const base_: Array<Array<number>> = SIZES.map(() => [])
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let s = 0; s < SIZES.length; s++) {
    const a = ms(renderTree, trees[s]!)
    // The quadratic one takes seconds at 20,000 spans: measured at the smaller sizes only.
    const b = base !== undefined && SIZES[s]! <= 5_000 ? ms(base, trees[s]!, 1) : NaN
    if (round >= WARMUP) {
      now_[s]!.push(a)
      base_[s]!.push(b)
    }
  }
}
let chain = "renders"
try {
  ms(renderTree, trace(20_000, (i) => i - 1))
} catch (error) {
  chain = `fails: ${error instanceof Error ? error.message : String(error)}`
}

const at = SIZES.map((_, s) => median(now_[s]!))
const perSpan = SIZES.map((n, s) => (at[s]! * 1e6) / n)
const growth = perSpan[perSpan.length - 1]! / perSpan[0]!
// Least-squares slope of log(time) over log(size).
const slope = (sizes: ReadonlyArray<number>, times: ReadonlyArray<number>): number => {
  const xs = sizes.map(Math.log)
  const ys = times.map(Math.log)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  return xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0)
}
const exponent = slope(SIZES, at)
const baseAt = SIZES.map((_, s) => median(base_[s]!))
const baseExponent = Number.isNaN(baseAt[0]!) ? NaN : slope(SIZES.slice(0, 2), baseAt.slice(0, 2))
report({
  file: "console-tree.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) per size, 4-ary tree of one trace`,
  rows: [
    ...SIZES.map((n, s) => ({
      bench: "10. console tree",
      metric: `ms to render one trace of ${n.toLocaleString("en")} spans`,
      ours: at[s]!,
      ...(Number.isNaN(baseAt[s]!) ? {} : { theirs: baseAt[s]!, theirsLabel: "adad64f (before)", ratio: at[s]! / baseAt[s]! }),
      unit: "ms",
      target: s === SIZES.length - 1 ? "linear: log-log slope ≤ 1.2 (quadratic: 2)" : "",
      ...(s === SIZES.length - 1 ? { pass: exponent <= 1.2 } : {}),
      note: `${perSpan[s]!.toFixed(0)} ns per span` + (s === SIZES.length - 1
        ? `; log-log slope ${exponent.toFixed(2)} (adad64f ${baseExponent.toFixed(2)}, 1,000 → 5,000); ns per span at ` +
          `20,000 / at 1,000: ${growth.toFixed(2)}; a chain of 20,000 (depth 20,000) ${chain}`
        : "")
    }))
  ]
})
