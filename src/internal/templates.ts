/**
 * The span shape of each tracer: its name, OTel kind, start flags and the attributes its options give,
 * named after the current OpenTelemetry semantic conventions (OneAgent-only concepts under `oneagent.*`).
 *
 * @internal
 */
import * as Channel from "../Channel.ts"
import type { CustomServiceOptions, IncomingRemoteCallOptions, OutgoingRemoteCallOptions } from "../Tracers.ts"
import type { AttributeValue } from "./addon.ts"
import { Kind, StartFlag } from "./codes.ts"
import { template, type Template } from "./engine.ts"

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
    return value === undefined || value === null ? "" : String(value)
  }

  optional(field: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.required(field, value)
  }

  add(key: string, value: AttributeValue | undefined, limit?: number): this {
    if (value !== undefined) this.list.push(limit === undefined ? [key, value] : [key, value, limit])
    return this
  }

  channel(channel: unknown): this {
    if (typeof channel !== "object" || channel === null || typeof (channel as Channel.Channel).type !== "number") {
      this.problems.push(`"channel" must be { type: ChannelType, endpoint?: string }`)
      return this
    }
    for (const [key, value] of Channel.attributes(channel as Channel.Channel)) this.add(key, value)
    return this
  }

  template(name: string, kind: number, flags: number): Template {
    return template(name, kind, flags, this.list, this.problems)
  }
}

const rpc = (list: AttributeList, options: { method: unknown; service: unknown; endpoint: unknown; protocolName?: unknown }) => {
  const method = list.required("method", options.method)
  const service = list.required("service", options.service)
  list.add("rpc.method", method)
    .add("rpc.service", service)
    .add("oneagent.remote_call.endpoint", list.required("endpoint", options.endpoint))
    .add("network.protocol.name", list.optional("protocolName", options.protocolName))
  return `${service}/${method}`
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
  return list.template(`${service}/${method}`, Kind.Server, StartFlag.ServiceCall)
}

/** @internal */
export const inProcessLink: Template = template("InProcessLink", Kind.Internal, StartFlag.None, [])
