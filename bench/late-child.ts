/**
 * The late-child fix (issue 16) costs what, per span? The current span in the fiber context is now a SpanRef (its
 * engine handle plus the span's ids, src/internal/spanRef.ts), made per span, so a child started after its parent's
 * slot was reused still joins the trace; before the restructure it was the bare handle.
 *
 * A/B in one process, interleaved rounds: this tree's SDK and the one of the commit before the restructure (adad64f,
 * checked out with its own build at BENCH_BASE, default /work/scratch/bench-base:
 * `git worktree add /work/scratch/bench-base adad64f`, then `npm_config_nodedir=/usr node-gyp rebuild` there; its
 * node_modules may be a symlink to this tree's, so both share one Effect). Each loads its own engine. The workload is
 * row 2's, built per call: a request of two spans (an incoming remote call around a custom service), production layer
 * exporting to bench/receiver.ts. Cost per span = (request − bare request) / 2; the A/B figure is the median over
 * rounds of (this tree − base) in the same round. Also timed alone: `new SpanRef(...)` from the published ids.
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { existsSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { IdsSlot } from "../src/internal/codes.ts"
import { SpanRef } from "../src/internal/spanRef.ts"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { immediate, median, now, quantile, report, requireTracing, startReceiver, watchdog } from "./lib.ts"

const N = 20_000
const ROUNDS = 25
const WARMUP = 4
const BASE = process.env.BENCH_BASE ?? "/work/scratch/bench-base"
watchdog(400_000, "late-child.ts")

// ---- `new SpanRef` alone ----
const ids = new Int32Array(IdsSlot.Count)
const refs: Array<SpanRef> = new Array(1000)
const spanRefNs = (): number => {
  const t0 = now()
  for (let i = 0; i < 1_000_000; i++) {
    ids[IdsSlot.Span] = i
    refs[i % 1000] = new SpanRef(i + 1, i, ids, "")
  }
  return (now() - t0) / 1_000_000
}
const plainNs = (): number => {
  const handles: Array<number> = new Array(1000)
  const t0 = now()
  for (let i = 0; i < 1_000_000; i++) {
    ids[IdsSlot.Span] = i
    handles[i % 1000] = i + 1
  }
  return (now() - t0) / 1_000_000 + (handles[0]! > 0 ? 0 : 1)
}
const micro: Array<number> = []
for (let r = 0; r < 15; r++) {
  const a = spanRefNs()
  const b = plainNs()
  if (r >= 5) micro.push(a - b)
}
const spanRefCost = median(micro)

// ---- A/B of the per-call combinator ----
type Sdk = typeof OneAgentSdk
const baseSdk: Sdk | undefined = existsSync(`${BASE}/src/OneAgentSdk.ts`) && existsSync(`${BASE}/build/Release`)
  ? ((await import(pathToFileURL(`${BASE}/src/OneAgentSdk.ts`).href)) as { OneAgentSdk: Sdk }).OneAgentSdk
  : undefined

let counter = 0
const work = (req: number) => Effect.sync(() => (counter += req))
const handler = (Sdk: Sdk) => (req: number) =>
  work(req).pipe(
    Sdk.traceCustomService({ service: "bench.Service", method: "call" }),
    Sdk.traceIncomingRemoteCall({ method: "call", service: "bench.Api", endpoint: "/api" })
  )
const loop = <R>(handle: (req: number) => Effect.Effect<number, never, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* handle(i)
  })

const receiver = await startReceiver()
const runtimeOf = (Sdk: Sdk, path: string) => {
  const runtime = ManagedRuntime.make(Sdk.layer({ export: { endpoint: `${receiver.url}/${path}` }, exportInterval: 100, effectSpans: false }))
  return runtime
}
const mine = runtimeOf(OneAgentSdk, "now")
await mine.runPromise(Effect.void)
await requireTracing(mine, OneAgentSdk)
const base = baseSdk === undefined ? undefined : runtimeOf(baseSdk, "base")
if (base !== undefined && baseSdk !== undefined) {
  await base.runPromise(Effect.void)
  await requireTracing(base, baseSdk)
}

const time = <R>(rt: ManagedRuntime.ManagedRuntime<R, never>, program: Effect.Effect<void, never, R>) => async () => {
  const t0 = now()
  await rt.runPromise(program)
  return (now() - t0) / N
}
const samples: Record<string, Array<number>> = { bare: [], now: [], base: [] }
const variants: Record<string, () => Promise<number>> = {
  bare: time(mine, loop(work)),
  now: time(mine, loop(handler(OneAgentSdk))),
  ...(base !== undefined && baseSdk !== undefined ? { base: time(base, loop(handler(baseSdk))) } : {})
}
const names = Object.keys(variants)
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length]!
    const ns = await variants[name]!()
    if (round >= WARMUP) samples[name]!.push(ns)
    await immediate()
  }
}
await mine.dispose()
await base?.dispose()
const received = await receiver.stats()
receiver.close()

const perSpan = (name: string) => (median(samples[name]!) - median(samples.bare!)) / 2
// Paired: this tree minus base within each round, per span.
const diffs = samples.base!.map((b, i) => (samples.now![i]! - b) / 2)
const abNs = diffs.length > 0 ? median(diffs) : NaN
report({
  file: "late-child.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${N} requests of two spans per variant; SpanRef: 10 × 1,000,000`,
  rows: [
    ...(base !== undefined
      ? [{
        bench: "11. late child (SpanRef)",
        metric: "ns per span, per-call combinator: this tree − adad64f (A/B, same rounds)",
        ours: abNs,
        theirs: perSpan("base"),
        theirsLabel: "adad64f per span (overhead)",
        unit: "ns",
        target: "≤ 30 ns per span",
        pass: abNs <= 30,
        note: `per span: this tree ${perSpan("now").toFixed(0)} ns, adad64f ${perSpan("base").toFixed(0)} ns (bare ` +
          `request ${median(samples.bare!).toFixed(0)} ns); paired differences, quartiles ${quantile(diffs, 0.25).toFixed(0)}` +
          ` / ${quantile(diffs, 0.75).toFixed(0)} ns; received: this tree ${received["/now/v1/traces"]?.spans ?? 0}, ` +
          `adad64f ${received["/base/v1/traces"]?.spans ?? 0} spans`
      }]
      : []),
    {
      bench: "11. late child (SpanRef)",
      metric: "ns per `new SpanRef(...)` from the published ids",
      ours: spanRefCost,
      unit: "ns",
      target: base === undefined ? `≤ 30 ns per span (no A/B: ${BASE} has no checkout with a build)` : "(info)",
      ...(base === undefined ? { pass: spanRefCost <= 30 } : {}),
      note: `median of 10 rounds, minus the same loop storing a number; range ${Math.min(...micro).toFixed(1)}–` +
        `${Math.max(...micro).toFixed(1)} ns`
    }
  ]
})
