/**
 * A strict test layer: the real engine with the same tracer rules as production, finished spans kept in
 * memory as plain data, and every API misuse turned into a test failure (like the Python SDK's strict
 * test mock).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"
import { MisuseError, takeMisuses } from "./internal/diagnostics.ts"
import * as EffectTracer from "./internal/effectTracer.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { withSpanEvents } from "./internal/logEvents.ts"
import { checkOptions } from "./internal/options.ts"
import { type Runtime, RuntimeKey } from "./internal/runtime.ts"
import type { MemorySink } from "./internal/sinks.ts"
import { OneAgentSdk, type Options } from "./OneAgentSdk.ts"
import * as SpanData from "./SpanData.ts"

/**
 * A span assertion that did not hold.
 *
 * @since 0.1.0
 * @category errors
 */
export class SpanAssertionError extends Data.TaggedError("SpanAssertionError")<{
  readonly message: string
}> {}

/**
 * The defect the strict test layer raises on API misuse: `Cause` holds it as a die, with the rule that was
 * broken in its message.
 *
 * @since 0.1.0
 * @category errors
 */
export const OneAgentMisuseError: new(message: string) => Error & { readonly _tag: "OneAgentMisuseError" } =
  MisuseError

/**
 * @since 0.1.0
 * @category services
 */
export interface Service {
  /** Every span finished so far, in the order they ended. */
  readonly spans: Effect.Effect<ReadonlyArray<SpanData.SpanData>>
  /** The one finished span with this name; fails when there is none or more than one. */
  readonly span: (name: string) => Effect.Effect<SpanData.SpanData, SpanAssertionError>
  /** The finished children of a span, in start order. */
  readonly children: (span: SpanData.SpanData) => Effect.Effect<ReadonlyArray<SpanData.SpanData>>
  /** The finished parent of a span; fails for a root or when the parent has not finished. */
  readonly parent: (span: SpanData.SpanData) => Effect.Effect<SpanData.SpanData, SpanAssertionError>
  /** All finished spans rendered as trees, as the console sink prints them. */
  readonly tree: Effect.Effect<string>
  /** Forgets the spans recorded so far. */
  readonly clear: Effect.Effect<void>
  /** Spans started and not ended yet, by name: a leak check for the end of a test. */
  readonly openSpans: Effect.Effect<ReadonlyArray<string>>
}

/**
 * @since 0.1.0
 * @category services
 */
export class OneAgentTest extends Context.Service<OneAgentTest, Service>()("effect-oneagent/OneAgentTest") {}

// Each test layer reads only the spans started through it: test layers running at the same time share the one
// engine and its memory sink, but never each other's spans.
const makeService = (
  runtime: Runtime,
  sink: () => MemorySink | undefined,
  unavailable: () => string | undefined
): Service => {
  const mine = (s: SpanData.SpanData) => runtime.recorded?.has(s.spanId) ?? true
  // Recording nothing must not read as "nothing was traced": every query dies with the reason instead.
  const withSpans = <A, E>(f: (spans: ReadonlyArray<SpanData.SpanData>) => Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      // Misuse in another fiber (a detached one, a server's handler) fails the test here, at its next query.
      const misuse = runtime.misuses === undefined ? undefined : takeMisuses(runtime.misuses)
      if (misuse !== undefined) return Effect.die(misuse)
      const s = sink()
      if (s === undefined) {
        return Effect.die(
          new SpanAssertionError({ message: `OneAgentTest records no spans: ${unavailable() ?? "the engine is shut down"}` })
        )
      }
      s.collect()
      return f(s.spans.filter(mine))
    })
  return {
    spans: withSpans(Effect.succeed),
    span: (name) =>
      withSpans((all) => {
        const found = all.filter((s) => s.name === name)
        if (found.length === 1) return Effect.succeed(found[0]!)
        const names = [...new Set(all.map((s) => s.name))].join(", ")
        return Effect.fail(
          new SpanAssertionError({
            message: found.length === 0
              ? `no finished span named "${name}" (finished: ${names || "none"})`
              : `${found.length} finished spans are named "${name}"; expected one`
          })
        )
      }),
    children: (span) => withSpans((all) => Effect.succeed(SpanData.childrenOf(all, span))),
    parent: (span) =>
      withSpans((all) => {
        const parent = all.find((s) => s.traceId === span.traceId && s.spanId === span.parentSpanId)
        return parent !== undefined
          ? Effect.succeed(parent)
          : Effect.fail(new SpanAssertionError({ message: `span "${span.name}" has no finished parent` }))
      }),
    tree: withSpans((all) => Effect.succeed(SpanData.renderTree(all))),
    clear: withSpans(() =>
      Effect.sync(() => {
        const s = sink()!
        const kept = s.spans.filter((span) => {
          if (!mine(span)) return true
          runtime.recorded?.delete(span.spanId)
          return false
        })
        s.spans.length = 0
        s.spans.push(...kept)
      })
    ),
    openSpans: withSpans(() =>
      Effect.sync(() => {
        const engine = runtime.engine!
        if (engine.closed) return []
        const starts = runtime.starts!
        return engine.addon.spans_open().filter(([handle]) => starts.has(handle)).map(([, name]) => name)
      })
    )
  }
}

/**
 * Provides {@link OneAgentSdk} on the real engine in strict mode, and {@link OneAgentTest} to read what
 * was traced. Misuse (ending twice, reading a tag after end, an attribute with no service call, a
 * database tracer with no parent, both tags given, ...) dies with a `OneAgentMisuseError` defect.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<OneAgentSdk | OneAgentTest> =>
  Layer.effectContext(Effect.gen(function*() {
    let sink: MemorySink | undefined
    const checked = checkOptions(options)
    const sdk = yield* Lifecycle.acquire(checked, true, { _tag: "Memory", onSink: (s) => void (sink = s) })
    const runtime = sdk[RuntimeKey]
    // What misuse is still kept when the layer is released fails the test then, as one defect.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const misuse = runtime.misuses === undefined ? undefined : takeMisuses(runtime.misuses)
        return misuse === undefined ? Effect.void : Effect.die(misuse)
      })
    )
    const unavailable = () =>
      sdk.initResult.status < 0
        ? `the engine did not load or initialise: ${sdk.initResult.error}`
        : runtime.engine !== undefined && !runtime.engine.closed && sink === undefined
        ? "a production OneAgentSdk.layer owns the running engine and exports its spans; provide only " +
          "OneAgentTest.layer in tests"
        : undefined
    const loggers = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Logger.CurrentLoggers)))
    const context = Context.make(OneAgentSdk, sdk).pipe(
      Context.add(OneAgentTest, makeService(runtime, () => sink, unavailable)),
      (context) =>
        checked.options.logEvents === false
          ? context
          : Context.add(context, Logger.CurrentLoggers, withSpanEvents(loggers, runtime))
    )
    return checked.options.effectSpans === false
      ? context
      : Context.add(context, Tracer.Tracer, EffectTracer.make(runtime))
  }))
