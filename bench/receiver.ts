/**
 * A local OTLP/HTTP receiver for the benchmarks, run as a child process (bench/lib.ts `startReceiver`) so that its
 * work, above all decoding, does not land on the measured thread. Each protobuf body's wire format is checked down to
 * its spans (`countSpans`: every field of the request, its ResourceSpans and ScopeSpans well-formed, each Span a
 * length-delimited field inside its message) and its spans counted per URL path; the first body on each path and
 * every 64th after it is also decoded with the official opentelemetry-proto definitions (`@opentelemetry/otlp-
 * transformer`'s generated root, as test/support/otlp.ts does) and must agree. A body that fails either is answered
 * 400 and counted as `malformed`; others 200 with an empty ExportTraceServiceResponse.
 *
 * Why not decode everything: a receiver is another machine's work, and on a 2-core machine the full decode (0.7–2 µs
 * per span, more than the traced request) runs on the cores the measured process needs, charging every peer for
 * the receiver's speed (most of all the cheapest). The check here costs a few ns per span, the same for every peer;
 * what remains of the receiver (HTTP, the kernel's TCP receive) is reported by the pipeline row.
 *
 * Protocol: prints `PORT <n>` once listening; answers the IPC message "stats" with
 * { [path]: { requests, spans, bytes, malformed } }, and "cpu" with { cpu: process.cpuUsage() } (its own CPU time, so a
 * benchmark can say how much of the machine the receiver took). `{ stall: true }` makes it accept requests without answering.
 */
import * as Http from "node:http"
import { createRequire } from "node:module"
import * as Zlib from "node:zlib"

interface Counts {
  requests: number
  spans: number
  bytes: number
  malformed: number
}

interface DecodedRequest {
  readonly resourceSpans?: ReadonlyArray<{ readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<unknown> }> }>
}

const require = createRequire(import.meta.url)
const ExportTraceServiceRequest: { decode: (bytes: Uint8Array) => DecodedRequest } =
  require("@opentelemetry/otlp-transformer/build/src/generated/root.js").opentelemetry.proto.collector.trace.v1
    .ExportTraceServiceRequest

const counts: Record<string, Counts> = {}
let stalled = false

const decodedSpans = (request: DecodedRequest): number => {
  let spans = 0
  for (const rs of request.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0
  return spans
}

class Malformed extends Error {}

// The protobuf reader's position, and the last field read (module state: no allocation per field).
let pos = 0
let fieldNumber = 0
let wireType = 0
let payload = 0 // start of a length-delimited field's payload

const varint = (b: Uint8Array, end: number): number => {
  let value = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Malformed("truncated varint")
    const byte = b[pos++]!
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 128
  }
  throw new Malformed("varint too long")
}

// Reads the next field's key and skips its value (a length-delimited one: payload..pos); throws on what is not
// protobuf.
const next = (b: Uint8Array, end: number): void => {
  const key = varint(b, end)
  fieldNumber = Math.floor(key / 8)
  wireType = key & 7
  if (fieldNumber === 0) throw new Malformed("field 0")
  if (wireType === 0) varint(b, end)
  else if (wireType === 1) pos += 8
  else if (wireType === 5) pos += 4
  else if (wireType === 2) {
    const length = varint(b, end)
    payload = pos
    pos += length
  } else throw new Malformed(`wire type ${wireType}`)
  if (pos > end) throw new Malformed("field past its message")
}

// A message of any type in [start, end): well-formed fields, nested ones not looked into.
const skim = (b: Uint8Array, start: number, end: number): void => {
  pos = start
  while (pos < end) next(b, end)
}

// Calls `each(start, end)` for every length-delimited field `number` of the message in [start, end), checking the
// others are well-formed.
const children = (b: Uint8Array, start: number, end: number, number: number, each: (s: number, e: number) => void) => {
  pos = start
  while (pos < end) {
    next(b, end)
    if (fieldNumber !== number) {
      if (wireType === 2) {
        const after = pos
        skim(b, payload, after)
        pos = after
      }
      continue
    }
    if (wireType !== 2) throw new Malformed(`field ${number}`)
    const s = payload
    const e = pos
    each(s, e)
    pos = e
  }
}

/** Spans in an ExportTraceServiceRequest, checking its wire format down to the spans (each one's framing). */
const countSpans = (b: Uint8Array): number => {
  let spans = 0
  children(b, 0, b.length, 1, (s, e) => // resource_spans
    children(b, s, e, 2, (s, e) => // scope_spans
      children(b, s, e, 2, () => { // spans
        spans++
      })))
  return spans
}

const server = Http.createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    const path = request.url ?? "/"
    const c = counts[path] ??= { requests: 0, spans: 0, bytes: 0, malformed: 0 }
    c.requests++
    c.bytes += raw.length
    let status = 200
    try {
      const body = request.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(raw) : raw
      const spans = countSpans(body)
      if (c.requests % 64 === 1 && decodedSpans(ExportTraceServiceRequest.decode(body)) !== spans) {
        throw new Malformed("the full decode disagrees")
      }
      c.spans += spans
    } catch {
      c.malformed++
      status = 400
    }
    if (stalled) return
    response.writeHead(status, { "content-type": "application/x-protobuf", "content-length": 0 })
    response.end()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  console.log(`PORT ${typeof address === "object" && address !== null ? address.port : 0}`)
})
process.on("message", (message: unknown) => {
  if (message === "stats") process.send?.(counts)
  else if (message === "cpu") process.send?.({ cpu: process.cpuUsage() })
  else if (typeof message === "object" && message !== null && "stall" in message) stalled = Boolean(message.stall)
})
process.on("disconnect", () => process.exit(0))
