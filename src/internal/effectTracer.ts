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
import { Kind, StartFlag } from "./codes.ts"
import { safeString } from "./diagnostics.ts"
import type { Runtime } from "./runtime.ts"
import * as Span from "./span.ts"
import { CurrentSpan, SpanRef } from "./spanRef.ts"
import * as TraceContext from "./traceContext.ts"
import { ShapeCache, template } from "./templates.ts"

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

  constructor(runtime: Runtime, ref: SpanRef, options: Parameters<Tracer.Tracer["span"]>[0]) {
    super(ref.handle, ref.order, idsOf(ref), ref.traceState)
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
    if (isPrimitiveArray(value)) {
      // The engine merges the values of a repeated key into one array value (OTLP arrayValue).
      for (const item of value) Span.setAttribute(this.runtime, this.handle, key, item, "Effect span attribute")
      return
    }
    Span.setAttribute(this.runtime, this.handle, key, toAttributeValue(value), "Effect span attribute")
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

// A reference's ids in the engine's published layout, to build an EngineSpan from it.
const scratch = new Int32Array(10)
const idsOf = (ref: SpanRef): Int32Array => {
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

const shapes = new ShapeCache()

/**
 * An Effect Tracer recording into the engine. Without an engine it is Effect's native tracer.
 *
 * @internal
 */
export const make = (runtime: Runtime): Tracer.Tracer =>
  Tracer.make({
    span(options) {
      const engine = runtime.engine
      if (engine === undefined || runtime.released || engine.closed) return Tracer.nativeTracer.span(options)
      const fiber = Fiber.getCurrent()
      const sdkParent = options.root || fiber === undefined ? undefined : fiber.getRef(CurrentSpan)
      const parent = options.root ? undefined : Span.effectParent(Option.getOrUndefined(options.parent))
      const name = typeof options.name === "string" ? options.name : safeString(options.name)
      const kind = kinds[options.kind] ?? Kind.Internal
      const t = shapes.get(name, kind, undefined, undefined, () => template(name, kind, StartFlag.None, []))
      // The same start as the SDK's tracers, with Effect's parent as the second candidate.
      const ref = Span.start(runtime, sdkParent, { template: t, needsHandle: true }, "Effect span", parent)
      if (ref === undefined || ref.handle <= 0) return Tracer.nativeTracer.span(options)
      if (options.links.length > 0) recordLinks(runtime, ref.handle, options.links)
      return new EngineSpan(runtime, ref, options)
    }
  })
