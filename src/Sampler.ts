/**
 * Sampling: which traces are recorded. Parent-based by default (a child keeps its parent's or the
 * incoming tag's decision); new roots are kept with a trace-id ratio. Configured by option or by the
 * standard `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` variables. An unsampled span still
 * propagates its context (the sampled flag travels in every tag) but records and exports nothing.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/sampling.ts"

/**
 * The OpenTelemetry sampler names.
 *
 * @since 0.1.0
 * @category models
 */
export type SamplerName =
  | "always_on"
  | "always_off"
  | "traceidratio"
  | "parentbased_always_on"
  | "parentbased_always_off"
  | "parentbased_traceidratio"

/**
 * @since 0.1.0
 * @category models
 */
export interface Sampler {
  readonly name: SamplerName
  /** For the `traceidratio` samplers: the share of new traces kept, 0 to 1. Default 1. */
  readonly ratio?: number | undefined
}

/**
 * The engine's view of a sampler: the ratio for trace-id decisions and whether children follow their parent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly ratio: number
  readonly parentBased: boolean
}

/**
 * Resolves a sampler from options, else from the environment; unknown names and invalid ratios fall
 * back to the default (`parentbased_always_on`) with a warning.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve: (
  sampler: Sampler | undefined,
  env?: Readonly<Record<string, string | undefined>>
) => { readonly sampler: Resolved; readonly warning: string | undefined } = internal.resolve
