/**
 * Info objects (database, web application, messaging system) and the start options of the tracers built
 * on them. Shared by the scoped forms (service.ts) and the combinators (OneAgentSdk.ts).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Database from "../Database.ts"
import type * as Messaging from "../Messaging.ts"
import type * as WebRequest from "../WebRequest.ts"
import { Limit } from "./codes.ts"
import type { Template } from "./engine.ts"
import { defaultDataSettings, describeFailure, misuse, type Runtime, safeString, type StartOptions } from "./runtime.ts"
import * as Templates from "./templates.ts"
import { tagOf } from "./web.ts"
import * as Web from "./web.ts"

interface InfoState {
  readonly attributes: Templates.AttributeList
  /** Templates by operation (SQL keyword, HTTP method + route, messaging operation), built once. */
  readonly templates: Map<string, Template>
  released: boolean
}

type AnyInfo = Database.DatabaseInfo | WebRequest.WebApplicationInfo | Messaging.MessagingSystemInfo

// Info objects stay plain data for users; their engine-side state lives here.
const states = new WeakMap<object, InfoState>()

// Options that cannot be read (undefined, a throwing getter or toString) still give an info object: an empty one
// whose problems are reported as misuse each time a tracer uses it.
const makeInfo = <I extends AnyInfo>(
  tag: I["_tag"],
  read: () => { readonly info: I; readonly attributes: Templates.AttributeList }
): Effect.Effect<I, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let made: { readonly info: I; readonly attributes: Templates.AttributeList }
      try {
        made = read()
      } catch (error) {
        const attributes = new Templates.AttributeList()
        attributes.problems.push(`the ${tag} options could not be read (${describeFailure(error).message})`)
        made = { info: { _tag: tag } as I, attributes }
      }
      const frozen = Object.freeze(made.info)
      states.set(frozen, { attributes: made.attributes, templates: new Map(), released: false })
      return frozen
    }),
    (frozen) => Effect.sync(() => void (states.get(frozen)!.released = true))
  )

/** @internal */
export const createDatabaseInfo = (options: Database.DatabaseInfoOptions) =>
  makeInfo<Database.DatabaseInfo>("DatabaseInfo", () => ({
    info: { _tag: "DatabaseInfo", name: options.name, vendor: options.vendor, channel: options.channel },
    attributes: Templates.databaseInfo(options)
  }))

/** @internal */
export const createWebApplicationInfo = (options: WebRequest.WebApplicationInfoOptions) =>
  makeInfo<WebRequest.WebApplicationInfo>("WebApplicationInfo", () => ({
    info: {
      _tag: "WebApplicationInfo",
      webServerName: options.webServerName,
      applicationId: options.applicationId,
      contextRoot: options.contextRoot
    },
    attributes: Templates.webApplicationInfo(options)
  }))

/** @internal */
export const createMessagingSystemInfo = (options: Messaging.MessagingSystemInfoOptions) =>
  makeInfo<Messaging.MessagingSystemInfo>("MessagingSystemInfo", () => ({
    info: {
      _tag: "MessagingSystemInfo",
      vendor: options.vendor,
      destination: options.destination,
      destinationType: options.destinationType,
      channel: options.channel
    },
    attributes: Templates.messagingSystemInfo(options)
  }))

// The info's state, or undefined (reported) when it is not one of ours or was released.
const stateOf = (runtime: Runtime, info: AnyInfo, tag: AnyInfo["_tag"], operation: string): InfoState | undefined => {
  const state = typeof info === "object" && info !== null ? states.get(info) : undefined
  if (state === undefined || info._tag !== tag) {
    misuse(runtime, `${operation}: expects a ${tag} created by the SDK`)
    return undefined
  }
  if (state.released) {
    misuse(runtime, `${operation}: the ${tag} was released (its scope closed); nothing is traced`)
    return undefined
  }
  return state
}

const cached = (state: InfoState, key: string, make: () => Template): Template => {
  let t = state.templates.get(key)
  if (t === undefined) state.templates.set(key, t = make())
  return t
}

// Statements are recorded up to Limit.Long characters: masking more of a huge one is wasted time. (A literal cut
// here is unterminated, which masks it to the end.)
const maskedLength = 16 * Limit.Long

/** @internal */
export const sqlStart = (
  runtime: Runtime,
  info: Database.DatabaseInfo,
  statement: string,
  operation: string
): StartOptions | undefined => {
  const state = stateOf(runtime, info, "DatabaseInfo", operation)
  if (state === undefined) return undefined
  const text = typeof statement === "string" ? statement : safeString(statement)
  const keyword = Database.operationOf(text)
  const template = cached(state, keyword ?? "", () => Templates.sqlRequest(state.attributes, info.name, keyword))
  const data = runtime.data ?? defaultDataSettings
  return {
    template,
    attributes: [
      "db.query.text",
      data.maskSqlLiterals ? Database.maskLiterals(text.slice(0, maskedLength), info.vendor) : text,
      Limit.Long
    ],
    problems: typeof statement === "string" ? undefined : [`"statement" must be a string`]
  }
}

/** @internal */
export const incomingWebStart = (
  runtime: Runtime,
  info: WebRequest.WebApplicationInfo,
  options: WebRequest.IncomingWebRequestOptions<any>,
  operation: string
): StartOptions | undefined => {
  const state = stateOf(runtime, info, "WebApplicationInfo", operation)
  if (state === undefined) return undefined
  const method = typeof options.method === "string" ? options.method.toUpperCase() : "_OTHER"
  const route = typeof options.route === "string" ? options.route : undefined
  const template = cached(
    state,
    `${method} ${route ?? ""}`,
    () => Templates.incomingWebRequest(state.attributes, method, route)
  )
  const attributes = Web.incomingAttributes(options, runtime.data ?? defaultDataSettings)
  const tag = tagOf(options.headers, "x-dynatrace")
  return { template, ...tag, attributes: attributes.flat(), problems: attributes.problems }
}

const outgoingWebTemplates = new Map<string, Template>()

/** @internal */
export const outgoingWebStart = (runtime: Runtime, options: WebRequest.OutgoingWebRequestOptions<any>): StartOptions => {
  const method = typeof options.method === "string" ? options.method.toUpperCase() : "_OTHER"
  let template = outgoingWebTemplates.get(method)
  if (template === undefined) outgoingWebTemplates.set(method, template = Templates.outgoingWebRequest(method))
  const attributes = Web.outgoingAttributes(options, runtime.data ?? defaultDataSettings)
  return { template, attributes: attributes.flat(), problems: attributes.problems }
}

/** @internal */
export const messagingStart = (
  runtime: Runtime,
  info: Messaging.MessagingSystemInfo,
  kind: "send" | "receive" | "process",
  operation: string,
  options?: Messaging.IncomingMessageProcessOptions | Messaging.OutgoingMessageOptions
): StartOptions | undefined => {
  const state = stateOf(runtime, info, "MessagingSystemInfo", operation)
  if (state === undefined) return undefined
  const template = cached(state, kind, () => Templates.messaging(state.attributes, info.destination, kind))
  const ids = new Templates.AttributeList()
  ids.add("messaging.message.id", ids.optional("vendorMessageId", options?.vendorMessageId))
    .add("messaging.message.conversation_id", ids.optional("correlationId", options?.correlationId))
  if (kind !== "process") return { template, attributes: ids.flat(), problems: ids.problems }
  const process = options as Messaging.IncomingMessageProcessOptions | undefined
  const explicit = process?.stringTag !== undefined || process?.byteTag !== undefined
  const tag = explicit
    ? { stringTag: process?.stringTag, byteTag: process?.byteTag, traceState: process?.traceState }
    : tagOf(process?.properties, "dtdtracetaginfo")
  return { template, ...tag, attributes: ids.flat(), problems: ids.problems }
}
