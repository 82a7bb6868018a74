/**
 * Effect's own spans (`Effect.withSpan`, `Effect.fn`, and everything in effect/http and effect/sql that traces
 * itself) recorded by the engine, so they and the SDK's tracers form one trace: an Effect `Tracer` whose spans are
 * engine spans, started through the span core like every other.
 *
 * @internal
 */
import type * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { AttributeValue } from "./addon.ts"
import { clip } from "./attributes.ts"
import { Kind, Limit, StartFlag } from "./codes.ts"
import { report, safeString } from "./diagnostics.ts"
import type { Engine } from "./engine.ts"
import { redactAttribute } from "./redaction.ts"
import type { Runtime } from "./runtime.ts"
import * as Span from "./span.ts"
import { currentSpanOf, SpanRef } from "./spanRef.ts"
import * as TraceContext from "./traceContext.ts"
import { ShapeCache, template, type Template } from "./templates.ts"

const kinds: Record<Tracer.SpanKind, number> = {
  internal: Kind.Internal,
  server: Kind.Server,
  client: Kind.Client,
  producer: Kind.Producer,
  consumer: Kind.Consumer
}

/** @internal An attribute value the engine takes, from whatever Effect code annotates with. */
export const toAttributeValue = (value: unknown): AttributeValue => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return Number(value)
    default:
      try {
        return JSON.stringify(value) ?? safeString(value)
      } catch {
        return safeString(value)
      }
  }
}

const isPrimitiveArray = (value: unknown): value is ReadonlyArray<string | number | boolean> =>
  Array.isArray(value) && value.length > 0 && value.every((item) => {
    const type = typeof item
    return type === "string" || type === "number" || type === "boolean"
  })

type SpanOptions = Parameters<Tracer.Tracer["span"]>[0]

/** @internal An Effect span that is an engine span: its own reference, ids included. */
export class EngineSpan extends SpanRef implements Tracer.Span {
  readonly _tag = "Span"
  readonly runtime: Runtime
  readonly name: string
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly annotations: Context.Context<never>
  readonly links: Array<Tracer.SpanLink>
  readonly kind: Tracer.SpanKind
  status: Tracer.SpanStatus

  /** From the ids the engine published at its start, without a reference in between. */
  constructor(
    runtime: Runtime,
    handle: number,
    order: number,
    ids: Int32Array,
    traceState: string,
    options: SpanOptions
  ) {
    super(handle, order, ids, traceState)
    this.runtime = runtime
    this.name = options.name
    this.parent = options.parent
    this.annotations = options.annotations
    this.links = options.links
    this.kind = options.kind
    this.status = { _tag: "Started", startTime: options.startTime }
  }

  get attributes(): ReadonlyMap<string, unknown> {
    return new Map()
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
    Span.end(this.runtime, this.handle, exit, "Effect span")
  }

  attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return
    const type = typeof value
    if (type === "string" || type === "number" || type === "boolean") {
      // A key seen before that no rule changes (see plainKeys): straight to the engine.
      const engine = this.runtime.engine
      const id = engine === plainEngine ? plainKeys.get(key) : undefined
      if (id !== undefined && !engine!.closed) {
        report(this.runtime, engine!.addon.span_attr(this.handle, id, value as AttributeValue, Limit.Default), attributeOp)
        return
      }
    }
    this.attributeSlow(key, value)
  }

  private attributeSlow(key: string, value: unknown): void {
    // effect/http's own spans record headers and URLs too: the SDK's redaction rule applies to them as to its own.
    const redacts = this.runtime.data.redacts
    if (isPrimitiveArray(value)) {
      // The engine merges the values of a repeated key into one array value (OTLP arrayValue).
      for (const item of value) {
        Span.setAttribute(this.runtime, this.handle, key, redactAttribute(key, item, redacts), "Effect span attribute")
      }
      return
    }
    const recorded = redactAttribute(key, toAttributeValue(value), redacts)
    Span.setAttribute(this.runtime, this.handle, key, recorded, attributeOp)
    rememberPlain(this.runtime.engine, key)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    if (this.status._tag === "Ended") return
    const engine = Span.engineOf(this.runtime, "Effect span event")
    if (engine === undefined) return
    const flat: Array<unknown> = []
    if (attributes !== undefined) for (const key in attributes) flat.push(key, toAttributeValue(attributes[key]), 0)
    engine.addon.span_event(this.handle, name, startTime, flat)
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    if (this.status._tag === "Ended") return
    this.links.push(...links)
    recordLinks(this.runtime, this.handle, links)
  }
}

const attributeOp = "Effect span attribute"

// Attribute keys that the slow path records as they are: no redaction rule applies to them (the rule itself decides,
// on a probe that every rule would change), they are not cut, and the engine interned them. Their ids, for the
// engine they were interned in, so an Effect span's attribute costs one lookup and the engine call. Bounded.
let plainEngine: Engine | undefined
let plainKeys = new Map<string, number>()
const maxPlainKeys = 4_096
const probe = "?a=b&c=d"
const redactAll = () => true

const rememberPlain = (engine: Engine | undefined, key: string): void => {
  if (engine === undefined || typeof key !== "string") return
  if (plainEngine !== engine) {
    plainEngine = engine
    plainKeys = new Map()
  }
  if (plainKeys.size >= maxPlainKeys || plainKeys.has(key)) return
  const id = engine.keys.get(key)
  if (id === undefined || clip(key, Limit.Default) !== key || redactAttribute(key, probe, redactAll) !== probe) return
  plainKeys.set(key, id)
}

const scratch = new Int32Array(10)

/**
 * A reference's ids in the engine's published layout, to build an EngineSpan from a span started without Effect
 * (Http.ts): read at once, as the array is reused.
 *
 * @internal
 */
export const idsOf = (ref: SpanRef): Int32Array => {
  scratch[0] = ref.t0
  scratch[1] = ref.t1
  scratch[2] = ref.t2
  scratch[3] = ref.t3
  scratch[4] = ref.t4
  scratch[5] = ref.t5
  scratch[6] = ref.s0
  scratch[7] = ref.s1
  scratch[8] = ref.s2
  scratch[9] = ref.flags
  return scratch
}

// Links to spans with W3C ids (engine spans, external spans) go to the engine; others have no usable ids.
const recordLinks = (runtime: Runtime, handle: number, links: ReadonlyArray<Tracer.SpanLink>) => {
  const engine = Span.engineOf(runtime, "Effect span link")
  if (engine === undefined) return
  for (const { attributes, span } of links) {
    if (!/^[0-9a-f]{32}$/.test(span.traceId) || !/^[0-9a-f]{16}$/.test(span.spanId)) continue
    const flat: Array<unknown> = []
    for (const key in attributes) flat.push(key, toAttributeValue(attributes[key]), 0)
    engine.addon.span_link(handle, TraceContext.formatTraceparent(span.traceId, span.spanId, span.sampled ? 1 : 0), flat)
  }
}

// Made from the ids the engine published at the start: the Effect span is the span's reference itself.
const engineSpan = (runtime: Runtime) =>
(handle: number, order: number, ids: Int32Array, traceState: string, options: SpanOptions): SpanRef =>
  new EngineSpan(runtime, handle, order, ids, traceState, options)

const nameOf = (options: SpanOptions): string => typeof options.name === "string" ? options.name : safeString(options.name)

// One template per name and kind; its start options (an engine span even when unsampled: the Effect span wraps it)
// made with it, so a start allocates none.
const shapes = new ShapeCache()
const makeShape = (options: SpanOptions): Template => {
  const t = template(nameOf(options), kinds[options.kind] ?? Kind.Internal, StartFlag.None, [])
  const start: Span.StartOptions = { template: t, needsHandle: true }
  t.plain = start
  return t
}

/**
 * An Effect Tracer recording into the engine. Without an engine it is Effect's native tracer.
 *
 * @internal
 */
export const make = (runtime: Runtime): Tracer.Tracer => {
  const makeSpan = engineSpan(runtime)
  return Tracer.make({
    span(options) {
      const engine = runtime.engine
      if (engine === undefined || runtime.released || engine.closed) return Tracer.nativeTracer.span(options)
      const fiber = Fiber.getCurrent()
      const sdkParent = options.root || fiber === undefined ? undefined : currentSpanOf(fiber)
      const parent = options.root ? undefined : Span.effectParent(Option.getOrUndefined(options.parent))
      const t = shapes.get(options.name, options.kind, undefined, undefined, makeShape, options)
      // The same start as the SDK's tracers, with Effect's parent as the second candidate.
      const ref = Span.start(runtime, sdkParent, t.plain!, "Effect span", parent, undefined, makeSpan, options)
      if (ref === undefined || ref.handle <= 0) return Tracer.nativeTracer.span(options)
      if (options.links.length > 0) recordLinks(runtime, ref.handle, options.links)
      return ref as EngineSpan
    }
  })
}
