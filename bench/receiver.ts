/**
 * A local OTLP/HTTP receiver for the benchmarks, run as a child process so its work does not land on the
 * measured event loop. It answers 200 with an empty ExportTraceServiceResponse and counts spans per URL path by
 * walking the protobuf (ExportTraceServiceRequest → ResourceSpans(1) → ScopeSpans(2) → Span(2)).
 *
 * Protocol: prints `PORT <n>` once listening; answers an IPC message "stats" with { [path]: { requests, spans,
 * bytes } }. `stall` (an IPC message { stall: true }) makes it accept requests without ever answering.
 */
import * as Http from "node:http"

interface Counts {
  requests: number
  spans: number
  bytes: number
}
const counts: Record<string, Counts> = {}
let stalled = false

// Reads a varint at `at`; returns [value, next offset].
const varint = (b: Uint8Array, at: number): [number, number] => {
  let value = 0
  let shift = 0
  while (true) {
    const byte = b[at++]!
    value += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) return [value, at]
    shift += 7
  }
}

// Calls f(start, end) for each length-delimited field `field` of the message in b[from, to).
const eachField = (b: Uint8Array, from: number, to: number, field: number, f: (start: number, end: number) => void) => {
  let at = from
  while (at < to) {
    const [key, next] = varint(b, at)
    at = next
    const wire = key & 7
    if (wire === 0) at = varint(b, at)[1]
    else if (wire === 1) at += 8
    else if (wire === 5) at += 4
    else if (wire === 2) {
      const [length, start] = varint(b, at)
      if (key >>> 3 === field) f(start, start + length)
      at = start + length
    } else throw new Error(`unsupported wire type ${wire}`)
  }
}

const countSpans = (b: Uint8Array): number => {
  let spans = 0
  eachField(b, 0, b.length, 1, (rs, re) =>
    eachField(b, rs, re, 2, (ss, se) => eachField(b, ss, se, 2, () => void spans++)))
  return spans
}

const server = Http.createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    const body = Buffer.concat(chunks)
    const path = request.url ?? "/"
    const c = counts[path] ??= { requests: 0, spans: 0, bytes: 0 }
    c.requests++
    c.bytes += body.length
    c.spans += countSpans(body)
    if (stalled) return
    response.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 })
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
  else if (typeof message === "object" && message !== null && "stall" in message) stalled = Boolean(message.stall)
})
process.on("disconnect", () => process.exit(0))
