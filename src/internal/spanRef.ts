/**
 * The current span of a fiber, as the Effect context carries it: a {@link SpanRef}. It names an engine span by its
 * handle and keeps the span's ids, so that a child started long after the span ended (a forked fiber, a retry) still
 * joins its trace when the engine has reused the handle's slot; and it is the whole of an unsampled span kept
 * without the engine (handle 0), which needs nothing but its ids to propagate.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import { Counter, IdsSlot } from "./codes.ts"
import * as TraceContext from "./traceContext.ts"

/**
 * A span's reference: its engine handle (0 for an unsampled span kept without the engine), start order, ids as the
 * engine publishes them (16-, 24- and 24-bit chunks: small integers, whatever the id) and trace flags, and the W3C
 * tracestate its trace carries.
 *
 * @internal
 */
export class SpanRef {
  readonly handle: number
  /** Of two spans on one chain, the one with the higher order is the inner one. */
  readonly order: number
  readonly t0: number
  readonly t1: number
  readonly t2: number
  readonly t3: number
  readonly t4: number
  readonly t5: number
  readonly s0: number
  readonly s1: number
  readonly s2: number
  readonly flags: number
  readonly traceState: string

  /** From the ids the engine published (or that were parsed into the same layout, codes.ts `IdsSlot`). */
  constructor(handle: number, order: number, ids: Int32Array, traceState: string) {
    this.handle = handle
    this.order = order
    this.t0 = ids[0]!
    this.t1 = ids[1]!
    this.t2 = ids[2]!
    this.t3 = ids[3]!
    this.t4 = ids[4]!
    this.t5 = ids[5]!
    this.s0 = ids[6]!
    this.s1 = ids[7]!
    this.s2 = ids[8]!
    this.flags = ids[IdsSlot.Flags]!
    this.traceState = traceState
  }

  // Formatted once, on first use.
  private hexTrace: string | undefined = undefined
  private hexSpan: string | undefined = undefined
  private tag: string | undefined = undefined

  get traceId(): string {
    return this.hexTrace ??= TraceContext.traceIdHex(this.t0, this.t1, this.t2, this.t3, this.t4, this.t5)
  }

  get spanId(): string {
    return this.hexSpan ??= TraceContext.spanIdHex(this.s0, this.s1, this.s2)
  }

  get sampled(): boolean {
    return (this.flags & 1) === 1
  }

  /** The span's `traceparent`. */
  get traceparent(): string {
    return this.tag ??= TraceContext.formatTraceparent(this.traceId, this.spanId, this.flags)
  }
}

const scratch = new Int32Array(IdsSlot.Count)

/**
 * The reference of an unsampled span that continues `traceparent` without the engine, or undefined when it is not a
 * traceparent the JS side carries (see `TraceContext.parseTraceparent`) or is sampled. Ordered after every engine
 * span started so far, so Effect spans started inside it are inner to it.
 *
 * @internal
 */
export const unsampledOf = (traceparent: unknown, traceState: string, counters: Float64Array): SpanRef | undefined =>
  TraceContext.isUnsampledTraceparent(traceparent, scratch)
    ? new SpanRef(0, counters[Counter.LastOrder]! + 0.5, scratch, traceState)
    : undefined

/**
 * The span the current fiber runs in, if any. Carried by the Effect context, so each fiber (and every fiber it
 * forks) has its own.
 *
 * @internal
 */
export const CurrentSpan = Context.Reference<SpanRef | undefined>("effect-oneagent/CurrentSpan", {
  defaultValue: () => undefined
})

/**
 * Scoped tracers by the scope they were acquired in, for the fiber that acquired them: a scoped tracer is the current
 * span for the rest of its scope, also after a combinator around its acquisition (`Effect.fn`, `Effect.withSpan`,
 * `Effect.provideService`, ...) restored the fiber's context and with it the previous current span.
 */
interface Held {
  readonly ref: SpanRef
  readonly fiber: number
}

const heldByScope = new WeakMap<Scope.Scope, Array<Held>>()
// How many scoped tracers are held: while none are, finding the current span costs one context lookup.
let heldCount = 0

/** @internal Holds `ref` as a current span of `fiber` for the rest of `scope` (until {@link releaseFromScope}). */
export const holdInScope = (scope: Scope.Scope, fiber: number, ref: SpanRef): void => {
  const held = heldByScope.get(scope)
  if (held === undefined) heldByScope.set(scope, [{ ref, fiber }])
  else held.push({ ref, fiber })
  heldCount++
}

/** @internal Its scope closed or it ended: `ref` is no longer held as a current span. */
export const releaseFromScope = (scope: Scope.Scope, ref: SpanRef): void => {
  const held = heldByScope.get(scope)
  const at = held === undefined ? -1 : held.findIndex((entry) => entry.ref === ref)
  if (at < 0) return
  held!.splice(at, 1)
  heldCount--
}

/**
 * The SDK's current span of a fiber: the context's, or the last scoped tracer this fiber holds in the scope it runs
 * in when that one started later (a combinator took it back out of the context). Of two spans on one chain, the
 * later-started is the inner one.
 *
 * @internal
 */
export const currentSpanOf = (fiber: Fiber.Fiber<unknown, unknown>): SpanRef | undefined => {
  const current = fiber.getRef(CurrentSpan)
  if (heldCount === 0) return current
  const scope = Context.getOrUndefined(fiber.context, Scope.Scope)
  const held = scope === undefined ? undefined : heldByScope.get(scope)
  if (held === undefined) return current
  for (let i = held.length - 1; i >= 0; i--) {
    const entry = held[i]!
    if (entry.fiber !== fiber.id) continue
    return current === undefined || entry.ref.order > current.order ? entry.ref : current
  }
  return current
}
