/**
 * Resolving the export configuration: the user's options, then the standard `OTEL_*` / `DT_*` environment variables
 * (read through Effect `Config`), then the defaults, into one target and the resource that describes this process.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Path from "node:path"
import { hostName } from "./environment.ts"
import { sdkName, sdkVersion } from "./version.ts"
import type {
  AttributeValue,
  ExportOptions,
  ExportTarget,
  FileTarget,
  OtlpHttpTarget,
  ResolvedExport,
  ResolvedSettings
} from "../ExportConfig.ts"

/**
 * A setting could not be used. `setting` names the option or environment variable; the message never contains a
 * token or a header value.
 *
 * @internal
 */
export class ExportConfigError extends Data.TaggedError("ExportConfigError")<{
  readonly setting: string
  readonly description: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.setting}: ${this.description}`
  }
}

/**
 * The default file, relative to the working directory, used when no target is configured.
 *
 * @internal
 */
export const defaultFile: string = Path.join(".traces", "traces.jsonl")

/**
 * Resolves the export configuration from options, then the environment (through the current `ConfigProvider`),
 * then the defaults.
 *
 * @internal
 */
export const resolve = (options: ExportOptions = {}): Effect.Effect<ResolvedExport, ExportConfigError> =>
  Effect.gen(function*() {
    yield* checkTypes(options)
    const env = yield* readEnv
    const target = yield* resolveTarget(options, env)
    return { target, ...yield* settingsOf(options, env) }
  })

/**
 * Resolves everything but the target, from the same sources as {@link resolve}: the resource, the shutdown
 * deadline, the queue bound and the console flag. Target settings are not read, so a target that could not be
 * used does not fail it (a forkable cluster worker, whose primary exports, resolves only this).
 *
 * @internal
 */
export const resolveSettings = (options: ExportOptions = {}): Effect.Effect<ResolvedSettings, ExportConfigError> =>
  Effect.andThen(checkTypes(options), Effect.flatMap(readEnv, (env) => settingsOf(options, env)))


const settingsOf = (options: ExportOptions, env: Env): Effect.Effect<ResolvedSettings, ExportConfigError> =>
  Effect.gen(function*() {
    const resource = yield* resolveResource(options, env)
    const shutdownTimeoutMillis = options.shutdownTimeout === undefined
      ? defaultShutdownTimeoutMillis
      : yield* durationMillis("shutdownTimeout", options.shutdownTimeout, true)
    const consoleTree = options.console ?? (env.console === undefined ? false : yield* parseFlag(env.console))
    return { resource, shutdownTimeoutMillis, console: consoleTree }
  })

// Untyped callers: a value of the wrong type is a configuration error, not a TypeError deep inside.
const stringOptions = ["endpoint", "tracesEndpoint", "file", "serviceName", "serviceVersion"] as const
const recordOptions = ["headers", "resourceAttributes", "dynatrace"] as const

const checkTypes = (options: ExportOptions): Effect.Effect<void, ExportConfigError> => {
  if (typeof options !== "object" || options === null) return invalid("export", "must be an object")
  for (const key of stringOptions) {
    const value: unknown = options[key]
    if (value !== undefined && typeof value !== "string") return invalid(key, "must be a string")
  }
  for (const key of recordOptions) {
    const value: unknown = options[key]
    if (value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value))) {
      return invalid(key, "must be an object")
    }
  }
  if (options.console !== undefined && typeof options.console !== "boolean") return invalid("console", "must be a boolean")
  return Effect.void
}

const defaultTimeoutMillis = 10_000
const defaultShutdownTimeoutMillis = 5_000

const invalid = (setting: string, description: string) => Effect.fail(new ExportConfigError({ setting, description }))

interface Env {
  readonly serviceName: string | undefined
  readonly resourceAttributes: string | undefined
  readonly endpoint: string | undefined
  readonly tracesEndpoint: string | undefined
  readonly headers: readonly [setting: string, value: Redacted.Redacted<string>] | undefined
  readonly timeout: readonly [setting: string, value: string] | undefined
  readonly compression: readonly [setting: string, value: string] | undefined
  readonly dtUrl: readonly [setting: string, value: string] | undefined
  readonly dtToken: Redacted.Redacted<string> | undefined
  readonly file: string | undefined
  readonly console: string | undefined
}

const optionalString = (name: string) => Config.option(Config.String(name)).pipe(Config.map(Option.getOrUndefined))
const optionalRedacted = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(Config.map(Option.getOrUndefined))

// The signal-specific variable wins over the generic one; the winner's name is kept for error messages.
const firstOf = <A>(
  read: (name: string) => Config.Config<A | undefined>,
  ...names: ReadonlyArray<string>
): Config.Config<readonly [string, A] | undefined> =>
  Config.all(names.map(read)).pipe(Config.map((values) => {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      if (value !== undefined) return [names[i], value] as const
    }
    return undefined
  }))

const envConfig: Config.Config<Env> = Config.all({
  serviceName: optionalString("OTEL_SERVICE_NAME"),
  resourceAttributes: optionalString("OTEL_RESOURCE_ATTRIBUTES"),
  endpoint: optionalString("OTEL_EXPORTER_OTLP_ENDPOINT"),
  tracesEndpoint: optionalString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  headers: firstOf(optionalRedacted, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"),
  timeout: firstOf(optionalString, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"),
  compression: firstOf(optionalString, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"),
  dtUrl: firstOf(optionalString, "DT_URL", "DT_ENVIRONMENT_URL"),
  dtToken: optionalRedacted("DT_API_TOKEN"),
  file: optionalString("ONEAGENT_TRACES_FILE"),
  console: optionalString("ONEAGENT_CONSOLE")
})

// A ConfigError here can only come from the provider itself (values are read as plain strings), and its text names
// a path, not a value.
const readEnv: Effect.Effect<Env, ExportConfigError> = Effect.mapError(
  envConfig,
  (cause) => new ExportConfigError({ setting: "environment", description: cause.message, cause })
)

const resolveTarget = (options: ExportOptions, env: Env): Effect.Effect<ExportTarget, ExportConfigError> =>
  Effect.gen(function*() {
    if (options.dynatrace !== undefined) {
      return yield* otlpTarget(options, env, yield* dynatraceUrl("dynatrace.url", options.dynatrace.url), [
        "Authorization",
        yield* apiTokenHeader("dynatrace.apiToken", options.dynatrace.apiToken)
      ])
    }
    if (options.tracesEndpoint !== undefined) {
      return yield* otlpTarget(options, env, yield* httpUrl("tracesEndpoint", options.tracesEndpoint))
    }
    if (options.endpoint !== undefined) {
      return yield* otlpTarget(options, env, yield* signalUrl("endpoint", options.endpoint))
    }
    if (options.file !== undefined) {
      return yield* fileTarget("file", options.file)
    }
    if (env.dtUrl !== undefined || env.dtToken !== undefined) {
      if (env.dtUrl === undefined) {
        return yield* invalid("DT_API_TOKEN", "is set but DT_URL (or DT_ENVIRONMENT_URL) is missing")
      }
      if (env.dtToken === undefined) {
        return yield* invalid(env.dtUrl[0], "is set but DT_API_TOKEN is missing")
      }
      return yield* otlpTarget(options, env, yield* dynatraceUrl(env.dtUrl[0], env.dtUrl[1]), [
        "Authorization",
        yield* apiTokenHeader("DT_API_TOKEN", env.dtToken)
      ])
    }
    if (env.tracesEndpoint !== undefined) {
      return yield* otlpTarget(
        options,
        env,
        yield* httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env.tracesEndpoint)
      )
    }
    if (env.endpoint !== undefined) {
      return yield* otlpTarget(options, env, yield* signalUrl("OTEL_EXPORTER_OTLP_ENDPOINT", env.endpoint))
    }
    return yield* fileTarget(env.file === undefined ? "default file" : "ONEAGENT_TRACES_FILE", env.file ?? defaultFile)
  })

// Untyped callers may pass a plain string; it is refused rather than unwrapped, so a token is Redacted end to end.
const apiTokenHeader = (
  setting: string,
  token: Redacted.Redacted<string>
): Effect.Effect<Redacted.Redacted<string>, ExportConfigError> =>
  !Redacted.isRedacted(token) || typeof Redacted.value(token) !== "string"
    ? invalid(setting, "must be a Redacted string (Redacted.make(token))")
    // Checked as a header value now: one that HTTP cannot send would fail every request later.
    : Effect.map(header(setting, "the token", "Authorization", `Api-Token ${Redacted.value(token)}`), ([, value]) => value)

const fileTarget = (setting: string, path: string): Effect.Effect<FileTarget, ExportConfigError> =>
  path.trim() === "" || path.includes("\0")
    ? invalid(setting, "is not a usable file path")
    // Resolved now so a later process.chdir does not move the file.
    : Effect.succeed({ _tag: "File", path: Path.resolve(path) })

const otlpTarget = (
  options: ExportOptions,
  env: Env,
  url: string,
  authorization?: readonly [string, Redacted.Redacted<string>]
): Effect.Effect<OtlpHttpTarget, ExportConfigError> =>
  Effect.gen(function*() {
    // Header names are case-insensitive: later sources replace earlier ones by lower-cased name.
    const headers = new Map<string, readonly [string, Redacted.Redacted<string>]>()
    if (env.headers !== undefined) {
      for (const entry of yield* parseHeaderList(env.headers[0], Redacted.value(env.headers[1]))) {
        headers.set(entry[0].toLowerCase(), entry)
      }
    }
    if (options.headers !== undefined) {
      let i = 0
      for (const [name, value] of Object.entries(options.headers)) {
        const position = `header ${++i}`
        const plain = Redacted.isRedacted(value) ? Redacted.value(value) : value
        if (typeof plain !== "string") {
          return yield* invalid("headers", `${position} must have a string or Redacted string value`)
        }
        const entry = yield* header("headers", position, name, plain)
        headers.set(name.toLowerCase(), entry)
      }
    }
    if (authorization !== undefined) headers.set("authorization", authorization)

    const compression = options.compression ?? (env.compression === undefined ? "none" : env.compression[1].trim().toLowerCase())
    if (compression !== "gzip" && compression !== "none") {
      return yield* invalid(
        options.compression === undefined && env.compression !== undefined ? env.compression[0] : "compression",
        `must be "gzip" or "none", got "${compression}"`
      )
    }

    let timeoutMillis = defaultTimeoutMillis
    if (options.timeout !== undefined) {
      timeoutMillis = yield* durationMillis("timeout", options.timeout, false)
    } else if (env.timeout !== undefined) {
      const [setting, raw] = env.timeout
      if (!/^\s*\d+\s*$/.test(raw) || Number(raw) <= 0) {
        return yield* invalid(setting, `must be a positive number of milliseconds, got "${raw}"`)
      }
      timeoutMillis = Number(raw)
    }

    return { _tag: "OtlpHttp", url, headers: Array.from(headers.values()), compression, timeoutMillis }
  })

const durationMillis = (
  setting: string,
  input: Duration.Input,
  allowZero: boolean
): Effect.Effect<number, ExportConfigError> => {
  let duration: Option.Option<Duration.Duration>
  try {
    duration = Duration.fromInput(input)
  } catch {
    return invalid(setting, "is not a valid duration")
  }
  if (Option.isNone(duration)) return invalid(setting, "is not a valid duration")
  const millis = Duration.toMillis(duration.value)
  return Number.isFinite(millis) && (allowZero ? millis >= 0 : millis > 0)
    ? Effect.succeed(millis)
    : invalid(setting, allowZero ? "must be a finite, non-negative duration" : "must be a finite, positive duration")
}

const parseFlag = (raw: string): Effect.Effect<boolean, ExportConfigError> => {
  switch (raw.trim().toLowerCase()) {
    case "1":
    case "true":
    case "yes":
    case "on":
      return Effect.succeed(true)
    case "0":
    case "false":
    case "no":
    case "off":
      return Effect.succeed(false)
    default:
      return invalid("ONEAGENT_CONSOLE", `must be 1, true, 0 or false, got "${raw}"`)
  }
}

// fetch refuses URLs with credentials, and a URL that does not parse may be a pasted secret: neither is echoed.
const parseHttpUrl = (setting: string, raw: string): Effect.Effect<URL, ExportConfigError> => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    // The TypeError carries the input, so it is not kept as the cause.
    return invalid(setting, "is not a valid absolute URL")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    // Not quoted: "<token>:x" parses as a URL whose scheme is the token.
    return invalid(setting, "must be an http or https URL")
  }
  if (url.username !== "" || url.password !== "") {
    return invalid(setting, "must not contain credentials; pass them as headers")
  }
  return Effect.succeed(url)
}

const httpUrl = (setting: string, raw: string): Effect.Effect<string, ExportConfigError> =>
  Effect.map(parseHttpUrl(setting, raw), (url) => url.href)

// OTel spec: the generic endpoint is a base, and the signal path is appended with exactly one slash.
const signalUrl = (setting: string, raw: string): Effect.Effect<string, ExportConfigError> =>
  Effect.map(parseHttpUrl(setting, raw), (url) => {
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
    return url.href
  })

// The API token travels with every request: over plain http only to this machine.
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"])

const dynatraceUrl = (setting: string, raw: string): Effect.Effect<string, ExportConfigError> =>
  Effect.flatMap(parseHttpUrl(setting, raw), (url) => {
    if (url.protocol === "http:" && !loopbackHosts.has(url.hostname)) {
      return invalid(setting, "must be an https URL: the API token would travel in clear text")
    }
    const base = url.pathname.replace(/\/+$/, "")
    // Users often paste the OTLP base from the Dynatrace docs; do not double it.
    url.pathname = base.endsWith("/api/v2/otlp") ? `${base}/v1/traces` : `${base}/api/v2/otlp/v1/traces`
    return Effect.succeed(url.href)
  })

// RFC 9110 token characters; a value must not smuggle a line break into the request.
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const headerValue = /^[^\r\n\0]*$/
const latin1 = /^[\u0000-\u00ff]*$/

const header = (
  setting: string,
  position: string,
  name: string,
  value: string
): Effect.Effect<readonly [string, Redacted.Redacted<string>], ExportConfigError> => {
  if (!headerName.test(name)) {
    // Not quoted: "Authorization: Api-Token x=y" would put the token in the name.
    return invalid(setting, `${position} has an invalid header name`)
  }
  // Named by position: a name from a list that was split in the wrong place may be a piece of a token.
  if (!headerValue.test(value)) {
    return invalid(setting, `${position} has a value with a line break or NUL`)
  }
  if (!latin1.test(value)) {
    return invalid(setting, `${position} has a value with characters outside Latin-1, which HTTP cannot send`)
  }
  return Effect.succeed([name, Redacted.make(value.trim(), { label: name })] as const)
}

// W3C baggage-like lists: `k=v,k2=v2`, whitespace around entries ignored, both sides percent-decoded.
// Error messages name the entry's position, never its key or value: a list split in the wrong place (a comma or an
// equals sign inside a token) puts pieces of a token in keys.
const parseList = (
  setting: string,
  raw: string
): Effect.Effect<Array<readonly [string, string]>, ExportConfigError> => {
  const entries: Array<readonly [string, string]> = []
  const parts = raw.split(",")
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim()
    if (part === "") continue
    const eq = part.indexOf("=")
    if (eq <= 0) {
      return invalid(setting, `entry ${i + 1} is not of the form key=value`)
    }
    let key: string
    let value: string
    try {
      key = decodeURIComponent(part.slice(0, eq).trim())
    } catch {
      return invalid(setting, `entry ${i + 1} has a malformed percent-encoded key`)
    }
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim())
    } catch {
      // The cause would quote the value, so it is left out.
      return invalid(setting, `entry ${i + 1} has a value that is not valid percent-encoding`)
    }
    if (key === "") {
      return invalid(setting, `entry ${i + 1} has an empty key`)
    }
    entries.push([key, value])
  }
  return Effect.succeed(entries)
}

const parseHeaderList = (setting: string, raw: string) =>
  Effect.flatMap(parseList(setting, raw), (entries) =>
    Effect.forEach(entries, ([k, v], i) => header(setting, `entry ${i + 1}`, k, v)))

const resolveResource = (
  options: ExportOptions,
  env: Env
): Effect.Effect<ReadonlyArray<readonly [string, AttributeValue]>, ExportConfigError> =>
  Effect.gen(function*() {
    const attributes = new Map<string, AttributeValue>([["process.pid", process.pid]])
    const host = hostName()
    if (host !== undefined) attributes.set("host.name", host)
    if (env.resourceAttributes !== undefined) {
      for (const [key, value] of yield* parseList("OTEL_RESOURCE_ATTRIBUTES", env.resourceAttributes)) {
        attributes.set(key, value)
      }
    }
    // OTEL_SERVICE_NAME is more specific than service.name inside OTEL_RESOURCE_ATTRIBUTES.
    if (env.serviceName !== undefined) attributes.set("service.name", env.serviceName)
    if (options.resourceAttributes !== undefined) {
      for (const [key, value] of Object.entries(options.resourceAttributes)) {
        if (key === "") return yield* invalid("resourceAttributes", "keys must not be empty")
        const type = typeof value
        if (type !== "string" && type !== "boolean" && !(type === "number" && Number.isFinite(value))) {
          return yield* invalid("resourceAttributes", `"${key}" must be a string, a finite number or a boolean`)
        }
        attributes.set(key, value)
      }
    }
    if (options.serviceName !== undefined) attributes.set("service.name", options.serviceName)
    if (options.serviceVersion !== undefined) attributes.set("service.version", options.serviceVersion)
    // The SDK describes itself; these are not user-overridable, or backends would misattribute the data.
    attributes.set("telemetry.sdk.name", sdkName)
    attributes.set("telemetry.sdk.language", "nodejs")
    attributes.set("telemetry.sdk.version", sdkVersion)

    const serviceName = attributes.get("service.name") ?? "unknown_service:node"
    if (typeof serviceName !== "string" || serviceName.trim() === "") {
      return yield* invalid("serviceName", "must be a non-empty string")
    }
    const resource: Array<readonly [string, AttributeValue]> = [["service.name", serviceName]]
    const version = attributes.get("service.version")
    if (version !== undefined) resource.push(["service.version", version])
    for (const [key, value] of attributes) {
      if (key !== "service.name" && key !== "service.version") resource.push([key, value])
    }
    return resource
  })
