/**
 * The engine's sampling options from `OneAgentSdk.Options` (`sampler`, or the older `sampleRatio`) and
 * the environment, with a warning for settings that cannot be used.
 *
 * @internal
 */
import * as Sampler from "../Sampler.ts"

/** @internal */
export interface SamplingOptions {
  readonly sampler?: Sampler.Sampler | undefined
  readonly sampleRatio?: number | undefined
}

/** @internal */
export const samplerOf = (
  options: SamplingOptions
): { readonly sampleRatio: number; readonly parentBased: boolean; readonly warning: string | undefined } => {
  try {
    const requested = options.sampler ??
      (options.sampleRatio !== undefined ? { name: "parentbased_traceidratio", ratio: options.sampleRatio } : undefined)
    const { sampler, warning } = Sampler.resolve(requested)
    return { sampleRatio: sampler.ratio, parentBased: sampler.parentBased, warning }
  } catch {
    // A sampler from an untyped caller whose fields throw when read.
    return { sampleRatio: 1, parentBased: true, warning: "the sampler could not be read; using parentbased_always_on" }
  }
}
