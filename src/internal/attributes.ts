/**
 * Attributes from user options: collected as [key, value, limit] entries, with what an untyped caller got wrong
 * noted as problems (reported as misuse when a span starts), and long keys cut and marked as the engine marks a cut
 * value.
 *
 * @internal
 */
import type { AttributeValue } from "./addon.ts"
import * as Channel from "./channel.ts"
import { Limit } from "./codes.ts"
import { safeString } from "./diagnostics.ts"

/** @internal The attribute naming what was cut to its limit (as the engine sets it for values). */
export const truncatedKey = "oneagent.truncated"

/**
 * The first `limit` characters (code points, as the engine counts them) of `text`, or `text` itself when it is not
 * longer: a huge string costs no more than its kept prefix.
 *
 * @internal
 */
export const clip = (text: string, limit: number): string => {
  if (text.length <= limit) return text
  let i = 0
  for (let count = 0; count < limit && i < text.length; count++) {
    const c = text.charCodeAt(i)
    // A surrogate pair is one character; a lone surrogate is one too (the engine records it as U+FFFD).
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1
  }
  return i < text.length ? text.slice(0, i) : text
}

/** @internal One attribute: key, value and the string limit of its value (the default when absent). */
export type Attribute = readonly [key: string, value: AttributeValue, limit?: number]

/**
 * Collects attributes from user options, coercing what an untyped caller got wrong and noting it.
 *
 * @internal
 */
export class AttributeList {
  readonly list: Array<Attribute> = []
  readonly problems: Array<string> = []

  /** A required string option: a non-string is coerced and reported. */
  required(field: string, value: unknown): string {
    if (typeof value === "string") return value
    this.problems.push(`"${field}" must be a string, got ${value === null ? "null" : typeof value}`)
    return value === undefined || value === null ? "" : safeString(value)
  }

  optional(field: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.required(field, value)
  }

  /** Adds an attribute; a key over the limit (a header or parameter name) is cut and marked as a cut value is. */
  add(key: string, value: AttributeValue | undefined, limit?: number): this {
    if (value === undefined) return this
    const kept = clip(key, Limit.Default)
    this.list.push(limit === undefined ? [kept, value] : [kept, value, limit])
    if (kept !== key) this.list.push([truncatedKey, kept])
    return this
  }

  /** Adds a string value that was cut here already (to at most `limit`), marked as the engine marks its own cuts. */
  addCut(key: string, value: string, cut: boolean, limit: number): this {
    this.add(key, value, limit)
    if (cut) this.list.push([truncatedKey, clip(key, Limit.Default)])
    return this
  }

  /** Copies another list's attributes and problems (an info object's, into a span shape built on it). */
  addAll(other: AttributeList): this {
    this.list.push(...other.list)
    this.problems.push(...other.problems)
    return this
  }

  channel(channel: unknown): this {
    try {
      if (typeof channel !== "object" || channel === null || typeof (channel as Channel.Channel).type !== "number") {
        this.problems.push(`"channel" must be { type: ChannelType, endpoint?: string }`)
        return this
      }
      const type = (channel as Channel.Channel).type
      if (!Number.isInteger(type) || type < Channel.ChannelType.OTHER || type > Channel.ChannelType.IN_PROCESS) {
        // Recorded as OTHER, and said: a number from elsewhere (another SDK's enum) is a mistake worth seeing.
        this.problems.push(`"channel.type" must be a ChannelType (0 to 4), got ${type}; recorded as OTHER`)
      }
      const endpoint = (channel as Channel.Channel).endpoint
      const checked = endpoint === undefined || typeof endpoint === "string"
        ? channel as Channel.Channel
        : { type: (channel as Channel.Channel).type, endpoint: this.required("channel.endpoint", endpoint) }
      for (const [key, value] of Channel.attributes(checked)) this.add(key, value)
    } catch {
      this.problems.push(`"channel" could not be read`)
    }
    return this
  }

  /** The span's name: marks it cut (`oneagent.truncated` = `span.name`) when {@link spanName} had to cut it. */
  name(named: { readonly name: string; readonly cut: boolean }): string {
    if (named.cut) this.list.push([truncatedKey, "span.name"])
    return named.name
  }

  /** The attributes as [key, value, limit] triples, as the engine takes them. */
  flat(): Array<AttributeValue> {
    const out: Array<AttributeValue> = []
    for (const [key, value, limit] of this.list) out.push(key, value, limit ?? 0)
    return out
  }
}

/**
 * A span name from user strings, at most the name's limit (250 characters), with the part that says most kept whole:
 * `keep` (the method of `service/method`, the operation of `SELECT db`) and the other part cut first, with `…` where
 * it was cut. An untyped caller's parts may be anything; each is cut to the limit before it is joined, so megabyte
 * strings cost no more than their kept prefix. A cut name is marked on the span (`oneagent.truncated` = `span.name`)
 * by {@link AttributeList.name}.
 *
 * @internal
 */
export const spanName = (
  first: unknown,
  separator = "",
  second: unknown = undefined,
  keep: "first" | "second" = "second"
): { readonly name: string; readonly cut: boolean } => {
  const a = clip(typeof first === "string" ? first : safeString(first), Limit.Default)
  if (second === undefined) {
    const whole = typeof first === "string" ? first : safeString(first)
    return { name: a, cut: a !== whole }
  }
  const b = clip(typeof second === "string" ? second : safeString(second), Limit.Default)
  const full = `${a}${separator}${b}`
  if (codePoints(full) <= Limit.Default && a.length === lengthOf(first) && b.length === lengthOf(second)) {
    return { name: full, cut: false }
  }
  const kept = keep === "second" ? b : a
  const other = keep === "second" ? a : b
  // Room for the other part, the separator and the ellipsis; the kept part alone may fill the name.
  const room = Limit.Default - codePoints(kept) - codePoints(separator) - 1
  if (room <= 0) return { name: clip(kept, Limit.Default), cut: true }
  const shortened = codePoints(other) > room ? `${clip(other, room)}…` : other
  const name = keep === "second" ? `${shortened}${separator}${kept}` : `${kept}${separator}${shortened}`
  return { name: clip(name, Limit.Default), cut: true }
}

const lengthOf = (part: unknown): number => (typeof part === "string" ? part : safeString(part)).length

// Characters as the engine counts them: code points, a surrogate pair being one.
const codePoints = (text: string): number => {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800)) count++
  }
  return count
}
