/**
 * Unsampled spans without the engine. With a parent-based sampler, an unsampled trace needs nothing but its
 * context to propagate: the fiber's current span is then that context, a W3C `traceparent` string with the
 * sampled flag clear, instead of an engine handle. Starting a child, continuing an unsampled incoming tag, or
 * a new root the ratio leaves out costs no call into the engine and keeps nothing. A context that came with a
 * `tracestate` carries it after the traceparent, separated by a line feed (which no valid tracestate contains).
 *
 * @internal
 */
import type { Engine } from "./engine.ts"

// Lower-case hex digits only, as W3C requires.
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102)

/**
 * Whether `tag` is an unsampled context the JS side can carry as it is: a version-00 `traceparent` in the form
 * the engine writes, valid (ids not all zero), with the sampled flag clear. Anything else (other versions,
 * whitespace, upper case, sampled) is left to the engine. A loop over char codes: a regex costs several times more.
 *
 * @internal
 */
export const isUnsampled = (tag: unknown): tag is string => {
  if (typeof tag !== "string" || tag.length !== 55) return false
  if (tag.charCodeAt(0) !== 48 || tag.charCodeAt(1) !== 48) return false
  if (tag.charCodeAt(2) !== 45 || tag.charCodeAt(35) !== 45 || tag.charCodeAt(52) !== 45) return false
  const high = tag.charCodeAt(53)
  const low = tag.charCodeAt(54)
  // The sampled flag is the lowest bit of the last digit: a digit's char code has its parity, a letter's the
  // opposite one ('a' = 97 is 10). Checked first: a sampled tag goes to the engine without the loops below.
  if (!isHex(high) || !isHex(low) || (low <= 57 ? (low & 1) === 1 : (low & 1) === 0)) return false
  // OR of each digit's code XOR 48: zero only when every digit is '0' (an invalid, all-zero id).
  let trace = 0
  let span = 0
  for (let i = 3; i < 35; i++) {
    const c = tag.charCodeAt(i)
    if (!isHex(c)) return false
    trace |= c ^ 48
  }
  for (let i = 36; i < 52; i++) {
    const c = tag.charCodeAt(i)
    if (!isHex(c)) return false
    span |= c ^ 48
  }
  return trace !== 0 && span !== 0
}

/** @internal The context of an unsampled span that continues `traceparent`, carrying `traceState` (may be ""). */
export const withTraceState = (traceparent: string, traceState: string): string =>
  traceState === "" ? traceparent : `${traceparent}\n${traceState}`

/** @internal The traceparent part of a context. */
export const traceparentOf = (context: string): string => context.length === 55 ? context : context.slice(0, 55)

/** @internal The tracestate a context carries, or "". */
export const carriedTraceState = (context: string): string => context.length > 56 ? context.slice(56) : ""

/**
 * Whether a new root is sampled with trace-id ratio `ratio`. The roots it keeps get their trace id from the
 * engine (`span_start(0, template, 1)`), drawn below the ratio's threshold; the rest get one from
 * {@link rootContext}, drawn above it, so every trace id agrees with the decision as a TraceIdRatioBased
 * sampler elsewhere would make it.
 *
 * @internal
 */
export const sampleRoot = (ratio: number): boolean => ratio >= 1 || Math.random() < ratio

/**
 * The context of a new unsampled root, from the engine's id generator (building ids in JS costs several times
 * more), or 0 when the engine is gone.
 *
 * @internal
 */
export const rootContext = (engine: Engine): string | 0 => {
  const context = engine.addon.unsampled_root()
  return typeof context === "string" ? context : 0
}

/**
 * The tag to send from an unsampled span: its trace, a new span id (the downstream's parent), its flags; "" when
 * the engine is gone.
 *
 * @internal
 */
export const childTag = (engine: Engine | undefined, context: string): string => {
  const spanId = engine === undefined || engine.closed ? 0 : engine.addon.span_id_hex()
  return typeof spanId === "string" ? `${context.slice(0, 36)}${spanId}${context.slice(52, 55)}` : ""
}

/**
 * The W3C binary form of a tag (version 0; fields trace id, span id, options), as the engine writes it.
 *
 * @internal
 */
export const binaryTag = (tag: string): Uint8Array => {
  const out = new Uint8Array(29)
  for (let i = 0; i < 16; i++) out[2 + i] = parseInt(tag.slice(3 + 2 * i, 5 + 2 * i), 16)
  out[18] = 1
  for (let i = 0; i < 8; i++) out[19 + i] = parseInt(tag.slice(36 + 2 * i, 38 + 2 * i), 16)
  out[27] = 2
  out[28] = parseInt(tag.slice(53, 55), 16)
  return out
}
