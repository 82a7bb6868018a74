/**
 * Remote calls: the span shapes of incoming (SERVER, a service call) and outgoing (CLIENT) remote calls, and the two
 * forms of their tracers.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as RemoteCall from "../RemoteCall.ts"
import { AttributeList, spanName } from "./attributes.ts"
import { Kind, StartFlag } from "./codes.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import type { StartOptions } from "./span.ts"
import { fromList, plainStart, ShapeCache, type Template } from "./templates.ts"
import * as Tracer from "./tracer.ts"

const rpc = (list: AttributeList, options: { method: unknown; service: unknown; endpoint: unknown; protocolName?: unknown }) => {
  const method = list.required("method", options.method)
  const service = list.required("service", options.service)
  list.add("rpc.method", method)
    .add("rpc.service", service)
    .add("oneagent.remote_call.endpoint", list.required("endpoint", options.endpoint))
    .add("network.protocol.name", list.optional("protocolName", options.protocolName))
  return list.name(spanName(service, "/", method))
}

const incomingShapes = new ShapeCache()
const outgoingShapes = new ShapeCache()

const makeIncoming = (options: RemoteCall.IncomingRemoteCallOptions): Template => {
  const list = new AttributeList()
  return fromList(list, rpc(list, options), Kind.Server, StartFlag.ServiceCall)
}

/** @internal The span shape of an incoming remote call. */
export const incomingTemplate = (options: RemoteCall.IncomingRemoteCallOptions): Template =>
  incomingShapes.get(options.method, options.service, options.endpoint, options.protocolName, makeIncoming, options)

const makeOutgoing = (options: RemoteCall.OutgoingRemoteCallOptions): Template => {
  const list = new AttributeList()
  const name = rpc(list, options)
  list.channel(options.channel as unknown)
  return fromList(list, name, Kind.Client, StartFlag.None)
}

/** @internal The span shape of an outgoing remote call (the channel is part of it, by identity). */
export const outgoingTemplate = (options: RemoteCall.OutgoingRemoteCallOptions): Template => {
  const channel = options.channel as unknown
  const shapes = channel !== null && typeof channel === "object" ? channelShapes(channel) : outgoingShapes
  return shapes.get(options.method, options.service, options.endpoint, options.protocolName, makeOutgoing, options)
}

// Outgoing calls also depend on their channel, an object: shapes per channel object, so an application's constant
// channel finds its templates without reading it again. A channel literal new on every call misses this cache and
// is read each time (the engine still shares its template by content).
const byChannel = new WeakMap<object, ShapeCache>()
const channelShapes = (channel: object): ShapeCache => {
  let shapes = byChannel.get(channel)
  if (shapes === undefined) byChannel.set(channel, shapes = new ShapeCache(64))
  return shapes
}

/** @internal */
export const incomingStart = (options: RemoteCall.IncomingRemoteCallOptions): StartOptions => {
  const template = incomingTemplate(options)
  const stringTag = options.stringTag
  const byteTag = options.byteTag
  const traceState = options.traceState
  // Without a tag (a root, or a child of the fiber's span) every span of the shape starts from the same options.
  return stringTag === undefined && byteTag === undefined && traceState === undefined
    ? plainStart(template)
    : { template, stringTag, byteTag, traceState }
}

/** @internal */
export const outgoingStart = (options: RemoteCall.OutgoingRemoteCallOptions): StartOptions =>
  plainStart(outgoingTemplate(options))

/** @internal */
export const traceIncoming = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, options: RemoteCall.IncomingRemoteCallOptions): Effect.Effect<A, E, R> =>
    Tracer.tracedOnce(self, runtimeOf, "traceIncomingRemoteCall", incomingStart, options)
)

/** @internal */
export const traceOutgoing = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, options: RemoteCall.OutgoingRemoteCallOptions): Effect.Effect<A, E, R> =>
    Tracer.tracedOnce(self, runtimeOf, "traceOutgoingRemoteCall", outgoingStart, options)
)

/** @internal */
export const incoming = (
  runtime: Runtime,
  options: RemoteCall.IncomingRemoteCallOptions
): Effect.Effect<RemoteCall.IncomingRemoteCallTracer, never, Scope.Scope> =>
  Tracer.scoped(runtime, "IncomingRemoteCallTracer", "traceIncomingRemoteCall", () => incomingStart(options))

/** @internal */
export const outgoing = (
  runtime: Runtime,
  options: RemoteCall.OutgoingRemoteCallOptions
): Effect.Effect<RemoteCall.OutgoingRemoteCallTracer, never, Scope.Scope> =>
  Tracer.scoped(runtime, "OutgoingRemoteCallTracer", "traceOutgoingRemoteCall", () => outgoingStart(options))
