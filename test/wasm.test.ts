// The WebAssembly engine (src/internal/wasmAddon.ts over native/wasm/): the committed module is built from the
// current native sources; strings are cut at their limits exactly as the native engine cuts them; the counters both
// sides add to compose as on the native engine's shared arrays; a trap turns the engine off without ever throwing;
// and it loads with nothing but what every JavaScript runtime has (no file, no `node:` module: Deno without
// permissions). Runs the same in `npm test` and `npm run test:wasm`: it makes its own instances.
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Vm from "node:vm"
import ts from "typescript"
import { describe, expect, it } from "vitest"
import { type Addon, candidates, load } from "../src/internal/addon.ts"
import { Counter, Status } from "../src/internal/codes.ts"
import * as Embedded from "../src/internal/wasm/module.ts"
import * as WasmAddon from "../src/internal/wasmAddon.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex")

// The native engine next to the WebAssembly one: the binary the library loads (a local build, else the prebuild).
const native = ((): Addon => {
  const file = candidates()[0]
  const loaded = file === undefined ? undefined : load(file)
  if (loaded?._tag !== "Loaded") throw new Error("no native engine to compare with: npm run build:native")
  return loaded.addon
})()
const engines: Array<[name: string, make: () => Addon]> = [["wasm", () => WasmAddon.make()], ["native", () => native]]

// Runs `f` on an initialised engine, shut down after.
const withEngine = <A>(addon: Addon, f: (counters: Float64Array, ids: Int32Array) => A, maxAttributes = 0): A => {
  const counters = new Float64Array(new SharedArrayBuffer(addon.counter_count * 8))
  const ids = new Int32Array(addon.ids_count)
  expect(addon.engine_init(counters, ids, 0, 1, maxAttributes, 0)).toBe(0)
  try {
    return f(counters, ids)
  } finally {
    addon.engine_shutdown()
  }
}

// Every span that waits, as OTLP/JSON spans.
const exported = (addon: Addon): Array<any> => {
  expect(addon.export_open(0, "json", [], "s", "1", false)).toBe(0)
  try {
    const spans: Array<any> = []
    for (let batch = addon.export_take(512, 0); batch !== null; batch = addon.export_take(512, 0)) {
      addon.export_settle(batch[1])
      spans.push(...JSON.parse(new TextDecoder().decode(batch[0])).resourceSpans[0].scopeSpans[0].spans)
    }
    return spans
  } finally {
    addon.export_close()
  }
}

// The rule both engines implement: lone surrogates become U+FFFD, then the first `limit` code points are kept.
const cut = (value: string, limit: number) => {
  const points = Array.from(value.toWellFormed())
  return { value: points.slice(0, limit).join(""), truncated: points.length > limit }
}

const L = 8
const strings: ReadonlyArray<readonly [string, string, number]> = [
  ["ascii at the limit", "a".repeat(L), L],
  ["ascii past the limit", "a".repeat(L + 1), L],
  ["astral at the limit", "😀".repeat(L), L],
  ["astral past the limit", "😀".repeat(L + 1), L],
  ["a pair split by the limit's unit count", "a".repeat(L - 1) + "😀" + "b", L],
  ["lone high surrogates", "\uD83D".repeat(L + 2), L],
  ["lone low surrogates", "\uDE00".repeat(L), L],
  ["a lone surrogate at the cut", "a".repeat(L - 1) + "\uD83Dz", L],
  ["reversed pairs", "\uDE00\uD83D".repeat(L), L],
  ["mixed widths", "a€😀\uD800é".repeat(L), L],
  ["far longer than the limit, astral", "😀".repeat(40 * L), L],
  ["far longer than the limit, lone high surrogates", "\uD800".repeat(40 * L), L],
  ["far longer than the limit, a pair at the slice", "a".repeat(2 * L + 1) + "😀".repeat(L), L],
  ["limit 1, astral", "😀😀", 1],
  ["the default limit (0), astral", "😀".repeat(260), 0],
  ["the long limit, lone surrogates", "x\uDC00".repeat(3000), 4096],
  ["empty", "", L]
]

describe("the WebAssembly engine", () => {
  it("the committed module is built from the current native sources (else: npm run build:wasm)", () => {
    // scripts/build-wasm.sh's recipe: "<sha256 of content>  <name>\n" for native/*.{cc,h} and native/wasm/*, in byte
    // order of the name relative to native/.
    const dir = join(root, "native")
    const files = [
      ...readdirSync(dir).filter((f) => f.endsWith(".cc") || f.endsWith(".h")),
      ...readdirSync(join(dir, "wasm")).map((f) => `wasm/${f}`)
    ].sort()
    const hash = sha256(files.map((f) => `${sha256(readFileSync(join(dir, f)))}  ${f}\n`).join(""))
    expect(Embedded.sourceHash, "src/internal/wasm/module.ts is stale: run npm run build:wasm").toBe(hash)
    // The binary says the same, and is the size the module records.
    expect(WasmAddon.make().engine_version()).toEqual([expect.any(String), 2, hash])
    expect(Buffer.from(Embedded.base64, "base64").length).toBe(Embedded.byteLength)
  })

  it.each(engines)("%s: cuts strings at their limit in code points, lone surrogates as U+FFFD", (_, make) => {
    const addon = make()
    withEngine(addon, () => {
      const template = addon.template_create("strings", 1, 0, [])
      const handle = addon.span_start(0, template)
      strings.forEach(([, value, limit], i) => {
        expect(addon.span_attr(handle, addon.intern(`s${i}`), value, limit)).toBe(0)
      })
      expect(addon.span_end(handle)).toBe(0)
      const [span] = exported(addon)
      const attributes = new Map<string, any>(span.attributes.map((a: any) => [a.key, a.value]))
      const marked = new Set<string>(
        (attributes.get("oneagent.truncated")?.arrayValue?.values ?? [attributes.get("oneagent.truncated")])
          .filter((v: any) => v !== undefined)
          .map((v: any) => v.stringValue)
      )
      strings.forEach(([name, value, limit], i) => {
        const expected = cut(value, limit === 0 ? 250 : limit)
        expect(attributes.get(`s${i}`)?.stringValue, name).toBe(expected.value)
        expect(marked.has(`s${i}`), name).toBe(expected.truncated)
      })
    })
  })

  it.each(engines)("%s: cuts names, keys and tags as the native engine does", (_, make) => {
    const addon = make()
    withEngine(addon, () => {
      const name = "😀\uD800".repeat(200)
      const template = addon.template_create(name, 1, 0, [name, "v", 0])
      const handle = addon.span_start(0, template)
      expect(addon.span_status(handle, 2, "\uDFFF".repeat(5000))).toBe(0)
      expect(addon.span_event(handle, name, 0n, [])).toBe(0)
      // A traceparent is read up to 128 code points (surrounding blanks are allowed): one that ends past them does
      // not parse.
      const tag = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      expect(addon.span_link(handle, " ".repeat(73) + tag, [])).toBe(0)
      expect(addon.span_link(handle, " ".repeat(74) + tag, [])).toBe(Status.BadTag)
      expect(addon.span_end(handle)).toBe(0)
      const [span] = exported(addon)
      expect(span.name).toBe(cut(name, 250).value)
      expect(span.attributes[0].key).toBe(cut(name, 250).value)
      expect(span.status.message).toBe(cut("\uDFFF".repeat(5000), 4096).value)
      expect(span.events[0].name).toBe(cut(name, 250).value)
      expect(span.links).toHaveLength(1)
      expect(span.links[0].spanId).toBe("b7ad6b7169203331")
    })
  })

  it.each(engines)("%s: counters both sides write compose, as on one shared array", (_, make) => {
    const addon = make()
    withEngine(addon, (counters, ids) => {
      const template = addon.template_create("c", 1, 0, [])
      // The TypeScript side counts the unsampled spans it keeps without the engine (sampling.ts) and the attributes
      // it drops itself (span.ts), and resets the last note before each start (span.ts).
      counters[Counter.Started] += 5
      const first = addon.span_start_tagged(0, template, "not a tag", "")
      expect(first).toBeGreaterThan(0)
      expect([counters[Counter.Started], counters[Counter.LastNote]]).toEqual([6, Status.BadTag])
      counters[Counter.LastNote] = 0
      const handle = addon.span_start(0, template)
      expect([counters[Counter.Started], counters[Counter.LastNote], counters[Counter.Open]]).toEqual([7, 0, 2])
      // The ids of the span just started, published in 16-, 24- and 24-bit chunks, and its flags.
      const hex = (at: number) =>
        [16, 24, 24].map((bits, i) => ids[at + i]!.toString(16).padStart(bits / 4, "0")).join("")
      expect(`00-${hex(0)}${hex(3)}-${hex(6)}-0${ids[9]}`).toBe(addon.span_tag(handle))
      counters[Counter.DroppedAttributes] += 2
      const key = addon.intern("k")
      expect(addon.span_attr(handle, key, 1)).toBe(0)
      expect(addon.span_attr(handle, key, 2)).toBe(0) // over maxAttributes: dropped by the engine
      expect(counters[Counter.DroppedAttributes]).toBe(3)
      counters[Counter.Ended] += 1
      expect(addon.span_end(handle)).toBe(0)
      expect(addon.span_end(first)).toBe(0)
      expect([counters[Counter.Started], counters[Counter.Ended], counters[Counter.Open]]).toEqual([7, 3, 0])
    }, 1)
  })

  // The adapter copies only the counters each call changes (wasmAddon.ts): the two engines agree after every call.
  it("counters and published ids agree with the native engine's, call by call", () => {
    const both = [WasmAddon.make(), native].map((addon) => {
      const counters = new Float64Array(addon.counter_count)
      const ids = new Int32Array(addon.ids_count)
      // A bound of 16 finished spans, 2 attributes per span, nothing sampled unless the caller decides it.
      expect(addon.engine_init(counters, ids, 16, 0, 2, 0)).toBe(0)
      const template = addon.template_create("t", 1, 2, [])
      const requireParent = addon.template_create("r", 1, 1, [])
      return { addon, counters, ids, template, requireParent, key: addon.intern("k"), open: [] as Array<number> }
    })
    const steps: Array<[string, (e: (typeof both)[number]) => unknown]> = [
      ["sampled root", (e) => e.open.push(e.addon.span_start(0, e.template, 1))],
      ["unsampled root", (e) => e.open.push(e.addon.span_start(0, e.template))],
      ["child of the sampled one", (e) => e.open.push(e.addon.span_start(e.open[0]!, e.template))],
      ["a bad tag", (e) => e.open.push(e.addon.span_start_tagged(0, e.template, "bad", ""))],
      ["the TypeScript side resets the note", (e) => (e.counters[Counter.LastNote] = 0)],
      ["no parent", (e) => e.addon.span_start(0, e.requireParent)],
      ["attributes past the bound", (e) => [1, 2, 3].map((v) => e.addon.span_attr(e.open[0]!, e.key, v))],
      ["a service attribute past the bound", (e) => e.addon.span_service_attr(e.open[2]!, e.key, "x")],
      ["the TypeScript side counts", (e) => {
        e.counters[Counter.Started]++
        e.counters[Counter.Ended]++
        e.counters[Counter.Unsampled]++
        e.counters[Counter.DroppedAttributes]++
      }],
      ["an unsampled root's context", (e) => e.addon.unsampled_root()],
      ["ends", (e) => e.open.splice(0).map((h) => e.addon.span_end(h))],
      ["20 sampled spans over a bound of 16", (e) => {
        for (let i = 0; i < 20; i++) e.addon.span_end(e.addon.span_start(0, e.template, 1))
      }],
      ["taken and settled", (e) => {
        e.addon.export_open(0, "protobuf", [], "", "", false)
        for (let batch = e.addon.export_take(5, 0); batch !== null; batch = e.addon.export_take(5, 0)) {
          e.addon.export_settle(batch[1])
        }
      }],
      ["ended again", (e) => e.addon.span_end(e.addon.span_start(0, e.template, 1))]
    ]
    try {
      for (const [step, run] of steps) {
        const results = both.map((e) => JSON.stringify(run(e)))
        expect(results[0], step).toBe(results[1])
        expect(Array.from(both[0]!.counters), step).toEqual(Array.from(both[1]!.counters))
        expect(both[0]!.ids[9], step).toBe(both[1]!.ids[9])
      }
    } finally {
      for (const e of both) e.addon.export_close()
      for (const e of both) e.addon.engine_shutdown()
    }
  })

  it("a trap (out of memory) turns the engine off for good; no call ever throws", () => {
    const addon = WasmAddon.make({ memoryLimitBytes: 4 << 20 })
    const counters = new Float64Array(addon.counter_count)
    const ids = new Int32Array(addon.ids_count)
    expect(addon.engine_init(counters, ids, 0, 1, 0, 0)).toBe(0)
    const template = addon.template_create("fill", 1, 0, [])
    const key = addon.intern("payload")
    // Spans that nothing exports, 4 KB each, until memory runs out.
    let status = 0
    for (let i = 0; i < 10_000 && status >= 0; i++) {
      const handle = addon.span_start(0, template)
      status = handle < 0 ? handle : addon.span_attr(handle, key, "x".repeat(4000), 4096)
      if (status >= 0) addon.span_end(handle)
    }
    expect(status).toBe(Status.OutOfMemory)
    expect(addon.memoryBytes()).toBeLessThanOrEqual(4 << 20)
    const after = counters.slice()
    // Off for good: what the native addon answers without an engine, or for std::bad_alloc.
    expect(addon.span_start(0, template)).toBe(Status.OutOfMemory)
    expect(addon.span_attr(1, key, "x")).toBe(Status.OutOfMemory)
    expect(addon.span_tag(1)).toBe(Status.OutOfMemory)
    expect(addon.template_create("t", 1, 0, ["k", "v", 0])).toBe(Status.OutOfMemory)
    expect(addon.intern("k2")).toBe(0)
    expect(addon.spans_open()).toEqual([])
    expect(addon.export_open(0, "json", [], "", "", false)).toBe(Status.OutOfMemory)
    expect(addon.export_take(512, 0)).toBeNull()
    expect(addon.export_state()).toEqual([0, 0])
    expect(addon.export_settle(1)).toBe(Status.NotStarted)
    expect(addon.engine_id()).toBe(0)
    expect(addon.engine_shutdown()).toBe(0)
    expect(addon.engine_init(counters, ids, 0, 1, 0, 0)).toBe(Status.Refused)
    expect(addon.engine_version()[1]).toBe(2)
    expect(counters).toEqual(after)
  })

  it("a trap while initialising refuses the engine", () => {
    // Room for the instance, not for an engine with a ring of 4,194,304 spans (16 MB of slots).
    const addon = WasmAddon.make({ memoryLimitBytes: 8 << 20 })
    expect(addon.engine_init(new Float64Array(10), new Int32Array(10), 1 << 22, 1, 0, 0)).toBe(Status.Refused)
    expect(addon.engine_init(new Float64Array(10), new Int32Array(10), 0, 1, 0, 0)).toBe(Status.Refused)
    expect(addon.span_start(0, 1)).toBe(Status.OutOfMemory)
  })

  it("loads with only what every runtime has: no file, no node: module, no process (Deno without permissions)", () => {
    // The adapter, the status numbers and the embedded module import nothing else (the Addon import is a type).
    const sources = ["wasmAddon.ts", "codes.ts", "wasm/module.ts"].map((file) =>
      readFileSync(join(root, "src", "internal", file), "utf8")
    )
    const imports = sources.flatMap((source) => [...source.matchAll(/^import .* from "(.*)"$/gm)].map((m) => m[0]))
    expect(imports).toEqual([
      'import type { Addon } from "./addon.ts"',
      'import { Counter, IdsSlot, Status } from "./codes.ts"',
      'import * as Embedded from "./wasm/module.ts"'
    ])
    // Compiled as they are and run in a context with the web platform's globals only.
    const compile = (source: string) =>
      ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }
      }).outputText
    const context = Vm.createContext({ TextEncoder, TextDecoder, performance, crypto, atob })
    const run = (code: string, modules: Record<string, unknown>) => {
      const exports = {}
      Vm.runInContext(`(function (exports, require) {${code}\n})`, context)(exports, (name: string) => modules[name])
      return exports as Record<string, any>
    }
    const adapter = run(compile(sources[0]!), {
      "./codes.ts": run(compile(sources[1]!), {}),
      "./wasm/module.ts": run(compile(sources[2]!), {})
    })
    expect(Vm.runInContext("[typeof process, typeof Buffer, typeof require]", context)).toEqual([
      "undefined",
      "undefined",
      "undefined"
    ])
    const addon: Addon = adapter.make()
    withEngine(addon, () => {
      const template = addon.template_create("GET /deno", 2, 2, [])
      const handle = addon.span_start(0, template)
      const tag = addon.span_tag(handle) as string
      expect(addon.span_end(handle)).toBe(0)
      const [span] = exported(addon)
      expect([span.name, span.traceId, span.spanId]).toEqual(["GET /deno", tag.slice(3, 35), tag.slice(36, 52)])
    })
  })
})
