/**
 * The outcome of initialising the SDK, with the status numbers of the OneAgent SDK's `InitResult`.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/states.ts"

/**
 * The engine could not be loaded; `error` says why and how to fix the installation.
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUS_LOAD_ERROR: -2 = internal.InitStatus.LOAD_ERROR
/**
 * Initialisation failed; `error` says why.
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUS_INIT_ERROR: -1 = internal.InitStatus.INIT_ERROR
/**
 * @since 0.1.0
 * @category constants
 */
export const STATUS_INITIALIZED: 0 = internal.InitStatus.INITIALIZED
/**
 * Initialised, with a warning in `error` (for example an export target that could not be configured).
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUS_INITIALIZED_WITH_WARNING: 1 = internal.InitStatus.INITIALIZED_WITH_WARNING
/**
 * The engine was already initialised by another layer in this process; this one shares it and its
 * options were not applied. The engine shuts down when the last layer is released.
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUS_ALREADY_INITIALIZED: 2 = internal.InitStatus.ALREADY_INITIALIZED

/**
 * @since 0.1.0
 * @category models
 */
export interface InitResult {
  readonly status: -2 | -1 | 0 | 1 | 2
  readonly error: string | undefined
}

/**
 * True when tracing works (statuses 0, 1 and 2), like the seed's truthy `InitResult`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isOk = (self: InitResult): boolean => self.status >= 0
