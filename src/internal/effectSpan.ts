/**
 * Effect's own spans (`Effect.withSpan`, and everything in effect/http and effect/sql that traces itself)
 * recorded by the engine, so they and the SDK's tracers form one trace: an Effect `Tracer` whose spans
 * are engine handles.
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
import { template, type Template } from "./engine.ts"
import { CurrentSpan, endWithExit, type Runtime, safeString, setAttribute, start } from "./runtime.ts"

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

/** @internal An Effect span that is an engine span. */
export class EngineSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly runtime: Runtime
  readonly handle: number
  readonly name: string
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly annotations: Context.Context<never>
  readonly links: Array<Tracer.SpanLink>
  readonly kind: Tracer.SpanKind
  readonly sampled: boolean
  status: Tracer.SpanStatus
  ids: readonly [traceId: string, spanId: string] | undefined = undefined

  constructor(runtime: Runtime, handle: number, options: Parameters<Tracer.Tracer["span"]>[0]) {
    this.runtime = runtime
    this.handle = handle
    this.name = options.name
    this.parent = options.parent
    this.annotations = options.annotations
    this.links = options.links
    this.kind = options.kind
    this.sampled = options.sampled
    this.status = { _tag: "Started", startTime: options.startTime }
  }

  private idsOf(): readonly [string, string] {
    if (this.ids === undefined) {
      const tag = this.runtime.engine!.addon.span_tag(this.handle, true)
      this.ids = typeof tag === "string" ? [tag.slice(3, 35), tag.slice(36, 52)] : ["", ""]
    }
    return this.ids
  }

  get traceId(): string {
    return this.idsOf()[0]
  }

  get spanId(): string {
    return this.idsOf()[1]
  }

  get attributes(): ReadonlyMap<string, unknown> {
    return new Map()
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    this.idsOf()
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
    endWithExit(this.runtime, this.handle, exit, "Effect span")
  }

  attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return
    if (isPrimitiveArray(value)) {
      // The engine merges the values of a repeated key into one array value (OTLP arrayValue).
      for (const item of value) setAttribute(this.runtime, this.handle, key, item, "Effect span attribute")
      return
    }
    setAttribute(this.runtime, this.handle, key, toAttributeValue(value), "Effect span attribute")
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    if (this.status._tag === "Ended") return
    const flat: Array<unknown> = []
    if (attributes !== undefined) for (const key in attributes) flat.push(key, toAttributeValue(attributes[key]), 0)
    this.runtime.engine!.addon.span_event(this.handle, name, startTime, flat)
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    if (this.status._tag === "Ended") return
    this.links.push(...links)
    recordLinks(this.runtime, this.handle, links)
  }
}

// Links to spans with W3C ids (engine spans, external spans) go to the engine; others have no usable ids.
const recordLinks = (runtime: Runtime, handle: number, links: ReadonlyArray<Tracer.SpanLink>) => {
  for (const { attributes, span } of links) {
    if (!/^[0-9a-f]{32}$/.test(span.traceId) || !/^[0-9a-f]{16}$/.test(span.spanId)) continue
    const flat: Array<unknown> = []
    for (const key in attributes) flat.push(key, toAttributeValue(attributes[key]), 0)
    runtime.engine!.addon.span_link(handle, `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`, flat)
  }
}

/**
 * The parents a new span has in a fiber: the SDK's current span and Effect's current span (an engine
 * span's handle, or a remote `traceparent` for a span that came in over HTTP).
 *
 * @internal
 */
export const effectParent = (span: Tracer.AnySpan | undefined): number | string => {
  if (span === undefined) return 0
  if (span instanceof EngineSpan) return span.handle
  if (span._tag === "ExternalSpan" && /^[0-9a-f]{32}$/.test(span.traceId) && /^[0-9a-f]{16}$/.test(span.spanId)) {
    return `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  }
  return 0
}

const templates = new Map<string, Template>()
const templateFor = (name: string, kind: number): Template => {
  const key = `${kind}:${name}`
  let t = templates.get(key)
  if (t === undefined) {
    t = template(name, kind, StartFlag.None, [])
    if (templates.size < 16_384) templates.set(key, t)
  }
  return t
}

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
      const sdkParent = options.root || fiber === undefined ? 0 : fiber.getRef(CurrentSpan)
      const parent = options.root ? 0 : effectParent(Option.getOrUndefined(options.parent))
      const name = typeof options.name === "string" ? options.name : safeString(options.name)
      const t = templateFor(name, kinds[options.kind] ?? Kind.Internal)
      // The same start as the SDK's tracers, with Effect's parent as the second candidate.
      const handle = start(runtime, sdkParent, { template: t, needsHandle: true }, "Effect span", parent)
      if (typeof handle !== "number" || handle <= 0) return Tracer.nativeTracer.span(options)
      if (options.links.length > 0) recordLinks(runtime, handle, options.links)
      return new EngineSpan(runtime, handle, options)
    }
  })
