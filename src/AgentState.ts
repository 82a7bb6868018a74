/**
 * The state of the tracing engine, with the numbers of the OneAgent SDK's `AgentState`.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/states.ts"

/**
 * The engine traces and exports.
 *
 * @since 0.1.0
 * @category constants
 */
export const ACTIVE: 0 = internal.AgentState.ACTIVE
/**
 * The engine traces but the exporter is backing off after failures; spans are buffered.
 *
 * @since 0.1.0
 * @category constants
 */
export const TEMPORARILY_INACTIVE: 1 = internal.AgentState.TEMPORARILY_INACTIVE
/**
 * The engine was shut down, or this is the primary process in forkable mode: calls are no-ops.
 *
 * @since 0.1.0
 * @category constants
 */
export const PERMANENTLY_INACTIVE: 2 = internal.AgentState.PERMANENTLY_INACTIVE
/**
 * The SDK layer has not been acquired (or was released).
 *
 * @since 0.1.0
 * @category constants
 */
export const NOT_INITIALIZED: 3 = internal.AgentState.NOT_INITIALIZED
/**
 * The native engine could not be loaded: every tracer is a no-op. `InitResult.error` says why.
 *
 * @since 0.1.0
 * @category constants
 */
export const ERROR: -1 = internal.AgentState.ERROR

/**
 * @since 0.1.0
 * @category models
 */
export type AgentState =
  | typeof ACTIVE
  | typeof TEMPORARILY_INACTIVE
  | typeof PERMANENTLY_INACTIVE
  | typeof NOT_INITIALIZED
  | typeof ERROR
