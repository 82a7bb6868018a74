/**
 * The span shape of each tracer: its name, OTel kind, start flags and the attributes its options give,
 * named after the current OpenTelemetry semantic conventions (OneAgent-only concepts under `oneagent.*`).
 *
 * @internal
 */
import * as Channel from "../Channel.ts"
import * as Database from "../Database.ts"
import type { CustomServiceOptions, IncomingRemoteCallOptions, OutgoingRemoteCallOptions } from "../Tracers.ts"
import type { AttributeValue } from "./addon.ts"
import { Kind, Limit, StartFlag } from "./codes.ts"
import { clip, template, type Template } from "./engine.ts"
import { safeString, truncatedKey } from "./runtime.ts"

type Attribute = readonly [key: string, value: AttributeValue, limit?: number]

/**
 * Collects attributes from user options, coercing what an untyped caller got wrong and noting it.
 *
 * @internal
 */
export class AttributeList {
  readonly list: Array<Attribute> = []
  readonly problems: Array<string> = []

  /** A required string option: a non-string is coerced and reported. */
  required(field: string, value: unknown): string {
    if (typeof value === "string") return value
    this.problems.push(`"${field}" must be a string, got ${value === null ? "null" : typeof value}`)
    return value === undefined || value === null ? "" : safeString(value)
  }

  optional(field: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.required(field, value)
  }

  /** Adds an attribute; a key over the limit (a header or parameter name) is cut and marked as a cut value is. */
  add(key: string, value: AttributeValue | undefined, limit?: number): this {
    if (value === undefined) return this
    const kept = clip(key, Limit.Default)
    this.list.push(limit === undefined ? [kept, value] : [kept, value, limit])
    if (kept !== key) this.list.push([truncatedKey, kept])
    return this
  }

  /** Adds a string value that was cut here already (to at most `limit`), marked as the engine marks its own cuts. */
  addCut(key: string, value: string, cut: boolean, limit: number): this {
    this.add(key, value, limit)
    if (cut) this.list.push([truncatedKey, clip(key, Limit.Default)])
    return this
  }

  channel(channel: unknown): this {
    try {
      if (typeof channel !== "object" || channel === null || typeof (channel as Channel.Channel).type !== "number") {
        this.problems.push(`"channel" must be { type: ChannelType, endpoint?: string }`)
        return this
      }
      const type = (channel as Channel.Channel).type
      if (!Number.isInteger(type) || type < Channel.ChannelType.OTHER || type > Channel.ChannelType.IN_PROCESS) {
        // Recorded as OTHER, and said: a number from elsewhere (another SDK's enum) is a mistake worth seeing.
        this.problems.push(`"channel.type" must be a ChannelType (0 to 4), got ${type}; recorded as OTHER`)
      }
      const endpoint = (channel as Channel.Channel).endpoint
      const checked = endpoint === undefined || typeof endpoint === "string"
        ? channel as Channel.Channel
        : { type: (channel as Channel.Channel).type, endpoint: this.required("channel.endpoint", endpoint) }
      for (const [key, value] of Channel.attributes(checked)) this.add(key, value)
    } catch {
      this.problems.push(`"channel" could not be read`)
    }
    return this
  }

  template(name: string, kind: number, flags: number): Template {
    return template(name, kind, flags, this.list, this.problems)
  }

  /** The attributes as [key, value, limit] triples, for per-span start options. */
  flat(): Array<AttributeValue> {
    const out: Array<AttributeValue> = []
    for (const [key, value, limit] of this.list) out.push(key, value, limit ?? 0)
    return out
  }
}

// A span name from user strings (an untyped caller's info object may hold anything), each cut to the name's limit
// first: joining megabyte strings would make every start pay for all of them, though the engine keeps 250 characters.
const spanName = (...parts: ReadonlyArray<unknown>): string =>
  parts.map((part) => clip(typeof part === "string" ? part : safeString(part), Limit.Default)).join("")

const rpc = (list: AttributeList, options: { method: unknown; service: unknown; endpoint: unknown; protocolName?: unknown }) => {
  const method = list.required("method", options.method)
  const service = list.required("service", options.service)
  list.add("rpc.method", method)
    .add("rpc.service", service)
    .add("oneagent.remote_call.endpoint", list.required("endpoint", options.endpoint))
    .add("network.protocol.name", list.optional("protocolName", options.protocolName))
  return spanName(service, "/", method)
}

/** @internal */
export const incomingRemoteCall = (options: IncomingRemoteCallOptions): Template => {
  const list = new AttributeList()
  const name = rpc(list, options)
  return list.template(name, Kind.Server, StartFlag.ServiceCall)
}

/** @internal */
export const outgoingRemoteCall = (options: OutgoingRemoteCallOptions): Template => {
  const list = new AttributeList()
  const name = rpc(list, options)
  list.channel(options.channel)
  return list.template(name, Kind.Client, StartFlag.None)
}

/** @internal */
export const customService = (options: CustomServiceOptions): Template => {
  const list = new AttributeList()
  const method = list.required("method", options.method)
  const service = list.required("service", options.service)
  list.add("oneagent.custom_service.name", service).add("oneagent.custom_service.method", method)
  return list.template(spanName(service, "/", method), Kind.Server, StartFlag.ServiceCall)
}

/** @internal */
export const inProcessLink: Template = template("InProcessLink", Kind.Internal, StartFlag.None, [])

/** @internal The constant attributes of a database, an info object's content. */
export const databaseInfo = (options: { name: unknown; vendor: unknown; channel: unknown }): AttributeList => {
  const list = new AttributeList()
  const vendor = list.required("vendor", options.vendor)
  list.add("db.system.name", Database.otelSystemName(vendor))
    .add("oneagent.db.vendor", vendor)
    .add("db.namespace", list.required("name", options.name))
    .channel(options.channel)
  return list
}

/** @internal The span shape of SQL requests on `info` whose statement starts with `operation`. */
export const sqlRequest = (info: AttributeList, database: string, operation: string | undefined): Template => {
  const list = new AttributeList()
  list.list.push(...info.list)
  list.problems.push(...info.problems)
  list.add("db.operation.name", operation)
  const name = operation === undefined ? spanName(database) : spanName(operation, " ", database)
  return list.template(name, Kind.Client, StartFlag.RequireParent)
}

/** @internal */
export const webApplicationInfo = (
  options: { webServerName: unknown; applicationId: unknown; contextRoot: unknown }
): AttributeList => {
  const list = new AttributeList()
  list.add("oneagent.web.server_name", list.required("webServerName", options.webServerName))
    .add("oneagent.web.application_id", list.required("applicationId", options.applicationId))
    .add("oneagent.web.context_root", list.required("contextRoot", options.contextRoot))
  return list
}

/** @internal The span shape of incoming requests to `info` with this method and route. */
export const incomingWebRequest = (info: AttributeList, method: string, route: string | undefined): Template => {
  const list = new AttributeList()
  list.list.push(...info.list)
  list.problems.push(...info.problems)
  list.add("http.request.method", method).add("http.route", route)
  return list.template(route === undefined ? spanName(method) : spanName(method, " ", route), Kind.Server, StartFlag.ServiceCall)
}

/** @internal The span shape of outgoing requests with this method. */
export const outgoingWebRequest = (method: string): Template =>
  new AttributeList().add("http.request.method", method).template(method, Kind.Client, StartFlag.None)

/** @internal */
export const messagingSystemInfo = (
  options: { vendor: unknown; destination: unknown; destinationType: unknown; channel: unknown }
): AttributeList => {
  const list = new AttributeList()
  const destinationType = list.required("destinationType", options.destinationType)
  if (destinationType !== "QUEUE" && destinationType !== "TOPIC") {
    list.problems.push(`"destinationType" must be "QUEUE" or "TOPIC"`)
  }
  list.add("messaging.system", list.required("vendor", options.vendor))
    .add("messaging.destination.name", list.required("destination", options.destination))
    .add("oneagent.messaging.destination_type", destinationType)
    .channel(options.channel)
  return list
}

/** @internal The span shape of one messaging operation on `info`. */
export const messaging = (
  info: AttributeList,
  destination: string,
  operation: "send" | "receive" | "process"
): Template => {
  const list = new AttributeList()
  list.list.push(...info.list)
  list.problems.push(...info.problems)
  list.add("messaging.operation.type", operation)
  const kind = operation === "send" ? Kind.Producer : Kind.Consumer
  const flags = operation === "receive"
    ? StartFlag.RequireParent
    : operation === "process"
    ? StartFlag.ServiceCall
    : StartFlag.None
  return list.template(spanName(operation, " ", destination), kind, flags)
}
