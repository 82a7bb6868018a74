// The README's way to describe a node:http or node:http2 request to an incoming web request tracer, shared by the
// tests that serve hostile clients with it.
import type * as Http from "node:http"
import type * as Http2 from "node:http2"
import type { WebRequest } from "../../src/index.ts"

/** The request's URL (its Host, or HTTP/2's :authority) and what the tracer records of it. */
export const incomingOf = (
  req: Http.IncomingMessage | Http2.Http2ServerRequest
): { readonly url: URL; readonly options: WebRequest.IncomingWebRequestOptions } => {
  const host = req.headers.host ?? req.headers[":authority"] ?? "localhost"
  const url = new URL(req.url ?? "/", `http://${host}`)
  return {
    url,
    options: { url: url.href, method: req.method ?? "GET", headers: req.headers, remoteAddress: req.socket.remoteAddress }
  }
}
