/**
 * The tracer objects and the options each tracer is created from, after the OneAgent SDK's tracers.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Channel } from "./Channel.ts"

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
 * @since 0.1.0
 * @category models
 */
export interface IncomingRemoteCallTracer extends Tracer {
  readonly _tag: "IncomingRemoteCallTracer"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OutgoingRemoteCallTracer extends Tracer, OutgoingTaggable {
  readonly _tag: "OutgoingRemoteCallTracer"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CustomServiceTracer extends Tracer {
  readonly _tag: "CustomServiceTracer"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InProcessLinkTracer extends Tracer {
  readonly _tag: "InProcessLinkTracer"
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

/**
 * @since 0.1.0
 * @category options
 */
export interface IncomingRemoteCallOptions extends IncomingTagOptions {
  readonly method: string
  readonly service: string
  readonly endpoint: string
  readonly protocolName?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface OutgoingRemoteCallOptions {
  readonly method: string
  readonly service: string
  readonly endpoint: string
  readonly channel: Channel
  readonly protocolName?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface CustomServiceOptions {
  readonly method: string
  readonly service: string
}

/**
 * A link created inside a traced fiber, used (in another fiber, or later, even after the creating span
 * ended) to continue its trace. Valid only in this process; it holds no native resources.
 *
 * @since 0.1.0
 * @category models
 */
export interface InProcessLink {
  readonly _tag: "InProcessLink"
  /** The creating span's handle, 0 for an empty link (created outside any trace). */
  readonly handle: number
  /** The creating span's context, used when its handle no longer resolves. Not for serialising. */
  readonly context: string
}

/**
 * A custom request attribute value: the seed's int, float and string.
 *
 * @since 0.1.0
 * @category models
 */
export type CustomAttributeValue = string | number

/**
 * The trace context of the current fiber, like the OneAgent SDK for Node.js's trace context info: for
 * log correlation and for passing ids to systems that are not traced.
 *
 * @since 0.1.0
 * @category models
 */
export interface TraceContextInfo {
  /** False outside any trace (or when tracing is off); the ids are then empty. */
  readonly isValid: boolean
  /** 32 lower-case hex digits. */
  readonly traceId: string
  /** 16 lower-case hex digits. */
  readonly spanId: string
  readonly sampled: boolean
}
