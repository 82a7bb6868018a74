/**
 * What every tracer shares: the started tracer, the tags an outgoing tracer gives, and the incoming tag a tracer
 * continues. Each tracer family has its own module (`RemoteCall`, `CustomService`, `InProcessLink`, `Database`,
 * `WebRequest`, `Messaging`); their options and tracer types are also re-exported here, where earlier versions
 * defined them.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"

/**
 * A started tracer. It ends when the scope it was acquired in closes, with the outcome of that scope's
 * Exit, or earlier through {@link Tracer.end}. While it is open it is the parent of every tracer started
 * in the same scope and in fibers forked from it. Acquire it directly in the scope's code: a combinator
 * around its acquisition that restores the fiber's context (`Effect.fn("name")`, `Effect.withSpan`,
 * `Effect.provideService`, ...) also restores the previous current span.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tracer {
  /** The engine handle: a small integer, 0 when nothing is recorded (tracing off, or not created by rule). */
  readonly handle: number
  /** Ends the tracer now. Ending it again is misuse (diagnostic). */
  readonly end: Effect.Effect<void>
  /** Marks the tracer failed, as an uncaught error would: status error and an `exception` event. */
  readonly markFailed: (type: string, message: string) => Effect.Effect<void>
}

/**
 * A tracer of an outgoing call, which gives the tag to send with it.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutgoingTaggable {
  /** The W3C `traceparent` value of this call; send it as `traceparent` or as `X-dynaTrace`. "" when not tracing. */
  readonly outgoingStringTag: Effect.Effect<string>
  /** The W3C binary trace-context form of the same ids (29 bytes); empty when not tracing. */
  readonly outgoingByteTag: Effect.Effect<Uint8Array>
}

/**
 * An incoming tag: the string form (W3C `traceparent`, also accepted from the `X-dynaTrace` header) or
 * the binary form. Giving both is misuse: both are ignored and a new trace starts.
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingTagOptions {
  readonly stringTag?: string | undefined
  readonly byteTag?: Uint8Array | undefined
  /** The W3C `tracestate` that came with a `traceparent` tag, carried through. */
  readonly traceState?: string | undefined
}

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  CustomServiceOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  CustomServiceTracer
} from "./CustomService.ts"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  InProcessLink,
  /**
   * @since 0.1.0
   * @category models
   */
  InProcessLinkTracer
} from "./InProcessLink.ts"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  IncomingRemoteCallOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  IncomingRemoteCallTracer,
  /**
   * @since 0.1.0
   * @category models
   */
  OutgoingRemoteCallOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  OutgoingRemoteCallTracer
} from "./RemoteCall.ts"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  CustomAttributeValue
} from "./RequestAttributes.ts"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  TraceContextInfo
} from "./TraceContext.ts"
