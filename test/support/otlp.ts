// The OTLP side of end-to-end tests, shared by every test that receives or reads what the exporter sends:
// - one receiver: a real node:http server on 127.0.0.1 (`receiver`), or the same in a process of its own
//   (`childReceiver`, test/fixtures/otlp-receiver.ts) when decoding must not be the work of the process under test;
// - one reader: OTLP/HTTP protobuf decoded with the official opentelemetry-proto definitions (`decodeProtobuf`) and
//   OTLP/JSON (`decodeJson`: the file sink's lines, the engine's JSON batches) checked against the same definitions,
//   both read into the same plain `Batch`, so every test compares what arrived field by field the same way;
// - the production layer built around a test body (`withSdk`).
import { expect } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo, Socket } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { OneAgentSdk, type OneAgentSdkOptions, type OneAgentSdkService } from "../../src/index.ts"
import { patienceMillis, watch } from "./wait.ts"

const require = createRequire(import.meta.url)
export const proto = require("@opentelemetry/otlp-transformer/build/src/generated/root.js").opentelemetry.proto
export const ExportTraceServiceRequest = proto.collector.trace.v1.ExportTraceServiceRequest

// ---------------------------------------------------------------------------------------------------------------
// The receiver

export interface Received {
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  /** As sent (possibly gzipped). */
  readonly raw: Buffer
  /** Gunzipped when the request says so. */
  readonly body: Buffer
  /** The connection it came on (keep-alive reuses one). */
  readonly socket: Socket
  /** The status it was answered with, once answered. */
  readonly status: number | undefined
}

export type Reply = { readonly status: number; readonly headers?: Record<string, string> } | "stall"

export interface Receiver {
  readonly port: number
  readonly url: string
  /** Every request, in the order they arrived. */
  readonly requests: ReadonlyArray<Received>
  /** Every batch answered with a 2xx, decoded (when read: a test of the transport may send bytes of its own). */
  readonly accepted: ReadonlyArray<Batch>
  /** Resumes once `n` requests have arrived. */
  readonly arrived: (n: number) => Effect.Effect<void>
  /** Resumes once `n` requests have been answered. */
  readonly answered: (n: number) => Effect.Effect<void>
}

// `reply(n)` answers the n-th request (1-based), possibly later (a promise); "stall" never answers.
export const receiver = (reply: (n: number) => Reply | Promise<Reply> = () => ({ status: 200 })) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly receiver: Receiver }>((resume) => {
      const requests: Array<{ -readonly [K in keyof Received]: Received[K] }> = []
      const decoded = new Map<Received, Batch>()
      const changes = watch()
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const raw = Buffer.concat(chunks)
          const body = req.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(raw) : raw
          const request: { -readonly [K in keyof Received]: Received[K] } = {
            path: req.url ?? "",
            headers: req.headers,
            raw,
            body,
            socket: req.socket,
            status: undefined
          }
          requests.push(request)
          changes.changed()
          void Promise.resolve(reply(requests.length)).then((r) => {
            if (r === "stall") return
            request.status = r.status
            res.writeHead(r.status, r.headers).end()
            changes.changed()
          })
        })
      })
      const answered = () => requests.filter((r) => r.status !== undefined).length
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({
          server,
          receiver: {
            port,
            url: `http://127.0.0.1:${port}`,
            requests,
            get accepted() {
              return requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300).map((r) => {
                if (!decoded.has(r)) decoded.set(r, decodeProtobuf(r.body))
                return decoded.get(r)!
              })
            },
            arrived: (n) => changes.until(`request ${n} (${requests.length} arrived)`, () => requests.length >= n),
            answered: (n) => changes.until(`answer ${n} (${answered()} answered)`, () => answered() >= n)
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ receiver }) => receiver))

// A port that was just free: connecting to it is refused.
export const closedPort = Effect.callback<number>((resume) => {
  const probe = Http.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const port = (probe.address() as AddressInfo).port
    probe.close(() => resume(Effect.succeed(port)))
  })
})

// A reply the test releases when it has seen what it wants to see meanwhile.
export const gate = () => {
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open: () => open(), opened }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading what arrived, from either encoding, into plain values (ints as bigint, ids as hex)

export interface Span {
  readonly traceId: string
  readonly spanId: string
  /** "" for a root. */
  readonly parentSpanId: string
  readonly traceState: string
  readonly flags: number
  readonly name: string
  readonly kind: number
  readonly start: bigint
  readonly end: bigint
  readonly attributes: Record<string, unknown>
  readonly droppedAttributesCount: number
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
  readonly events: ReadonlyArray<{ readonly time: bigint; readonly name: string; readonly attributes: Record<string, unknown> }>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string; readonly attributes: Record<string, unknown> }>
  readonly status: { readonly code: number; readonly message: string }
}

export interface Batch {
  readonly resource: Record<string, unknown>
  readonly scope: { readonly name: string; readonly version: string }
  readonly spans: ReadonlyArray<Span>
}

export const hex = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString("hex")

// What differs between the two encodings; everything else is read once, below.
interface Encoding {
  readonly id: (value: any) => string
  readonly int64: (value: any) => bigint
  readonly value: (value: any) => unknown
}

// AnyValue of a decoded protobuf message: the unset members of the oneof are null.
function protobufValue(v: any): unknown {
  if (v.stringValue != null) return v.stringValue
  if (v.boolValue != null) return v.boolValue
  if (v.intValue != null) return BigInt(String(v.intValue))
  if (v.doubleValue != null) return v.doubleValue
  if (v.arrayValue != null) return v.arrayValue.values.map(protobufValue)
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`)
}

// AnyValue in OTLP/JSON: one member; int64 as a decimal string; a non-finite double as its proto3 JSON spelling.
function jsonValue(v: any): unknown {
  const keys = Object.keys(v)
  if (keys.length !== 1) throw new Error(`an AnyValue has exactly one member: ${JSON.stringify(v)}`)
  if ("stringValue" in v) return v.stringValue
  if ("boolValue" in v) return v.boolValue
  if ("intValue" in v) {
    if (typeof v.intValue !== "string" || !/^-?\d+$/.test(v.intValue)) {
      throw new Error(`intValue is an int64: a decimal string in OTLP/JSON, got ${JSON.stringify(v.intValue)}`)
    }
    return BigInt(v.intValue)
  }
  if ("doubleValue" in v) {
    if (typeof v.doubleValue === "number") return v.doubleValue
    if (["NaN", "Infinity", "-Infinity"].includes(v.doubleValue)) return Number(v.doubleValue)
    throw new Error(`doubleValue is a number or NaN, Infinity, -Infinity: ${JSON.stringify(v.doubleValue)}`)
  }
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(jsonValue)
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`)
}

const protobuf: Encoding = { id: hex, int64: (value) => BigInt(String(value)), value: protobufValue }
const json: Encoding = { id: (value) => value ?? "", int64: (value) => BigInt(value), value: jsonValue }

function attributesOf(list: ReadonlyArray<any> | undefined, encoding: Encoding): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of list ?? []) {
    // Repeated keys are merged into one KeyValue with an array value.
    if (Object.hasOwn(out, kv.key)) throw new Error(`repeated key ${kv.key}`)
    out[kv.key] = encoding.value(kv.value)
  }
  return out
}

function readRequest(request: any, encoding: Encoding): Batch {
  expect(request.resourceSpans).toHaveLength(1)
  const rs = request.resourceSpans[0]
  expect(rs.scopeSpans).toHaveLength(1)
  const ss = rs.scopeSpans[0]
  return {
    resource: attributesOf(rs.resource?.attributes, encoding),
    scope: { name: ss.scope?.name ?? "", version: ss.scope?.version ?? "" },
    spans: (ss.spans ?? []).map((s: any): Span => ({
      traceId: encoding.id(s.traceId),
      spanId: encoding.id(s.spanId),
      parentSpanId: encoding.id(s.parentSpanId),
      traceState: s.traceState ?? "",
      flags: s.flags ?? 0,
      name: s.name,
      kind: s.kind ?? 0,
      start: encoding.int64(s.startTimeUnixNano),
      end: encoding.int64(s.endTimeUnixNano),
      attributes: attributesOf(s.attributes, encoding),
      droppedAttributesCount: s.droppedAttributesCount ?? 0,
      droppedEventsCount: s.droppedEventsCount ?? 0,
      droppedLinksCount: s.droppedLinksCount ?? 0,
      events: (s.events ?? []).map((e: any) => ({
        time: encoding.int64(e.timeUnixNano),
        name: e.name,
        attributes: attributesOf(e.attributes, encoding)
      })),
      links: (s.links ?? []).map((l: any) => ({
        traceId: encoding.id(l.traceId),
        spanId: encoding.id(l.spanId),
        attributes: attributesOf(l.attributes, encoding)
      })),
      status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" }
    }))
  }
}

/** One OTLP/HTTP protobuf `ExportTraceServiceRequest`, decoded with the official definitions. */
export function decodeProtobuf(body: Uint8Array): Batch {
  const batch = readRequest(ExportTraceServiceRequest.decode(body), protobuf)
  for (const span of batch.spans) {
    expect(span.traceId).toHaveLength(32)
    expect(span.spanId).toHaveLength(16)
  }
  return batch
}

/**
 * One OTLP/JSON `ExportTraceServiceRequest` (a line of the traces file, a JSON batch of the engine): every field is a
 * field of the official message it stands for, ids are lower-case hex of their length, 64-bit integers decimal
 * strings and enums numbers, as OTLP/JSON requires.
 */
export function decodeJson(text: string | Uint8Array): Batch {
  const line = typeof text === "string" ? text : Buffer.from(text).toString("utf8")
  expect(line, "one request per line").not.toContain("\n")
  const request = JSON.parse(line)
  checkJson(request, ExportTraceServiceRequest)
  return readRequest(request, json)
}

/** Every line of a traces file (the last one ends with a newline, as every line does). */
export const decodeJsonLines = (text: string): Array<Batch> => {
  const lines = text.split("\n")
  expect(lines.pop(), "every line ends with a newline").toBe("")
  return lines.map(decodeJson)
}

const nestedTypes = (): Record<string, Record<string, any>> => {
  const v1 = proto
  return {
    ExportTraceServiceRequest: { resourceSpans: v1.trace.v1.ResourceSpans },
    ResourceSpans: { resource: v1.resource.v1.Resource, scopeSpans: v1.trace.v1.ScopeSpans },
    Resource: { attributes: v1.common.v1.KeyValue },
    ScopeSpans: { scope: v1.common.v1.InstrumentationScope, spans: v1.trace.v1.Span },
    InstrumentationScope: { attributes: v1.common.v1.KeyValue },
    Span: {
      attributes: v1.common.v1.KeyValue,
      events: v1.trace.v1.Span.Event,
      links: v1.trace.v1.Span.Link,
      status: v1.trace.v1.Status
    },
    Event: { attributes: v1.common.v1.KeyValue },
    Link: { attributes: v1.common.v1.KeyValue },
    KeyValue: { value: v1.common.v1.AnyValue },
    AnyValue: { arrayValue: v1.common.v1.ArrayValue, kvlistValue: v1.common.v1.KeyValueList },
    ArrayValue: { values: v1.common.v1.AnyValue }
  }
}

// Every field of the JSON is a field of the generated message it stands for, recursively (lowerCamelCase names).
function checkJson(value: any, type: any, nested = nestedTypes()): void {
  const fail = (message: string) => {
    throw new Error(`OTLP/JSON ${type.name}: ${message}`)
  }
  if (typeof value !== "object" || value === null) fail(`expected an object, got ${JSON.stringify(value)}`)
  for (const [key, field] of Object.entries(value)) {
    if (!(key in type.prototype)) fail(`no field ${key}`)
    if (key === "traceId" && !/^[0-9a-f]{32}$/.test(field as string)) fail(`traceId ${JSON.stringify(field)}`)
    if ((key === "spanId" || key === "parentSpanId") && !/^([0-9a-f]{16})?$/.test(field as string)) {
      fail(`${key} ${JSON.stringify(field)}`)
    }
    if (key.endsWith("UnixNano") && !/^\d+$/.test(field as string)) fail(`${key} ${JSON.stringify(field)}`)
    if ((key === "kind" || key === "code") && typeof field !== "number") fail(`${key} is an enum number`)
    const inner = nested[type.name]?.[key]
    if (inner === undefined) continue
    for (const item of Array.isArray(field) ? field : [field]) checkJson(item, inner, nested)
  }
}

export const spansOf = (batches: ReadonlyArray<Batch>): Array<Span> => batches.flatMap((b) => b.spans)

export const byName = (spans: ReadonlyArray<Span>) => {
  const out = new Map<string, Span>()
  for (const s of spans) {
    expect(out.has(s.name), `one span named ${s.name}`).toBe(false)
    out.set(s.name, s)
  }
  return out
}

export const parseTag = (tag: string) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(tag)
  expect(match, `a sampled W3C traceparent: "${tag}"`).not.toBeNull()
  return { traceId: match![1]!, spanId: match![2]! }
}

/** The wall clock as Unix nanoseconds: read before and after a run, the span times it recorded lie between. */
export const nowNanos = () => BigInt(Date.now()) * 1_000_000n

// ---------------------------------------------------------------------------------------------------------------
// Running the SDK

export interface Messages {
  readonly diagnostics: Array<string>
  readonly verbose: Array<string>
  /** Resumes once `holds` is true of the messages reported so far (checked on each new one). */
  readonly until: (what: string, holds: () => boolean) => Effect.Effect<void>
}

export interface Run<A> extends Messages {
  readonly result: A
  readonly sdk: OneAgentSdkService
}

// Builds the production layer, runs `body` with it, then releases it (flush within the deadline, shutdown).
export const withSdk = <A, E>(
  options: OneAgentSdkOptions,
  body: (sdk: OneAgentSdkService, messages: Messages) => Effect.Effect<A, E, OneAgentSdk>,
  provider?: ConfigProvider.ConfigProvider
): Effect.Effect<Run<A>, E> =>
  Effect.gen(function*() {
    const changes = watch()
    const messages: Messages = { diagnostics: [], verbose: [], until: changes.until }
    const scope = yield* Scope.make()
    const build = Layer.buildWithScope(
      OneAgentSdk.layer({
        diagnosticCallback: (m) => (messages.diagnostics.push(m), changes.changed()),
        verboseCallback: (m) => (messages.verbose.push(m), changes.changed()),
        exportInterval: 50,
        ...options,
        // A release flushes until every span is delivered, at once when the receiver answers; the deadline only
        // bounds a flush that cannot be (a test of a stalled or refusing receiver sets its own).
        export: { shutdownTimeout: patienceMillis, ...options.export }
      }),
      scope
    )
    const context = yield* (provider === undefined
      ? build
      : Effect.provideService(build, ConfigProvider.ConfigProvider, provider))
    const sdk = Context.get(context, OneAgentSdk)
    const result = yield* body(sdk, messages).pipe(
      Effect.provide(context),
      Effect.onExit((exit) => exit._tag === "Failure" ? Scope.close(scope, exit) : Effect.void)
    )
    yield* Scope.close(scope, Exit.void)
    return { ...messages, result, sdk }
  })

// ---------------------------------------------------------------------------------------------------------------
// The receiver in a child process (test/fixtures/otlp-receiver.ts)

export interface ChildReceiver {
  readonly url: string
  /** Spans accepted so far (as told over IPC). */
  readonly spans: () => number
  /** Spans accepted so far, read from the receiver's count file: works while this thread is blocked. */
  readonly spansNow: () => number
  /** Each accepted request: its spans and their names. */
  readonly arrivals: Array<{ readonly spans: number; readonly names: ReadonlyArray<string> }>
  /** Waits until `n` spans have arrived (a bound for something that must happen: it fails saying how many did). */
  readonly received: (n: number, timeoutMillis?: number) => Effect.Effect<void>
  readonly reply: (reply: "stall" | number) => void
}

export const childReceiver: Effect.Effect<ChildReceiver, never, Scope.Scope> = Effect.acquireRelease(
  Effect.callback<{ readonly child: ChildProcess.ChildProcess; readonly dir: string; readonly receiver: ChildReceiver }>(
    (resume) => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-receiver-"))
      const countFile = Path.join(dir, "spans")
      const child = ChildProcess.fork(new URL("../fixtures/otlp-receiver.ts", import.meta.url), [countFile], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        execArgv: []
      })
      const arrivals: Array<{ spans: number; names: ReadonlyArray<string> }> = []
      let total = 0
      const changes = watch()
      child.on("message", (message: { port?: number; spans?: number; names?: ReadonlyArray<string> }) => {
        if (message.port !== undefined) {
          resume(Effect.succeed({
            child,
            dir,
            receiver: {
              url: `http://127.0.0.1:${message.port}`,
              spans: () => total,
              spansNow: () => {
                try {
                  return Number(Fs.readFileSync(countFile, "utf8"))
                } catch {
                  return 0 // nothing accepted yet
                }
              },
              arrivals,
              received: (n, timeoutMillis = patienceMillis) =>
                changes.until(`${n} spans at the receiver (${total} arrived)`, () => total >= n, timeoutMillis),
              reply: (reply) => void child.send({ reply })
            }
          }))
          return
        }
        total += message.spans ?? 0
        arrivals.push({ spans: message.spans ?? 0, names: message.names ?? [] })
        changes.changed()
      })
    }
  ),
  ({ child, dir }) =>
    Effect.sync(() => {
      child.kill()
      Fs.rmSync(dir, { recursive: true, force: true })
    })
).pipe(Effect.map(({ receiver }) => receiver))
