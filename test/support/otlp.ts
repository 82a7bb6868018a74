// The OTLP side of end-to-end tests: a real node:http receiver on 127.0.0.1 that decodes what arrives with the
// official opentelemetry-proto definitions, and the production layer built around a test body.
import { expect } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import { OneAgentSdk, type OneAgentSdkOptions, type OneAgentSdkService } from "../../src/index.ts"

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
  readonly at: number
}

export type Reply = { readonly status: number; readonly headers?: Record<string, string> } | "stall"

export interface Receiver {
  readonly port: number
  readonly url: string
  readonly requests: Array<Received>
  /** Every batch accepted with a 2xx, decoded. */
  readonly accepted: Array<Batch>
}

// `reply(n)` answers the n-th request (1-based), possibly later (a promise); "stall" never answers.
export const receiver = (reply: (n: number) => Reply | Promise<Reply> = () => ({ status: 200 })) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly receiver: Receiver }>((resume) => {
      const requests: Array<Received> = []
      const accepted: Array<Batch> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const raw = Buffer.concat(chunks)
          const body = req.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(raw) : raw
          requests.push({ path: req.url ?? "", headers: req.headers, raw, body, at: performance.now() })
          void Promise.resolve(reply(requests.length)).then((r) => {
            if (r === "stall") return
            if (r.status >= 200 && r.status < 300) accepted.push(decodeProtobuf(body))
            res.writeHead(r.status, r.headers).end()
          })
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ server, receiver: { port, url: `http://127.0.0.1:${port}`, requests, accepted } }))
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
// Decoding with the official definitions, into plain values (ints as bigint, ids as hex)

export interface Span {
  readonly traceId: string
  readonly spanId: string
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
  readonly links: ReadonlyArray<unknown>
  readonly status: { readonly code: number; readonly message: string }
}

export interface Batch {
  readonly resource: Record<string, unknown>
  readonly scope: { readonly name: string; readonly version: string }
  readonly spans: ReadonlyArray<Span>
}

export const hex = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString("hex")

export function anyValue(v: any): unknown {
  if (v.stringValue != null) return v.stringValue
  if (v.boolValue != null) return v.boolValue
  if (v.intValue != null) return BigInt(String(v.intValue))
  if (v.doubleValue != null) return v.doubleValue
  if (v.arrayValue != null) return v.arrayValue.values.map(anyValue)
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`)
}

export function attributesOf(list: ReadonlyArray<any> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of list ?? []) {
    // Repeated keys are merged into one KeyValue with an array value.
    if (Object.hasOwn(out, kv.key)) throw new Error(`repeated key ${kv.key}`)
    out[kv.key] = anyValue(kv.value)
  }
  return out
}

export function decodeProtobuf(body: Uint8Array): Batch {
  const request = ExportTraceServiceRequest.decode(body)
  expect(request.resourceSpans).toHaveLength(1)
  const rs = request.resourceSpans[0]
  expect(rs.scopeSpans).toHaveLength(1)
  const ss = rs.scopeSpans[0]
  return {
    resource: attributesOf(rs.resource.attributes),
    scope: { name: ss.scope.name, version: ss.scope.version },
    spans: ss.spans.map((s: any): Span => {
      expect(s.traceId).toHaveLength(16)
      expect(s.spanId).toHaveLength(8)
      return {
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        traceState: s.traceState ?? "",
        flags: s.flags,
        name: s.name,
        kind: s.kind,
        start: BigInt(String(s.startTimeUnixNano)),
        end: BigInt(String(s.endTimeUnixNano)),
        attributes: attributesOf(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount ?? 0,
        droppedEventsCount: s.droppedEventsCount ?? 0,
        droppedLinksCount: s.droppedLinksCount ?? 0,
        events: s.events.map((e: any) => ({
          time: BigInt(String(e.timeUnixNano)),
          name: e.name,
          attributes: attributesOf(e.attributes)
        })),
        links: s.links,
        status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" }
      }
    })
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

export const nowNanos = () => BigInt(Date.now()) * 1_000_000n

// ---------------------------------------------------------------------------------------------------------------
// Running the SDK

export interface Run<A> {
  readonly result: A
  readonly sdk: OneAgentSdkService
  readonly diagnostics: Array<string>
  readonly verbose: Array<string>
  /** How long releasing the layer (flush and shutdown) took. */
  readonly closeMillis: number
}

// Builds the production layer, runs `body` with it, then releases it (flush within the deadline, shutdown).
export const withSdk = <A, E>(
  options: OneAgentSdkOptions,
  body: (sdk: OneAgentSdkService, messages: { diagnostics: Array<string>; verbose: Array<string> }) => Effect.Effect<A, E, OneAgentSdk>,
  provider?: ConfigProvider.ConfigProvider
): Effect.Effect<Run<A>, E> =>
  Effect.gen(function*() {
    const diagnostics: Array<string> = []
    const verbose: Array<string> = []
    const scope = yield* Scope.make()
    const build = Layer.buildWithScope(
      OneAgentSdk.layer({
        diagnosticCallback: (m) => diagnostics.push(m),
        verboseCallback: (m) => verbose.push(m),
        exportInterval: 50,
        ...options
      }),
      scope
    )
    const context = yield* (provider === undefined
      ? build
      : Effect.provideService(build, ConfigProvider.ConfigProvider, provider))
    const sdk = Context.get(context, OneAgentSdk)
    const result = yield* body(sdk, { diagnostics, verbose }).pipe(
      Effect.provide(context),
      Effect.onExit((exit) => exit._tag === "Failure" ? Scope.close(scope, exit) : Effect.void)
    )
    const started = performance.now()
    yield* Scope.close(scope, Exit.void)
    return { result, sdk, diagnostics, verbose, closeMillis: performance.now() - started }
  })

// ---------------------------------------------------------------------------------------------------------------
// A receiver in a child process (test/fixtures/otlp-receiver.ts)

export interface ChildReceiver {
  readonly url: string
  /** Spans accepted so far, and when each request arrived (Date.now() in the receiver). */
  readonly spans: () => number
  readonly arrivals: Array<{ readonly spans: number; readonly at: number; readonly names: ReadonlyArray<string> }>
  /** Waits until `n` spans have arrived, or fails after `timeoutMillis`. */
  readonly received: (n: number, timeoutMillis?: number) => Effect.Effect<void, Error>
  readonly reply: (reply: "stall" | number) => void
}

export const childReceiver: Effect.Effect<ChildReceiver, never, Scope.Scope> = Effect.acquireRelease(
  Effect.callback<{ readonly child: ChildProcess.ChildProcess; readonly receiver: ChildReceiver }>((resume) => {
    const child = ChildProcess.fork(new URL("../fixtures/otlp-receiver.ts", import.meta.url), {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: []
    })
    const arrivals: Array<{ spans: number; at: number; names: ReadonlyArray<string> }> = []
    let total = 0
    const waiters: Array<{ readonly n: number; readonly done: () => void }> = []
    child.on("message", (message: { port?: number; spans?: number; at?: number; names?: ReadonlyArray<string> }) => {
      if (message.port !== undefined) {
        resume(Effect.succeed({
          child,
          receiver: {
            url: `http://127.0.0.1:${message.port}`,
            spans: () => total,
            arrivals,
            received: (n, timeoutMillis = 20_000) =>
              Effect.callback<void, Error>((done) => {
                if (total >= n) return done(Effect.void)
                const forget = () => {
                  clearTimeout(timer)
                  const at = waiters.indexOf(waiter)
                  if (at >= 0) waiters.splice(at, 1)
                }
                const waiter = { n, done: () => (forget(), done(Effect.void)) }
                const timer = setTimeout(() => {
                  forget()
                  done(Effect.fail(new Error(`${total} of ${n} spans arrived within ${timeoutMillis} ms`)))
                }, timeoutMillis)
                waiters.push(waiter)
                return Effect.sync(forget)
              }),
            reply: (reply) => void child.send({ reply })
          }
        }))
        return
      }
      total += message.spans ?? 0
      arrivals.push({ spans: message.spans ?? 0, at: message.at ?? 0, names: message.names ?? [] })
      for (const waiter of waiters.splice(0)) {
        if (total >= waiter.n) waiter.done()
        else waiters.push(waiter)
      }
    })
  }),
  ({ child }) => Effect.sync(() => void child.kill())
).pipe(Effect.map(({ receiver }) => receiver))
