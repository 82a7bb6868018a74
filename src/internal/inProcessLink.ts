/**
 * In-process links: created where work forks, used in another fiber or later to continue the same trace, even
 * after the span they were created in ended (the link keeps its reference, ids included).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as InProcessLink from "../InProcessLink.ts"
import { Kind, StartFlag } from "./codes.ts"
import { misuse, notify } from "./diagnostics.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import * as Span from "./span.ts"
import type { SpanRef } from "./spanRef.ts"
import { template } from "./templates.ts"
import * as Tracer from "./tracer.ts"

/** @internal A link, holding the reference of the span it was created in (none: an empty link). */
export class Link implements InProcessLink.InProcessLink {
  readonly _tag = "InProcessLink"
  readonly ref: SpanRef | undefined
  constructor(ref: SpanRef | undefined) {
    this.ref = ref
  }
  get handle(): number {
    return this.ref?.handle ?? 0
  }
  get context(): string {
    return this.ref?.traceparent ?? ""
  }
}

const empty = new Link(undefined)

/** @internal A link to the fiber's innermost span (SDK tracer or Effect span), or an empty one outside a trace. */
export const create = (runtime: Runtime): Effect.Effect<InProcessLink.InProcessLink> =>
  Effect.withFiber((fiber) => {
    const ref = Span.innermost(runtime, fiber)
    if (ref === undefined && runtime.engine !== undefined) {
      notify(runtime, "verbose", "createInProcessLink: no current trace; the link is empty")
    }
    return Effect.succeed(ref === undefined ? empty : new Link(ref))
  })

/** @internal */
export const createFromContext: Effect.Effect<InProcessLink.InProcessLink> = Effect.withFiber((fiber) =>
  create(runtimeOf(fiber.context))
)

const linkTemplate = template("InProcessLink", Kind.Internal, StartFlag.None, [])

/** @internal The start options of an in-process link tracer, or undefined (with a note) for an empty link. */
export const start = (runtime: Runtime, link: InProcessLink.InProcessLink, operation: string): Span.StartOptions | undefined => {
  if (link instanceof Link) return link.ref === undefined ? undefined : { template: linkTemplate, link: link.ref }
  // A link-shaped object made elsewhere (copied, or from another copy of this library): its context is a tag.
  if (typeof link === "object" && link !== null && link._tag === "InProcessLink") {
    const context = (link as { readonly context?: unknown }).context
    return typeof context === "string" && context !== "" ? { template: linkTemplate, stringTag: context } : undefined
  }
  misuse(runtime, `${operation}: expected an InProcessLink from createInProcessLink`)
  return undefined
}

/** @internal */
export const trace = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink.InProcessLink): Effect.Effect<A, E, R> =>
    Tracer.traced(self, runtimeOf, "traceInProcessLink", (runtime) => start(runtime, link, "traceInProcessLink"))
)

/** @internal */
export const scoped = (
  runtime: Runtime,
  link: InProcessLink.InProcessLink
): Effect.Effect<InProcessLink.InProcessLinkTracer, never, Scope.Scope> =>
  Tracer.scoped(runtime, "InProcessLinkTracer", "traceInProcessLink", () => start(runtime, link, "traceInProcessLink"))
