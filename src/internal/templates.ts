/**
 * Span templates: what every span of one shape shares (name, kind, start flags, constant attributes), created once
 * in the engine so a span starts with one call that names its template. Tracers find their template by the values of
 * their options (a {@link ShapeCache}), without building a string per call.
 *
 * @internal
 */
import type { AttributeValue } from "./addon.ts"
import { type Attribute, type AttributeList, clip } from "./attributes.ts"
import { Limit } from "./codes.ts"
import type { Engine } from "./engine.ts"

/** @internal A span shape: name, kind, start flags and constant attributes as [key, value, limit] triples. */
export interface Template {
  readonly name: string
  readonly kind: number
  readonly flags: number
  readonly attributes: ReadonlyArray<AttributeValue>
  /** Argument problems found while building it, reported (as misuse) when a span starts from it. */
  readonly problems: ReadonlyArray<string>
  /** Filled on first use: the id in the engine of `epoch`. */
  epoch: number
  id: number
  /** Filled on first use: the start options of a span with nothing but this template, shared by all of them. */
  plain: { readonly template: Template } | undefined
}

/** @internal */
export const template = (
  name: string,
  kind: number,
  flags: number,
  attributes: ReadonlyArray<Attribute>,
  problems: ReadonlyArray<string> = []
): Template => {
  const flat: Array<AttributeValue> = []
  for (const [key, value, limit] of attributes) flat.push(key, value, limit ?? 0)
  return { name, kind, flags, attributes: flat, problems, epoch: 0, id: 0, plain: undefined }
}

/** @internal The start options of a span with nothing but template `t` (no tag, no per-span attributes): one object. */
export const plainStart = (t: Template): { readonly template: Template } => t.plain ??= { template: t }

/** @internal The template of an attribute list's attributes and problems. */
export const fromList = (list: AttributeList, name: string, kind: number, flags: number): Template =>
  template(name, kind, flags, list.list, list.problems)

// Templates made per call (scoped tracers) are shared through a content key; past this many the engine
// is not asked for more and such spans start from a generic template of their kind instead.
const maxCachedTemplates = 16_384

// What the engine keeps of a template, so the key stays small and equal keys mean equal templates: strings cut to
// their limits (a cut one marked, as the engine marks it), values typed (42 and "42" differ).
const templateKey = (t: Template): string => {
  let key = `${t.kind}\u0000${t.flags}\u0000${clip(t.name, Limit.Default)}`
  const attributes = t.attributes
  for (let i = 0; i + 2 < attributes.length; i += 3) {
    const value = attributes[i + 1]
    const limit = attributes[i + 2] as number
    const kept = typeof value === "string" ? clip(value, limit > 0 ? limit : Limit.Default) : undefined
    key += `\u0000${clip(String(attributes[i]), Limit.Default)}\u0000${typeof value}` +
      (kept === undefined ? String(value) : kept === value ? kept : `${kept}\u0001`)
  }
  return key
}

// The generic templates, one per kind and flags, outside the bounded cache: the fallback must always work.
const generics = new Map<string, Template>()

/**
 * The template a span starts from when its own could not be created (the cache is full): named and given its
 * attributes after the start instead.
 *
 * @internal
 */
export const genericTemplate = (kind: number, flags: number): Template => {
  const key = `${kind}:${flags}`
  let t = generics.get(key)
  if (t === undefined) generics.set(key, t = template("span", kind, flags, []))
  return t
}

/**
 * The engine id of a template, created on first use in this engine.
 *
 * @internal
 */
export const templateId = (engine: Engine, t: Template): number => {
  if (t.epoch === engine.epoch) return t.id
  const key = templateKey(t)
  let id = engine.templates.get(key)
  if (id === undefined) {
    id = engine.templates.size < maxCachedTemplates || generics.get(`${t.kind}:${t.flags}`) === t
      ? engine.addon.template_create(t.name, t.kind, t.flags, t.attributes)
      : -1
    if (id > 0) engine.templates.set(key, id)
  }
  if (id > 0) {
    t.epoch = engine.epoch
    t.id = id
  }
  return id
}

/**
 * Templates found by the values of a tracer's options, through one map per option: an options object new on every
 * call (as applications write them) finds its template with a few map lookups and no string building. Bounded: past
 * `max` shapes, new ones are built each time (and the engine's own bound turns them into generic spans).
 *
 * @internal
 */
export class ShapeCache {
  private readonly root = new Map<unknown, unknown>()
  private size = 0
  private readonly max: number
  constructor(max: number = maxCachedTemplates) {
    this.max = max
  }

  // The last shape found: a hot path that traces one shape over and over finds it with four comparisons.
  private lastA: unknown = undefined
  private lastB: unknown = undefined
  private lastC: unknown = undefined
  private lastD: unknown = undefined
  private last: Template | undefined = undefined

  /**
   * The template for these option values (compared with SameValueZero), made by `make(arg)` the first time (a
   * function that closes over nothing, so a lookup allocates nothing).
   */
  get<X = undefined>(a: unknown, b: unknown, c: unknown, d: unknown, make: (arg: X) => Template, arg?: X): Template {
    if (this.last !== undefined && a === this.lastA && b === this.lastB && c === this.lastC && d === this.lastD) {
      return this.last
    }
    const level = this.step(this.step(this.step(this.root, a), b), c)
    if (level === undefined) return make(arg as X)
    let t = level.get(d) as Template | undefined
    if (t === undefined) {
      t = make(arg as X)
      if (this.size >= this.max) return t
      level.set(d, t)
      this.size++
    }
    this.lastA = a
    this.lastB = b
    this.lastC = c
    this.lastD = d
    this.last = t
    return t
  }

  // The map below `key`, made on first use unless the cache is full.
  private step(level: Map<unknown, unknown> | undefined, key: unknown): Map<unknown, unknown> | undefined {
    if (level === undefined) return undefined
    let next = level.get(key) as Map<unknown, unknown> | undefined
    if (next === undefined && this.size < this.max) level.set(key, next = new Map())
    return next
  }
}
