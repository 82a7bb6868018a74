/**
 * The WebAssembly engine (src/internal/wasmAddon.ts) against the native one, both raw (no Effect around them), in one
 * process: what a span costs the JS thread (start, attributes, end, a tag) and what encoding a batch costs it (the
 * WebAssembly engine exports inline, so its encoding runs on the application's thread; the native engine's runs on
 * the export worker, measured here on the JS thread too for the comparison). Also the module's size, its compile and
 * instantiate time, and the memory it grew to.
 *
 * Each round times `SPANS` spans per variant, interleaved (bench/lib.ts), and drains the engines between rounds; the
 * encode rows take 10,000 finished spans of the same shape as batches of 512 (protobuf, and OTLP/JSON for the file).
 *
 *   node bench/wasm-engine.ts
 */
import { type Addon, candidates, load } from "../src/internal/addon.ts"
import * as Embedded from "../src/internal/wasm/module.ts"
import * as WasmAddon from "../src/internal/wasmAddon.ts"
import { interleave, median, now, report, type Row, SPAN, templateAttributes } from "./lib.ts"

const SPANS = 20_000
const ENCODED = 10_000
const ROUNDS = 11
const WARMUP = 3

const compileStarted = now()
WasmAddon.module()
const compileMs = (now() - compileStarted) / 1e6
const instantiateStarted = now()
const wasm = WasmAddon.make()
const instantiateMs = (now() - instantiateStarted) / 1e6
const file = candidates()[0]
const loaded = file === undefined ? undefined : load(file)
if (loaded?._tag !== "Loaded") throw new Error("bench: no native engine to compare with (npm run build:native)")
const native = loaded.addon

interface Engine {
  readonly addon: Addon
  readonly template: number
  readonly key: number
}
const engine = (addon: Addon): Engine => {
  const counters = new Float64Array(addon.counter_count)
  const status = addon.engine_init(counters, new Int32Array(addon.ids_count), 65_536, 1, 0, 0)
  if (status !== 0) throw new Error(`bench: engine_init returned ${status}`)
  return {
    addon,
    template: addon.template_create(SPAN.name, SPAN.kind, SPAN.flags, templateAttributes),
    key: addon.intern("http.route")
  }
}
const engines = { wasm: engine(wasm), native: engine(native) }

// Takes and settles everything waiting; returns the JS thread's ns per span and the bytes per span.
const drain = (addon: Addon, format: "protobuf" | "json"): { ns: number; bytes: number } => {
  addon.export_open(0, format, [["service.name", "bench"]], "effect-oneagent", "0.1.0", false)
  let spans = 0
  let bytes = 0
  const t0 = now()
  for (let batch = addon.export_take(512, 4 << 20); batch !== null; batch = addon.export_take(512, 4 << 20)) {
    spans += batch[1]
    bytes += batch[0].byteLength
    addon.export_settle(batch[1])
  }
  const ns = now() - t0
  addon.export_close()
  return { ns: spans === 0 ? 0 : ns / spans, bytes: spans === 0 ? 0 : bytes / spans }
}

// ns per span of `body`, run SPANS times on each engine, rounds interleaved; the engines drained between rounds.
const perSpan = async (body: (e: Engine, i: number) => void) => {
  const time = (e: Engine) => () => {
    const t0 = now()
    for (let i = 0; i < SPANS; i++) body(e, i)
    return (now() - t0) / SPANS
  }
  const result = await interleave({ wasm: time(engines.wasm), native: time(engines.native) }, {
    rounds: ROUNDS,
    warmup: WARMUP,
    between: async () => {
      drain(wasm, "protobuf")
      drain(native, "protobuf")
    }
  })
  return result.median
}

const startEnd = await perSpan(({ addon, template }) => void addon.span_end(addon.span_start(0, template)))
const withAttributes = await perSpan(({ addon, key, template }, i) => {
  const handle = addon.span_start(0, template)
  addon.span_attr(handle, key, "/orders/:id", 0)
  addon.span_attr(handle, key, i)
  addon.span_end(handle)
})
const withTag = await perSpan(({ addon, template }) => {
  const handle = addon.span_start(0, template)
  addon.span_tag(handle)
  addon.span_end(handle)
})

// Encoding on the JS thread: the same 10,000 spans on each engine, then taken as batches.
const encode = (format: "protobuf" | "json") => {
  const samples = { wasm: [] as Array<number>, native: [] as Array<number> }
  let bytes = 0
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const name of ["wasm", "native"] as const) {
      const { addon, key, template } = engines[name]
      for (let i = 0; i < ENCODED; i++) {
        const handle = addon.span_start(0, template)
        addon.span_attr(handle, key, "/orders/:id", 0)
        addon.span_attr(handle, key, i)
        addon.span_end(handle)
      }
      const taken = drain(addon, format)
      if (round >= WARMUP) samples[name].push(taken.ns)
      bytes = taken.bytes
    }
  }
  return { wasm: median(samples.wasm), native: median(samples.native), bytes }
}
const protobuf = encode("protobuf")
const json = encode("json")

const row = (metric: string, m: { wasm: number; native: number }, note?: string): Row => ({
  bench: "wasm engine",
  metric,
  ours: m.wasm,
  theirs: m.native,
  theirsLabel: "native",
  unit: "ns/span",
  ratio: m.wasm / m.native,
  target: "report",
  note
})
report({
  file: "wasm-engine.ts",
  iterations: `${SPANS} spans × ${ROUNDS} rounds (+${WARMUP} warm-up); encode ${ENCODED} spans × ${ROUNDS}`,
  rows: [
    row("span start + end, JS thread", startEnd),
    row("span start + 2 attributes + end, JS thread", withAttributes),
    row("span start + span_tag + end, JS thread", withTag),
    row("encode protobuf, JS thread", protobuf, `${protobuf.bytes.toFixed(0)} B/span; native encodes on its export ` +
      `worker, wasm inline`),
    row("encode OTLP/JSON, JS thread", json, `${json.bytes.toFixed(0)} B/span`),
    {
      bench: "wasm engine",
      metric: "module",
      ours: Embedded.byteLength / 1024,
      unit: "KiB",
      target: "report",
      note: `base64 ${(Embedded.base64.length / 1024).toFixed(0)} KiB in wasm/module.ts; compile ` +
        `${compileMs.toFixed(1)} ms, instantiate ${instantiateMs.toFixed(1)} ms; memory after the run ` +
        `${(wasm.memoryBytes() / 2 ** 20).toFixed(1)} MiB`
    }
  ]
})
wasm.engine_shutdown()
native.engine_shutdown()
