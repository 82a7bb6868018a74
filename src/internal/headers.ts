/**
 * Headers (and message properties) in every form they come in, and the incoming tag they carry.
 *
 * @internal
 */
import type * as WebRequest from "../WebRequest.ts"

/**
 * Calls `f` with each header, whichever form the headers come in (a value may be an array of values). Anything that
 * is not headers has none.
 *
 * @internal
 */
export const forEachHeader = (headers: unknown, f: (name: string, value: unknown) => void): void => {
  if (typeof headers !== "object" || headers === null) return
  if (Array.isArray(headers)) {
    for (const pair of headers as ReadonlyArray<unknown>) {
      if (Array.isArray(pair) && typeof pair[0] === "string") f(pair[0], pair[1])
    }
  } else if (typeof (headers as Partial<WebRequest.HeadersLike>).forEach === "function") {
    // for...in would list a Headers' or Map's methods, not its headers.
    const like = headers as WebRequest.HeadersLike
    like.forEach((value, name) => {
      if (typeof name === "string") f(name, value)
    })
  } else {
    const record = headers as Readonly<Record<string, unknown>>
    for (const name in record) f(name, record[name])
  }
}

/** @internal Finds a header case-insensitively; several values are joined with `,` as HTTP allows. */
export const header = (headers: unknown, name: string): string | undefined => {
  const lower = name.toLowerCase()
  let found: Array<string> | undefined
  try {
    forEachHeader(headers, (key, value) => {
      // Untyped callers and message brokers hand over numbers, nulls and objects too; they never throw here.
      if (value === undefined || value === null || key.toLowerCase() !== lower) return
      found ??= []
      found.push(typeof value === "string" ? value : Array.isArray(value) ? value.map(String).join(",") : String(value))
    })
  } catch {
    return undefined
  }
  return found?.join(",")
}

/** @internal The incoming tag of a request or message: `traceparent` (+ `tracestate`) first, then the Dynatrace name. */
export const tagOf = (
  headers: unknown,
  dynatraceName: string
): { readonly stringTag: string | undefined; readonly traceState: string | undefined } => {
  const traceparent = header(headers, "traceparent")
  if (traceparent !== undefined) return { stringTag: traceparent, traceState: header(headers, "tracestate") }
  return { stringTag: header(headers, dynatraceName), traceState: undefined }
}

