/**
 * The cost of an unsampled span against a sampled one.
 *
 * Row 7 as users meet it: a request that continues an incoming tag (`traceIncomingRemoteCall`) around a custom
 * service around a small effect, with the production layer exporting to a local receiver. Once with the sampled
 * flag, once without; the overhead per span is the time over the bare nested effect, halved (two spans). With the
 * default parent-based sampler an unsampled request is kept without the engine: only its context travels.
 *
 * The second row is the engine's own unsampled path (no Effect, `span_start_tagged` + `span_end`), which the
 * strict test layer, Effect spans and non-parent-based samplers use: a handle and ids but no record.
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { OneAgentSdk } from "../src/OneAgentSdk.ts"
import { exportingEngine, immediate, interleave, now, report, requireTracing, startReceiver } from "./lib.ts"

const REQUESTS = 20_000
const SPANS = 50_000
const CHUNK = 500
const ROUNDS = 11
const WARMUP = 3
const SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"

let counter = 0
const bare = Effect.sync(() => counter++)
const request = (stringTag: string) =>
  bare.pipe(
    OneAgentSdk.traceCustomService({ service: "bench.Service", method: "call" }),
    OneAgentSdk.traceIncomingRemoteCall({ service: "bench.Api", method: "handle", endpoint: "rpc://bench", stringTag })
  )
const loop = (effect: Effect.Effect<number, never, OneAgentSdk>) =>
  Effect.gen(function*() {
    for (let i = 0; i < REQUESTS; i++) yield* effect
  })

const receiver = await startReceiver()
const runtime = ManagedRuntime.make(OneAgentSdk.layer({ export: { endpoint: receiver.url }, effectSpans: false }))
await runtime.runPromise(Effect.void)
await requireTracing(runtime, OneAgentSdk)
const time = (program: Effect.Effect<void, never, OneAgentSdk>) => async () => {
  const t0 = now()
  await runtime.runPromise(program)
  return (now() - t0) / REQUESTS
}
// Between runs, until the sampled ones are exported: no run pays for another's export.
const drained = async () => {
  const deadline = Date.now() + 30_000
  while ((await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))).spansPendingExport > 0) {
    if (Date.now() > deadline) throw new Error("sampling.ts: spans still pending export after 30 s")
    await immediate()
  }
}
const traced = await interleave({
  bare: time(loop(bare)),
  sampled: time(loop(request(SAMPLED))),
  unsampled: time(loop(request(UNSAMPLED)))
}, { rounds: ROUNDS, warmup: WARMUP, between: drained })
const stats = await runtime.runPromise(OneAgentSdk.use((sdk) => sdk.stats))
await runtime.dispose()
const received = (await receiver.stats())["/v1/traces"]?.spans ?? 0
receiver.close()

// The engine alone (after the layer released it), with its own export thread: skipped, with the reason, when this
// build of the engine has no export thread calls.
const engineRow = async () => {
  const { addon, sink, template } = await exportingEngine()
  const engineRun = (tag: string) => async (): Promise<number> => {
    const t0 = now()
    for (let done = 0; done < SPANS; done += CHUNK) {
      for (let i = 0; i < CHUNK; i++) addon.span_end(addon.span_start_tagged(0, template, tag, ""))
      await immediate()
    }
    return (now() - t0) / SPANS
  }
  const engine = await interleave({ sampled: engineRun(SAMPLED), unsampled: engineRun(UNSAMPLED) }, {
    rounds: ROUNDS,
    warmup: WARMUP,
    between: () => sink.flush()
  })
  await sink.close()
  return {
    bench: "7. sampling",
    metric: "ns per unsampled span in the engine (start+end)",
    ours: engine.median.unsampled,
    theirs: engine.median.sampled,
    theirsLabel: "a sampled span, same path",
    unit: "ns",
    ratio: engine.median.unsampled / engine.median.sampled,
    target: "(info: strict layer, Effect spans)",
    note: `exported ${sink.spans()} (the sampled ones)`
  }
}
const engine = await engineRow().catch((error: unknown) => {
  console.log(`engine row skipped: ${error instanceof Error ? error.message : String(error)}`)
  return undefined
})

const perSpan = (ns: number) => (ns - traced.median.bare) / 2
const sampled = perSpan(traced.median.sampled)
const unsampled = perSpan(traced.median.unsampled)
report({
  file: "sampling.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${REQUESTS} requests of two spans per variant; ` +
    `engine: ${SPANS} spans, chunks of ${CHUNK}`,
  rows: [{
    bench: "7. sampling",
    metric: "overhead ns per unsampled span (traced Effect, incoming tag)",
    ours: unsampled,
    theirs: sampled,
    theirsLabel: "a sampled span, same request",
    unit: "ns",
    ratio: unsampled / sampled,
    target: "≤ 0.2× a sampled span",
    pass: unsampled / sampled <= 0.2,
    note: `bare nested effect ${traced.median.bare.toFixed(0)} ns; ${stats.spansUnsampled} unsampled spans counted, ` +
      `receiver got ${received} of ${stats.spansEnded - stats.spansUnsampled} sampled`
  }, ...(engine === undefined ? [] : [engine])],
  chart: [
    { label: "unsampled span (ours, traced Effect)", ns: unsampled },
    { label: "sampled span (ours, traced Effect)", ns: sampled }
  ]
})
