/**
 * Where finished spans go, and how they are described.
 *
 * `resolve` turns the user's {@link ExportOptions} and the standard `OTEL_*` / `DT_*` environment variables into
 * one {@link ResolvedExport}: an OTLP/HTTP target (Dynatrace, a local OneAgent, an OpenTelemetry Collector, Jaeger,
 * Tempo) or the embedded default, an OTLP/JSON lines file, plus the resource that describes this process.
 *
 * The environment is read through Effect `Config`, so a `ConfigProvider` swapped in with `ConfigProvider.layer`
 * replaces `process.env` (tests, `.env` files, secrets managers).
 *
 * Tokens and header values are `Redacted` from the moment they are read until the transport builds a request, so
 * logging, `JSON.stringify` or `String` of a resolved configuration never shows them, and no error message quotes
 * them.
 *
 * @stability unstable
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/exportConfig.ts"
import * as Version from "./internal/version.ts"

/**
 * A resource attribute value, as OTLP carries it.
 *
 * @category models
 * @since 0.1.0
 */
export type AttributeValue = string | number | boolean

/**
 * What a user can set in code. Every field is optional; anything left out comes from the environment, then from
 * the defaults.
 *
 * **Details**
 *
 * Explicit options win over the environment. Among the target settings, the first one present wins, in this order:
 * `dynatrace`, `tracesEndpoint`, `endpoint`, `file`. When no option names a target, the environment is read in the
 * same order (`DT_URL` + `DT_API_TOKEN`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `ONEAGENT_TRACES_FILE`), and the fallback is the file `.traces/traces.jsonl` under the working directory.
 *
 * **Example** (Sending to a local OpenTelemetry Collector)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ExportConfig } from "effect-oneagent"
 *
 * const resolved = ExportConfig.resolve({ endpoint: "http://localhost:4318", serviceName: "checkout" })
 * // resolved target url => "http://localhost:4318/v1/traces"
 * ```
 *
 * @category options
 * @since 0.1.0
 */
export interface ExportOptions {
  /** Base URL of an OTLP/HTTP receiver; `/v1/traces` is appended, as `OTEL_EXPORTER_OTLP_ENDPOINT` is. */
  readonly endpoint?: string
  /** Full URL of the traces receiver, used as is, like `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
  readonly tracesEndpoint?: string
  /** Extra request headers. They are merged over `OTEL_EXPORTER_OTLP_HEADERS`; plain strings are redacted too. */
  readonly headers?: Record<string, string | Redacted.Redacted<string>>
  /** Request body compression, default `"none"` (or `OTEL_EXPORTER_OTLP_COMPRESSION`). */
  readonly compression?: "gzip" | "none"
  /** Time limit of one HTTP request, default 10 seconds (or `OTEL_EXPORTER_OTLP_TIMEOUT`). */
  readonly timeout?: Duration.Input
  /** A Dynatrace environment (`https://<id>.live.dynatrace.com`) and an API token with `openTelemetryTrace.ingest`. */
  readonly dynatrace?: { readonly url: string; readonly apiToken: Redacted.Redacted<string> }
  /** Path of the OTLP/JSON lines file (relative paths are resolved against the working directory). */
  readonly file?: string
  /** `service.name`, default `OTEL_SERVICE_NAME`, then `unknown_service:node`. */
  readonly serviceName?: string
  /** `service.version`. */
  readonly serviceVersion?: string
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly resourceAttributes?: Record<string, AttributeValue>
  /**
   * @deprecated Ignored. Encoded batches no longer queue: the export takes the next batch when the last one is sent,
   * and the one bound is the layer's `bufferSize`, in spans.
   */
  readonly maxQueueBatches?: number
  /** How long shutdown waits for pending batches, default 5 seconds. */
  readonly shutdownTimeout?: Duration.Input
  /** Print a tree of each finished trace to the console (or `ONEAGENT_CONSOLE=1`). */
  readonly console?: boolean
}

/**
 * An OTLP/HTTP (protobuf) receiver.
 *
 * @category models
 * @since 0.1.0
 */
export interface OtlpHttpTarget {
  readonly _tag: "OtlpHttp"
  readonly url: string
  /** Header names in the case they were given; values stay redacted until a request is built. */
  readonly headers: ReadonlyArray<readonly [name: string, value: Redacted.Redacted<string>]>
  readonly compression: "gzip" | "none"
  readonly timeoutMillis: number
}

/**
 * The embedded default: one OTLP/JSON `ExportTraceServiceRequest` per line, the format the Collector's
 * `otlpjsonfile` receiver and Jaeger's UI load.
 *
 * @category models
 * @since 0.1.0
 */
export interface FileTarget {
  readonly _tag: "File"
  /** Absolute path. */
  readonly path: string
}

/**
 * Where batches go.
 *
 * @category models
 * @since 0.1.0
 */
export type ExportTarget = OtlpHttpTarget | FileTarget

/**
 * Everything {@link resolve} gives besides the target: what describes this process and ends its pipeline. A
 * forkable cluster worker needs only this, since its primary exports (see {@link resolveSettings}).
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedSettings {
  /** `service.name` first, then `service.version` when known, then the other attributes. */
  readonly resource: ReadonlyArray<readonly [key: string, value: AttributeValue]>
  readonly shutdownTimeoutMillis: number
  readonly console: boolean
}

/**
 * The result of {@link resolve}: everything the export pipeline needs, with no further look-ups.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedExport extends ResolvedSettings {
  readonly target: ExportTarget
}

/**
 * A setting could not be used. `setting` names the option or environment variable; the message never contains a
 * token or a header value.
 *
 * @category errors
 * @since 0.1.0
 */
export const ExportConfigError: typeof internal.ExportConfigError = internal.ExportConfigError

/**
 * @category errors
 * @since 0.1.0
 */
export type ExportConfigError = internal.ExportConfigError

/**
 * The default file, relative to the working directory, used when no target is configured.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultFile: string = internal.defaultFile

/**
 * The `telemetry.sdk.name` resource attribute.
 *
 * @category constants
 * @since 0.1.0
 */
export const sdkName: string = Version.sdkName

/**
 * The `telemetry.sdk.version` resource attribute; kept in step with package.json.
 *
 * @category constants
 * @since 0.1.0
 */
export const sdkVersion: string = Version.sdkVersion

/**
 * Resolves the export configuration from options, then the environment (through the current `ConfigProvider`),
 * then the defaults.
 *
 * **Details**
 *
 * - `DT_URL` (or `DT_ENVIRONMENT_URL`) with `DT_API_TOKEN` targets `<url>/api/v2/otlp/v1/traces` with
 *   `Authorization: Api-Token <token>`. One without the other is an error.
 * - `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_RESOURCE_ATTRIBUTES`: `key=value,key2=value2`, percent-decoded.
 *   The `OTEL_EXPORTER_OTLP_TRACES_*` variants of headers, timeout and compression win over the generic ones.
 * - `OTEL_EXPORTER_OTLP_TIMEOUT` is in milliseconds.
 * - `ONEAGENT_CONSOLE`: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`.
 *
 * **Gotchas**
 *
 * Malformed values fail with {@link ExportConfigError} rather than being skipped, so a typo in a URL or a header
 * does not silently send traces elsewhere.
 *
 * **Example** (Dynatrace from the environment)
 *
 * ```ts
 * import { ConfigProvider, Effect } from "effect"
 * import { ExportConfig } from "effect-oneagent"
 *
 * const program = ExportConfig.resolve().pipe(
 *   Effect.provideService(
 *     ConfigProvider.ConfigProvider,
 *     ConfigProvider.fromEnv({ env: { DT_URL: "https://abc.live.dynatrace.com", DT_API_TOKEN: "dt0c01.x" } })
 *   )
 * )
 * // target url => "https://abc.live.dynatrace.com/api/v2/otlp/v1/traces"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve: (options?: ExportOptions) => Effect.Effect<ResolvedExport, ExportConfigError> = internal.resolve

/**
 * Resolves everything but the target, from the same sources as {@link resolve}: the resource, the shutdown
 * deadline, the queue bound and the console flag. Target settings are not read, so a target that could not be
 * used does not fail it (a forkable cluster worker, whose primary exports, resolves only this).
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveSettings: (options?: ExportOptions) => Effect.Effect<ResolvedSettings, ExportConfigError> =
  internal.resolveSettings

