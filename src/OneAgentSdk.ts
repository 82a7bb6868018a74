/**
 * The OneAgent SDK as an Effect service: acquire the layer to initialise the engine, trace with scoped
 * tracers or with combinators, release the layer to flush and shut down.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { AgentState } from "./AgentState.ts"
import type { ExportOptions } from "./ExportConfig.ts"
import type { InitResult } from "./InitResult.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { CurrentSpan, type Runtime } from "./internal/runtime.ts"
import * as ServiceImpl from "./internal/service.ts"
import * as Templates from "./internal/templates.ts"
import { traced } from "./internal/tracer.ts"
import type {
  CustomAttributeValue,
  CustomServiceOptions,
  InProcessLink,
  IncomingRemoteCallOptions,
  OutgoingRemoteCallOptions
} from "./Tracers.ts"

/**
 * Options of {@link OneAgentSdk.layer}. Like the seed's `initialize`, they apply to the first layer that
 * initialises the engine in this process; later layers share it (`InitResult.status === 2`).
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Called on API misuse and unexpected events (dropped spans, export failures). A development aid. */
  readonly diagnosticCallback?: ((message: string) => void) | undefined
  /** Also called on benign events (span not created by rule, malformed incoming tag, ...). */
  readonly verboseCallback?: ((message: string) => void) | undefined
  /** Finished spans buffered in native memory before drops are counted. Default 65,536. */
  readonly bufferSize?: number | undefined
  /** Attributes kept per span; more are counted as dropped. Default 128. */
  readonly maxAttributes?: number | undefined
  /** Print each finished trace as a tree to stderr. Default: the `ONEAGENT_CONSOLE` variable. */
  readonly console?: boolean | undefined
  /** `"finest"` logs every diagnostic and verbose message to stderr (seed: `loglevelsdk=finest`). Default: `ONEAGENT_SDK_LOG`. */
  readonly logLevel?: "off" | "finest" | undefined
  /** Load the engine from this `.node` file instead of the package's `prebuilds/` (bundlers). */
  readonly nativeModulePath?: string | undefined
  /**
   * Where spans go: an OTLP/HTTP receiver, Dynatrace, or the default OTLP/JSON lines file. Unset fields
   * come from the `OTEL_*` and `DT_*` environment variables.
   */
  readonly export?: ExportOptions | undefined
  /** How often the export thread sends what has ended, in milliseconds. Default 1000. */
  readonly exportInterval?: number | undefined
}

/**
 * Counts since the engine started, read from memory shared with it (no call).
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats extends ServiceImpl.Stats {}

/**
 * The SDK service. Its methods are the scoped forms of the tracers: each returns a started tracer that
 * is the current span for the rest of the scope and ends when the scope closes, failed if the scope
 * failed.
 *
 * @since 0.1.0
 * @category services
 */
export interface Service extends ServiceImpl.Service {}

/**
 * @since 0.1.0
 * @category services
 */
export class OneAgentSdk extends Context.Service<OneAgentSdk, Service>()("effect-oneagent/OneAgentSdk") {
  /**
   * Initialises the engine on acquire (the result is `initResult`), and on release collects what is left
   * and shuts it down. Never fails: when the engine cannot load, every tracer is a no-op and
   * `initResult.status` is -2 with the reason.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: Options = {}): Layer.Layer<OneAgentSdk> =>
    Layer.effect(OneAgentSdk)(Lifecycle.acquire(options, false, { _tag: "Export" }))

  /**
   * Wraps an effect in an incoming remote call tracer (SERVER span; may start a trace, or continue the
   * caller's from `stringTag` / `byteTag`). Custom request attributes inside it land on it.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceIncomingRemoteCall: {
    (options: IncomingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: IncomingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: IncomingRemoteCallOptions) =>
    traced(self, runtimeOf, "traceIncomingRemoteCall", {
      template: Templates.incomingRemoteCall(options),
      stringTag: options.stringTag,
      byteTag: options.byteTag,
      traceState: options.traceState
    }))

  /**
   * Wraps an effect in an outgoing remote call tracer (CLIENT span). Inside, {@link OneAgentSdk.currentStringTag}
   * gives the tag to send.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceOutgoingRemoteCall: {
    (options: OutgoingRemoteCallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingRemoteCallOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: OutgoingRemoteCallOptions) =>
    traced(self, runtimeOf, "traceOutgoingRemoteCall", { template: Templates.outgoingRemoteCall(options) }))

  /**
   * Wraps an effect in a custom service tracer (SERVER span, a service call of its own).
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceCustomService: {
    (options: CustomServiceOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomServiceOptions): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: CustomServiceOptions) =>
    traced(self, runtimeOf, "traceCustomService", { template: Templates.customService(options) }))

  /**
   * Wraps an effect in an in-process link tracer: it continues the trace the link was created in, from
   * any fiber and at any later time while the link's scope is open. An empty link traces nothing.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly traceInProcessLink: {
    (link: InProcessLink): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | OneAgentSdk>
    <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink): Effect.Effect<A, E, R | OneAgentSdk>
  } = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, link: InProcessLink) =>
    Effect.withFiber<A, E, R>((fiber) => {
      const start = ServiceImpl.linkStart(runtimeOf(fiber.context), link, "traceInProcessLink")
      return start === undefined ? self : traced(self, runtimeOf, "traceInProcessLink", start)
    }))

  /**
   * Adds a custom request attribute to the service call the current fiber runs in (the nearest incoming
   * remote call, custom service, incoming web request or message process). Repeated keys keep all values.
   *
   * @since 0.1.0
   * @category attributes
   */
  static readonly addCustomRequestAttribute = (
    key: string,
    value: CustomAttributeValue
  ): Effect.Effect<void, never, OneAgentSdk> =>
    Effect.withFiber((fiber) => {
      ServiceImpl.addCustomAttribute(runtimeOf(fiber.context), fiber.getRef(CurrentSpan), key, value)
      return Effect.void
    })

  /**
   * The W3C `traceparent` of the current span ("" outside a trace): the tag to send with an outgoing call.
   *
   * @since 0.1.0
   * @category tags
   */
  static readonly currentStringTag: Effect.Effect<string, never, OneAgentSdk> = OneAgentSdk.use((sdk) =>
    sdk.currentStringTag
  )

  /**
   * Creates an in-process link to the current span, to continue its trace from another fiber or later.
   *
   * @since 0.1.0
   * @category tracers
   */
  static readonly createInProcessLink: Effect.Effect<InProcessLink, never, OneAgentSdk> = OneAgentSdk.use((sdk) =>
    sdk.createInProcessLink
  )
}

const runtimeOf = (context: Context.Context<never>): Runtime =>
  Context.getUnsafe(context as Context.Context<OneAgentSdk>, OneAgentSdk)[ServiceImpl.RuntimeKey]

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  AgentState,
  /**
   * @since 0.1.0
   * @category models
   */
  InitResult
}
