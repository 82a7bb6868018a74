/**
 * W3C trace context, in one place: the `traceparent` (parse and format, in the chunked form the engine publishes
 * ids in), the `tracestate` rules, and the binary form of a tag.
 *
 * @internal
 */
import { IdsSlot } from "./codes.ts"

/** @internal The length of a version-00 `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`. */
export const traceparentLength = 55

// Lower-case hex digits only, as W3C requires.
const hexValue = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1)

// The chunks of one 64-bit id in a traceparent: 4, 6 and 6 hex digits (16, 24 and 24 bits).
const chunkDigits = [4, 6, 6] as const

/**
 * Parses a version-00 `traceparent` in the form the engine writes (lower-case hex, valid ids: not all zero) into
 * `out`, in the layout of the engine's published ids (codes.ts `IdsSlot`). False, `out` partly written, for anything
 * else: other versions, whitespace, upper case, invalid ids. One pass over the characters: a regex and slices cost
 * several times more.
 *
 * @internal
 */
export const parseTraceparent = (tag: unknown, out: Int32Array): boolean => {
  if (typeof tag !== "string" || tag.length !== traceparentLength) return false
  if (tag.charCodeAt(0) !== 48 || tag.charCodeAt(1) !== 48) return false
  if (tag.charCodeAt(2) !== 45 || tag.charCodeAt(35) !== 45 || tag.charCodeAt(52) !== 45) return false
  let i = 3
  let trace = 0
  let span = 0
  for (let word = 0; word < 3; word++) {
    if (word === 2) i = 36
    for (let part = 0; part < 3; part++) {
      let value = 0
      for (let end = i + chunkDigits[part]!; i < end; i++) {
        const digit = hexValue(tag.charCodeAt(i))
        if (digit < 0) return false
        value = value * 16 + digit
      }
      out[word * 3 + part] = value
      if (word < 2) trace |= value
      else span |= value
    }
  }
  const high = hexValue(tag.charCodeAt(53))
  const low = hexValue(tag.charCodeAt(54))
  if (high < 0 || low < 0 || trace === 0 || span === 0) return false
  out[IdsSlot.Flags] = high * 16 + low
  return true
}

/**
 * Whether `tag` is an unsampled context the JS side can carry without the engine: a traceparent
 * {@link parseTraceparent} accepts, with the sampled flag clear. The flag is checked first, so a sampled tag costs
 * no more than two character reads.
 *
 * @internal
 */
export const isUnsampledTraceparent = (tag: unknown, scratch: Int32Array): tag is string => {
  if (typeof tag !== "string" || tag.length !== traceparentLength) return false
  // The sampled flag is the lowest bit of the last digit: a digit's char code has its parity, a letter's the
  // opposite one ('a' = 97 is 10).
  const low = tag.charCodeAt(54)
  if (low <= 57 ? (low & 1) === 1 : (low & 1) === 0) return false
  return parseTraceparent(tag, scratch)
}

const pad = (value: number, digits: number): string => value.toString(16).padStart(digits, "0")

/** @internal 32 hex digits of a trace id from its six chunks. */
export const traceIdHex = (c0: number, c1: number, c2: number, c3: number, c4: number, c5: number): string =>
  pad(c0, 4) + pad(c1, 6) + pad(c2, 6) + pad(c3, 4) + pad(c4, 6) + pad(c5, 6)

/** @internal 16 hex digits of a span id from its three chunks. */
export const spanIdHex = (c0: number, c1: number, c2: number): string => pad(c0, 4) + pad(c1, 6) + pad(c2, 6)

/** @internal A version-00 traceparent. */
export const formatTraceparent = (traceId: string, spanId: string, flags: number): string =>
  `00-${traceId}-${spanId}-${pad(flags & 0xff, 2)}`

/**
 * Whether a `traceparent` (`00-<trace id>-<span id>-<flags>`) has the sampled flag: bit 0 of its flags byte, which
 * other bits (W3C Level 2's random-trace-id, 0x02) may accompany.
 *
 * @internal
 */
export const isSampled = (traceparent: string): boolean => (Number.parseInt(traceparent.slice(53, 55), 16) & 1) === 1

/**
 * The W3C `tracestate` a span keeps and sends on: one that parses as W3C trace context level 1 defines it (at most
 * 32 members `key=value`, keys unique), cut to 512 characters between members (from the end, as W3C allows). One
 * that does not parse is not propagated, as W3C requires.
 *
 * @internal
 */
export const validTraceState = (raw: unknown): string => {
  if (typeof raw !== "string" || raw === "") return ""
  const members: Array<string> = []
  const keys = new Set<string>()
  for (const part of raw.split(",")) {
    const member = part.replace(/^[ \t]+|[ \t]+$/g, "")
    if (member === "") continue
    const match = traceStateMember.exec(member)
    if (match === null || keys.has(match[1]!)) return ""
    keys.add(match[1]!)
    members.push(member)
  }
  if (members.length > 32) return ""
  let kept = ""
  for (const member of members) {
    const next = kept === "" ? member : `${kept},${member}`
    if (next.length > maxTraceState) break
    kept = next
  }
  return kept
}

// key "=" value, from the W3C grammar: a simple or multi-tenant key, and a value of printable characters other than
// "," and "=" that does not end in a space.
const traceStateMember =
  /^([a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$/

const maxTraceState = 512

/**
 * The W3C binary form of a traceparent (version 0; fields trace id, span id, options), as the engine writes it.
 *
 * @internal
 */
export const binaryTag = (traceparent: string): Uint8Array => {
  const out = new Uint8Array(29)
  for (let i = 0; i < 16; i++) out[2 + i] = parseInt(traceparent.slice(3 + 2 * i, 5 + 2 * i), 16)
  out[18] = 1
  for (let i = 0; i < 8; i++) out[19 + i] = parseInt(traceparent.slice(36 + 2 * i, 38 + 2 * i), 16)
  out[27] = 2
  out[28] = parseInt(traceparent.slice(53, 55), 16)
  return out
}
