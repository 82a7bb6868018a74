/**
 * Info objects (database, web application, messaging system): plain frozen data for users, created and released as
 * scoped resources, with their engine-side state (the attributes their options give, and the templates of the
 * tracers built on them) kept here.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { AttributeList } from "./attributes.ts"
import { describeFailure, misuse, type Reporter } from "./diagnostics.ts"
import { ShapeCache, type Template } from "./templates.ts"

/** @internal */
export interface InfoState {
  readonly attributes: AttributeList
  /** Templates by operation (SQL keyword, HTTP method + route, messaging operation), built once. */
  readonly templates: ShapeCache
  released: boolean
}

/** @internal The tags of the info objects. */
export type InfoTag = "DatabaseInfo" | "WebApplicationInfo" | "MessagingSystemInfo"

// Info objects stay plain data for users; their engine-side state lives here.
const states = new WeakMap<object, InfoState>()

/**
 * Creates an info object in the current scope. Options that cannot be read (undefined, a throwing getter or
 * toString) still give one: an empty one whose problems are reported as misuse each time a tracer uses it.
 *
 * @internal
 */
export const make = <I extends { readonly _tag: InfoTag }>(
  tag: I["_tag"],
  read: () => { readonly info: I; readonly attributes: AttributeList }
): Effect.Effect<I, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => makeUnsafe(tag, read)),
    (frozen) => Effect.sync(() => void (states.get(frozen)!.released = true))
  )

/** @internal An info object that is never released (one the http middleware creates from options). */
export const makeUnsafe = <I extends { readonly _tag: InfoTag }>(
  tag: I["_tag"],
  read: () => { readonly info: I; readonly attributes: AttributeList }
): I => {
  let made: { readonly info: I; readonly attributes: AttributeList }
  try {
    made = read()
  } catch (error) {
    const attributes = new AttributeList()
    attributes.problems.push(`the ${tag} options could not be read (${describeFailure(error).message})`)
    made = { info: { _tag: tag } as I, attributes }
  }
  const frozen = Object.freeze(made.info)
  states.set(frozen, { attributes: made.attributes, templates: new ShapeCache(1_024), released: false })
  return frozen
}

/** @internal The info's state, or undefined (reported) when it is not one of ours or was released. */
export const stateOf = (reporter: Reporter, info: unknown, tag: InfoTag, operation: string): InfoState | undefined => {
  const state = typeof info === "object" && info !== null ? states.get(info) : undefined
  if (state === undefined || (info as { _tag?: unknown })._tag !== tag) {
    misuse(reporter, `${operation}: expects a ${tag} created by the SDK`)
    return undefined
  }
  if (state.released) {
    misuse(reporter, `${operation}: the ${tag} was released (its scope closed); nothing is traced`)
    return undefined
  }
  return state
}

/** @internal The template of one shape of tracer on an info object, made once. */
export const templateOf = (state: InfoState, a: unknown, b: unknown, make: () => Template): Template =>
  state.templates.get(a, b, undefined, undefined, make)
