/**
 * The cost of an unsampled span against a sampled one, in the engine with the export thread running: both
 * continue an incoming tag (the same parse), one with the sampled flag and one without. An unsampled span
 * still gets a handle and ids (it propagates its context) but keeps no record and is never exported.
 */
import { Counter, exportingEngine, immediate, interleave, now, report } from "./lib.ts"

const SPANS = 50_000
const CHUNK = 500
const ROUNDS = 11
const WARMUP = 3
const SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"

const { addon, counters, sink, template } = exportingEngine()

const run = (tag: string) => async (): Promise<number> => {
  const t0 = now()
  for (let done = 0; done < SPANS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) addon.span_end(addon.span_start_tagged(0, template, tag, ""))
    await immediate()
  }
  return (now() - t0) / SPANS
}

const result = await interleave({ sampled: run(SAMPLED), unsampled: run(UNSAMPLED) }, {
  rounds: ROUNDS,
  warmup: WARMUP,
  between: () => sink.flush()
})
const sampled = result.median.sampled
const unsampled = result.median.unsampled
report({
  file: "sampling.ts",
  iterations: `${ROUNDS} rounds (+${WARMUP} warm-up) × ${SPANS} spans, chunks of ${CHUNK}`,
  rows: [{
    bench: "7. sampling",
    metric: "ns per unsampled span (start+end, engine, exporting)",
    ours: unsampled,
    theirs: sampled,
    theirsLabel: "a sampled span, same path",
    unit: "ns",
    ratio: unsampled / sampled,
    target: "≤ 0.2× a sampled span",
    pass: unsampled / sampled <= 0.2,
    note: `unsampled spans counted ${counters[Counter.Unsampled]}, exported ${sink.spans} (all sampled ones)`
  }],
  chart: [{ label: "unsampled span (ours)", ns: unsampled }, { label: "sampled span (ours)", ns: sampled }]
})
addon.exporter_stop()
