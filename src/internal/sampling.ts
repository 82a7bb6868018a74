/**
 * Sampling: the sampler from the options or the environment (OpenTelemetry's names, with their exact meaning), and
 * the decisions that need no engine span. With a parent-based sampler an unsampled trace needs nothing but its ids
 * to propagate, so its spans are kept without the engine: a child of such a span stays in its context, an unsampled
 * incoming tag and a new root the ratio leaves out get a reference of their own (spanRef.ts), all counted as started,
 * ended and unsampled at once.
 *
 * @internal
 */
import type * as Sampler from "../Sampler.ts"
import { Counter } from "./codes.ts"
import { readEnv } from "./environment.ts"
import type { Engine } from "./engine.ts"
import type { Runtime } from "./runtime.ts"
import { SpanRef, unsampledOf } from "./spanRef.ts"

const names: ReadonlySet<string> = new Set([
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
])

/**
 * A sampler from options, else from the environment; unknown names and invalid ratios fall back to the default
 * (`parentbased_always_on`) with a warning. Only the `parentbased_*` samplers follow the parent's decision;
 * `always_on`, `always_off` and `traceidratio` decide every span from its trace id, as OpenTelemetry specifies.
 *
 * @internal
 */
export const resolve = (
  sampler: Sampler.Sampler | undefined,
  env: Readonly<Record<string, string | undefined>> = {
    OTEL_TRACES_SAMPLER: readEnv("OTEL_TRACES_SAMPLER"),
    OTEL_TRACES_SAMPLER_ARG: readEnv("OTEL_TRACES_SAMPLER_ARG")
  }
): { readonly sampler: Sampler.Resolved; readonly warning: string | undefined } => {
  const name = sampler?.name ?? env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() ?? "parentbased_always_on"
  if (!names.has(name)) {
    return {
      sampler: { ratio: 1, parentBased: true },
      warning: `unknown sampler "${name}"; using parentbased_always_on`
    }
  }
  const argument = sampler !== undefined ? sampler.ratio : env.OTEL_TRACES_SAMPLER_ARG
  let ratio = 1
  let warning: string | undefined
  if (name.endsWith("traceidratio") && argument !== undefined && argument !== "") {
    const parsed = typeof argument === "number" ? argument : Number(argument)
    if (Number.isFinite(parsed) && parsed >= 0 && parsed <= 1) ratio = parsed
    else warning = `the sampler ratio must be a number from 0 to 1, got "${String(argument)}"; using 1`
  }
  if (name.endsWith("always_off")) ratio = 0
  return { sampler: { ratio, parentBased: name.startsWith("parentbased") }, warning }
}

/**
 * The engine's sampling options from the layer's `sampler` option and the environment, with a warning for settings
 * that cannot be used.
 *
 * @internal
 */
export const samplerOf = (
  options: { readonly sampler?: Sampler.Sampler | undefined }
): { readonly sampleRatio: number; readonly parentBased: boolean; readonly warning: string | undefined } => {
  try {
    const { sampler, warning } = resolve(options.sampler)
    return { sampleRatio: sampler.ratio, parentBased: sampler.parentBased, warning }
  } catch {
    // A sampler from an untyped caller whose fields throw when read.
    return { sampleRatio: 1, parentBased: true, warning: "the sampler could not be read; using parentbased_always_on" }
  }
}

/** @internal A new root the ratio keeps: the engine gives it a trace id the ratio agrees with. */
export const SampledRoot = 1 as const

/** @internal Nothing to decide without the engine: it starts the span from its parent or tag as usual. */
export const EngineDecides = 0 as const

/** @internal What {@link decide} decided: an unsampled span's reference, or how the engine should start it. */
export type Decision = SpanRef | typeof SampledRoot | typeof EngineDecides

/**
 * Parent-based sampling's decisions that need no engine span: the reference of an unsampled span (its unsampled
 * parent's, for a child that stays in the parent's context; one continuing an unsampled incoming tag; or a new root
 * the ratio leaves out), {@link SampledRoot} for a new root the ratio keeps, or {@link EngineDecides}. Not where a
 * span's use must be checked (the strict test layer) or an engine span must wrap it (Effect spans), nor for
 * in-process links (they name a span).
 *
 * @internal
 */
export const decide = (
  runtime: Runtime,
  engine: Engine,
  parent: SpanRef | undefined,
  tag: string | Uint8Array | undefined,
  traceState: string,
  requireParent: boolean,
  hasEffectParent: boolean
): Decision => {
  if (runtime.strict || !engine.parentBased) return EngineDecides
  if (tag !== undefined) {
    if (typeof tag !== "string" || (parent !== undefined && parent.handle > 0)) return EngineDecides
    const ref = unsampledOf(tag, traceState, engine.counters)
    return ref === undefined ? EngineDecides : keptOut(engine, ref)
  }
  if (parent !== undefined) return parent.handle === 0 ? keptOut(engine, parent) : EngineDecides
  if (hasEffectParent || engine.sampleRatio >= 1 || requireParent) return EngineDecides
  if (sampleRoot(engine.sampleRatio)) return SampledRoot
  const ref = unsampledRoot(engine)
  return ref === undefined ? EngineDecides : keptOut(engine, ref)
}

// An unsampled span without the engine: counted as started, ended and unsampled at once (it holds nothing open).
const keptOut = (engine: Engine, ref: SpanRef): SpanRef => {
  const counters = engine.counters
  counters[Counter.Started]!++
  counters[Counter.Ended]!++
  counters[Counter.Unsampled]!++
  return ref
}

/**
 * Whether a new root is sampled with trace-id ratio `ratio`. The roots it keeps get their trace id from the engine
 * (`span_start(0, template, 1)`), drawn below the ratio's threshold; the rest get one from {@link unsampledRoot},
 * drawn above it, so every trace id agrees with the decision as a TraceIdRatioBased sampler elsewhere would make it.
 *
 * @internal
 */
export const sampleRoot = (ratio: number): boolean => ratio >= 1 || Math.random() < ratio

// The reference of a new unsampled root, with ids from the engine's generator (building them in JS costs several
// times more); undefined when the engine is gone.
const unsampledRoot = (engine: Engine): SpanRef | undefined =>
  engine.addon.unsampled_root() >= 0
    ? new SpanRef(0, engine.counters[Counter.LastOrder]!, engine.ids, "")
    : undefined
