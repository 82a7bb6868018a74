// The native export path: the engine's finished spans taken as encoded batches (OTLP protobuf and OTLP/JSON) through
// the consumer side of the binary, checked against the official generated definitions of opentelemetry-proto.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { load } from "../src/internal/addon.ts"
import * as Otlp from "./support/otlp.ts"

// The same engine the library loads: a local build if there is one, else the prebuild, else (or with
// ONEAGENT_ENGINE=wasm) the WebAssembly engine.
const loaded = load()
if (loaded._tag !== "Loaded") throw new Error(loaded.message)
const addon = loaded.addon
const ExportTraceServiceRequest = Otlp.ExportTraceServiceRequest

const SERVER = 2
const CLIENT = 3
const SERVICE_CALL = 2
const STATUS_ERROR = 2
const INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

type Format = "protobuf" | "json"

// Takes every waiting span as batches of at most maxSpans / maxBytes, settling each.
const takeAll = (maxSpans = 512, maxBytes = 4 << 20): Array<Buffer> => {
  const batches: Array<Buffer> = []
  for (let batch = addon.export_take(maxSpans, maxBytes); batch !== null; batch = addon.export_take(maxSpans, maxBytes)) {
    batches.push(Buffer.from(batch[0]))
    expect(addon.export_settle(batch[1])).toBe(0)
  }
  return batches
}

const spanCount = (batch: Buffer): number => ExportTraceServiceRequest.decode(batch).resourceSpans[0].scopeSpans[0].spans.length

const resource: Array<[string, string | number | boolean]> = [
  ["service.name", "checkout"],
  ["process.pid", 4242],
  ["sample.ratio", 0.25],
  ["dt.debug", true]
]

const open = (format: Format): void => {
  expect(addon.export_open(0, format, resource, "effect-oneagent", "0.1.0", false)).toBe(0)
}

interface Created {
  readonly root: { trace: string; span: string }
  readonly child: { trace: string; span: string }
  readonly tagged: { trace: string; span: string }
  readonly before: bigint
  readonly after: bigint
}

const parseTag = (tag: string) => {
  const [, trace, span] = tag.split("-")
  return { trace: trace!, span: span! }
}

// A service call with attributes of every type and a repeated key, a failed child, and a span under an incoming tag.
function createSpans(): Created {
  const before = Otlp.nowNanos() - 1_000_000n
  const server = addon.template_create("GET /orders", SERVER, SERVICE_CALL, ["http.request.method", "GET", 0])
  const client = addon.template_create("SELECT orders", CLIENT, 0, [])
  const h = addon.span_start(0, server)
  expect(h).toBeGreaterThan(0)
  expect(addon.span_attr(h, addon.intern("s"), "text \"quoted\"\n\u0001 ünï €", 0)).toBe(0)
  expect(addon.span_attr(h, addon.intern("i"), 42)).toBe(0)
  expect(addon.span_attr(h, addon.intern("neg"), -7)).toBe(0)
  expect(addon.span_attr(h, addon.intern("big"), 2n ** 62n)).toBe(0)
  expect(addon.span_attr(h, addon.intern("d"), 1.5)).toBe(0)
  expect(addon.span_attr(h, addon.intern("b"), true)).toBe(0)
  expect(addon.span_attr(h, addon.intern("nan"), NaN)).toBe(0)
  expect(addon.span_attr(h, addon.intern("inf"), Infinity)).toBe(0)
  expect(addon.span_attr(h, addon.intern("ninf"), -Infinity)).toBe(0)
  const custom = addon.intern("custom")
  expect(addon.span_service_attr(h, custom, "first")).toBe(0)
  expect(addon.span_service_attr(h, custom, 2)).toBe(0)
  expect(addon.span_service_attr(h, custom, "third")).toBe(0)
  const c = addon.span_start(h, client)
  expect(c).toBeGreaterThan(0)
  const rootTag = parseTag(addon.span_tag(h) as string)
  const childTag = parseTag(addon.span_tag(c) as string)
  expect(addon.span_fail(c, "MyError", "boom", "at query (db.ts:1)")).toBe(0)
  expect(addon.span_end(c)).toBe(0)
  expect(addon.span_end(h)).toBe(0)
  const t = addon.span_start_tagged(0, server, INCOMING, "a=b")
  expect(t).toBeGreaterThan(0)
  const taggedTag = parseTag(addon.span_tag(t) as string)
  expect(addon.span_end(t)).toBe(0)
  const after = Otlp.nowNanos() + 1_000_000n
  return { root: rootTag, child: childTag, tagged: taggedTag, before, after }
}

const expectedRootAttributes = {
  "http.request.method": "GET",
  s: "text \"quoted\"\n\u0001 ünï €",
  i: 42n,
  neg: -7n,
  big: 2n ** 62n,
  d: 1.5,
  b: true,
  nan: NaN,
  inf: Infinity,
  ninf: -Infinity,
  custom: ["first", 2n, "third"]
}

const expectedResource = { "service.name": "checkout", "process.pid": 4242n, "sample.ratio": 0.25, "dt.debug": true }

// A span in a format-neutral shape (test/support/otlp.ts reads both encodings), so both are checked by the same
// assertions.
type Span = Otlp.Span

function checkSpans(spans: Map<string, Span>, created: Created): void {
  const { root: r, child: c, tagged: t, before, after } = created
  const rootSpan = spans.get(r.span)!
  const childSpan = spans.get(c.span)!
  const taggedSpan = spans.get(t.span)!
  expect(rootSpan).toBeDefined()
  expect(childSpan).toBeDefined()
  expect(taggedSpan).toBeDefined()

  expect(rootSpan.traceId).toBe(r.trace)
  expect(rootSpan.parentSpanId).toBe("")
  expect(rootSpan.traceState).toBe("")
  expect(rootSpan.flags).toBe(1)
  expect(rootSpan.name).toBe("GET /orders")
  expect(rootSpan.kind).toBe(SERVER)
  expect(rootSpan.attributes).toEqual(expectedRootAttributes)
  expect(rootSpan.events).toEqual([])
  expect(rootSpan.status).toEqual({ code: 0, message: "" })

  expect(childSpan.traceId).toBe(r.trace)
  expect(childSpan.parentSpanId).toBe(r.span)
  expect(childSpan.name).toBe("SELECT orders")
  expect(childSpan.kind).toBe(CLIENT)
  expect(childSpan.attributes).toEqual({})
  expect(childSpan.status).toEqual({ code: STATUS_ERROR, message: "MyError: boom" })
  expect(childSpan.events).toHaveLength(1)
  const event = childSpan.events[0]!
  expect(event.name).toBe("exception")
  expect(event.attributes).toEqual({
    "exception.type": "MyError",
    "exception.message": "boom",
    "exception.stacktrace": "at query (db.ts:1)"
  })

  expect(taggedSpan.traceId).toBe("0af7651916cd43dd8448eb211c80319c")
  expect(taggedSpan.parentSpanId).toBe("b7ad6b7169203331")
  expect(taggedSpan.traceState).toBe("a=b")
  expect(taggedSpan.flags).toBe(1)
  expect(taggedSpan.kind).toBe(SERVER)

  // Times are Unix nanoseconds, ordered: root ⊇ child ⊇ the failure event.
  expect(rootSpan.start >= before && rootSpan.end <= after).toBe(true)
  expect(rootSpan.start <= childSpan.start).toBe(true)
  expect(childSpan.start <= event.time && event.time <= childSpan.end).toBe(true)
  expect(childSpan.end <= rootSpan.end).toBe(true)
  expect(taggedSpan.start <= taggedSpan.end).toBe(true)
}

function decodeProtobuf(batch: Buffer): ReadonlyArray<Span> {
  const decoded = Otlp.decodeProtobuf(batch)
  expect(decoded.resource).toEqual(expectedResource)
  expect(decoded.scope).toEqual({ name: "effect-oneagent", version: "0.1.0" })
  return decoded.spans
}

function decodeJson(batch: Buffer): ReadonlyArray<Span> {
  const decoded = Otlp.decodeJson(batch)
  expect(decoded.resource).toEqual(expectedResource)
  expect(decoded.scope).toEqual({ name: "effect-oneagent", version: "0.1.0" })
  return decoded.spans
}

function exportOnce(format: Format): { created: Created; spans: Map<string, Span>; batches: Array<Buffer> } {
  open(format)
  try {
    const created = createSpans()
    const batches = takeAll()
    const decode = format === "protobuf" ? decodeProtobuf : decodeJson
    const spans = new Map(batches.flatMap(decode).map((s) => [s.spanId, s] as const))
    return { created, spans, batches }
  } finally {
    expect(addon.export_close()).toBe(0)
  }
}

describe("native export", () => {
  const counters = new Float64Array(addon.counter_count)

  beforeAll(() => {
    expect(addon.engine_init(counters, new Int32Array(addon.ids_count), 65536, 1, 0, 0)).toBe(0)
  })

  afterAll(() => {
    expect(addon.engine_shutdown()).toBe(0)
  })

  it("encodes protobuf that the official definitions decode", () => {
    const { created, spans, batches } = exportOnce("protobuf")
    expect(batches.reduce((n, b) => n + spanCount(b), 0)).toBe(3)
    expect(spans.size).toBe(3)
    checkSpans(spans, created)
  })

  it("encodes OTLP/JSON lines", () => {
    const { created, spans, batches } = exportOnce("json")
    expect(spans.size).toBe(3)
    checkSpans(spans, created)
    // Non-finite doubles use the proto3 JSON spellings; the rest are JSON numbers.
    const text = batches.map((b) => b.toString()).join("\n")
    expect(text).toContain('{"key":"nan","value":{"doubleValue":"NaN"}}')
    expect(text).toContain('{"key":"inf","value":{"doubleValue":"Infinity"}}')
    expect(text).toContain('{"key":"ninf","value":{"doubleValue":"-Infinity"}}')
    expect(text).toContain('{"key":"d","value":{"doubleValue":1.5}}')
    expect(text).toContain('"text \\"quoted\\"\\n\\u0001 ünï €"')
  })

  it("splits batches by span count and by size", () => {
    open("protobuf")
    try {
      const t = addon.template_create("small", SERVER, 0, [])
      const key = addon.intern("payload")
      for (let i = 0; i < 10; i++) {
        const h = addon.span_start(0, t)
        addon.span_attr(h, key, "x".repeat(i === 4 ? 1000 : 10), 2000)
        addon.span_end(h)
      }
      expect(addon.export_state()).toEqual([10, 0])
      const batches = takeAll(3, 300)
      const counts = batches.map(spanCount)
      expect(counts.reduce((a, b) => a + b, 0)).toBe(10)
      expect(Math.max(...counts)).toBeLessThanOrEqual(3)
      // Only a batch holding the one oversized span may exceed the byte limit.
      for (const b of batches) if (b.length > 300) expect(spanCount(b)).toBe(1)
      expect(addon.export_state()).toEqual([0, 0])
    } finally {
      addon.export_close()
    }
  })

  it("refuses a malformed consumer, and an engine that does not run; takes nothing without a consumer", () => {
    expect(addon.export_take(512, 0)).toBeNull()
    expect(addon.export_settle(1)).toBe(-12)
    expect(addon.export_open(0, "xml" as never, [], "", "", false)).toBe(-1)
    expect(addon.export_open(0, "json", [[1, 2]] as never, "", "", false)).toBe(-1)
    expect(addon.export_open(addon.engine_id() + 1000, "json", [], "", "", false)).toBe(-9)
    // A native engine has a process-wide id an export worker opens it by; the WebAssembly engine has none (0: no
    // other thread can open it, the export runs inline), and 0 opens the calling environment's own engine.
    if (loaded.engine === "native") expect(addon.engine_id()).toBeGreaterThan(0)
    else expect(addon.engine_id()).toBe(0)
    expect(addon.export_open(addon.engine_id(), "json", [], "", "", false)).toBe(0)
    expect(addon.export_close()).toBe(0)
  })

  it("takes 50,000 spans completely", () => {
    open("protobuf")
    try {
      const t = addon.template_create("stress", SERVER, 0, [])
      const key = addon.intern("n")
      const droppedBefore = counters[4]
      for (let i = 0; i < 50_000; i++) {
        const h = addon.span_start(0, t)
        addon.span_attr(h, key, i)
        addon.span_end(h)
      }
      expect(counters[4]).toBe(droppedBefore) // kCounterDroppedRing
      const batches = takeAll()
      expect(batches.reduce((n, b) => n + spanCount(b), 0)).toBe(50_000)
      expect(addon.export_state()).toEqual([0, 0])
    } finally {
      addon.export_close()
    }
  })
})
