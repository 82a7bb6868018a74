/**
 * The engine's sampling options from `OneAgentSdk.Options` (`sampler`, or the older `sampleRatio`) and
 * the environment, reporting settings that cannot be used.
 *
 * @internal
 */
import * as Sampler from "../Sampler.ts"
import { notify, type Runtime } from "./runtime.ts"

/** @internal */
export interface SamplingOptions {
  readonly sampler?: Sampler.Sampler | undefined
  readonly sampleRatio?: number | undefined
}

/** @internal */
export const samplerOf = (runtime: Runtime, options: SamplingOptions): { sampleRatio: number; parentBased: boolean } => {
  const requested = options.sampler ??
    (options.sampleRatio !== undefined ? { name: "parentbased_traceidratio", ratio: options.sampleRatio } : undefined)
  const { sampler, warning } = Sampler.resolve(requested)
  if (warning !== undefined) notify(runtime, "diagnostic", warning)
  return { sampleRatio: sampler.ratio, parentBased: sampler.parentBased }
}
