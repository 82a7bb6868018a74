/**
 * The ends of the export pump: OTLP/HTTP (protobuf) to a receiver, or OTLP/JSON lines to the local file. Both run
 * where the pump runs (the export worker, or inline).
 *
 * @internal
 */
import type * as ExportConfig from "../ExportConfig.ts"
import type { Sender } from "./exportPump.ts"
import * as FileSink from "./fileSink.ts"
import { type HttpTarget, makeOtlpHttpTransport, type TransportOptions } from "./transport.ts"

/** @internal A target as it crosses to the export worker: plain data. */
export type PlainTarget =
  | ({ readonly _tag: "OtlpHttp" } & HttpTarget)
  | { readonly _tag: "File"; readonly path: string; readonly maxBytes: number }

/** @internal The target, with header values out of their Redacted wrapper for the transport that sends them. */
export const plainTarget = (
  target: ExportConfig.ExportTarget,
  fileMaxBytes: number,
  unwrap: (value: ExportConfig.OtlpHttpTarget["headers"][number][1]) => string
): PlainTarget =>
  target._tag === "File"
    ? { _tag: "File", path: target.path, maxBytes: fileMaxBytes }
    : {
      _tag: "OtlpHttp",
      url: target.url,
      headers: target.headers.map(([name, value]) => [name, unwrap(value)] as const),
      compression: target.compression,
      timeoutMillis: target.timeoutMillis
    }

/** @internal What a sender reports: failures and drops, retries, and whether it is backing off. */
export interface SenderHooks {
  readonly diagnostic: (message: string) => void
  readonly verbose: (message: string) => void
  readonly onState: (state: 0 | 1) => void
}

/**
 * Requests in flight at once to an HTTP receiver: a receiver that decodes one batch while the next is encoded and
 * sent keeps up with a burst that one request at a time would leave waiting.
 *
 * @internal
 */
export const httpConcurrency = 4

/** @internal The sender for `target`; `close` releases its sockets or file. */
export const make = (target: PlainTarget, hooks: SenderHooks, transport?: TransportOptions): Sender => {
  if (target._tag === "OtlpHttp") {
    const http = makeOtlpHttpTransport(target, hooks, { concurrency: httpConcurrency, ...transport })
    return { format: "protobuf", send: http.send, close: http.close, concurrency: httpConcurrency }
  }
  const file = FileSink.open(target.path, { maxBytes: target.maxBytes, diagnostic: hooks.diagnostic })
  return { format: "json", send: (bytes) => Promise.resolve(file.write(bytes)), close: file.close }
}
