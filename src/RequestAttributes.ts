/**
 * Custom request attributes (the seed's `add_custom_request_attribute`): a key and an int, float or string value,
 * attached to the service call the current fiber runs in.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/requestAttributes.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"

/**
 * A custom request attribute value: the seed's int, float and string.
 *
 * @since 0.1.0
 * @category models
 */
export type CustomAttributeValue = string | number

/**
 * Adds a custom request attribute to the service call the current fiber runs in: the nearest incoming remote call,
 * custom service, incoming web request or message process, also from forked fibers and from outgoing calls inside it.
 * A repeated key keeps every value, as one array. With no service call open it is misuse (a diagnostic; a test
 * failure with the test layer).
 *
 * **Example** (Attributes of a checkout)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CustomService, OneAgentSdk, RequestAttributes } from "effect-oneagent"
 *
 * const checkout = Effect.gen(function*() {
 *   yield* RequestAttributes.add("errorCount", 42)
 *   yield* RequestAttributes.add("gross weight", 2.39)
 *   yield* RequestAttributes.add("famous actor", "Benedict Cumberbatch")
 *   return "done"
 * }).pipe(CustomService.trace({ method: "checkout", service: "Cart" }))
 *
 * Effect.runPromise(checkout.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => "done"
 * ```
 *
 * @since 0.1.0
 * @category attributes
 */
export const add: (key: string, value: CustomAttributeValue) => Effect.Effect<void, never, OneAgentSdk> = internal.add
