/**
 * The seed's state numbers: `AgentState` and `InitResult.status`.
 *
 * @internal
 */

/** @internal */
export const AgentState = {
  ACTIVE: 0,
  TEMPORARILY_INACTIVE: 1,
  PERMANENTLY_INACTIVE: 2,
  NOT_INITIALIZED: 3,
  ERROR: -1
} as const

/** @internal */
export const InitStatus = {
  LOAD_ERROR: -2,
  INIT_ERROR: -1,
  INITIALIZED: 0,
  INITIALIZED_WITH_WARNING: 1,
  ALREADY_INITIALIZED: 2
} as const
