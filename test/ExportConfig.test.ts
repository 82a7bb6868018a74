import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Util from "node:util"
import * as ExportConfig from "../src/ExportConfig.ts"
import { InitResult, OneAgentSdk, type OneAgentSdkOptions } from "../src/index.ts"
import { inTempWorkingDir } from "./support/workingDir.ts"

const resolveWith = (env: Record<string, string>, options?: ExportConfig.ExportOptions) =>
  ExportConfig.resolve(options).pipe(
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
  )

const otlp = (resolved: ExportConfig.ResolvedExport): ExportConfig.OtlpHttpTarget => {
  if (resolved.target._tag !== "OtlpHttp") throw new Error(`expected OtlpHttp, got ${resolved.target._tag}`)
  return resolved.target
}

const headerValues = (target: ExportConfig.OtlpHttpTarget) =>
  Object.fromEntries(target.headers.map(([name, value]) => [name, Redacted.value(value)]))

const resource = (resolved: ExportConfig.ResolvedExport) => Object.fromEntries(resolved.resource)

const token = "dt0c01.ABCDEFGHIJKLMNOP.SECRETSECRETSECRET"

// Every way a resolved configuration or an error is commonly printed.
const renderings = (value: unknown): ReadonlyArray<string> => [
  JSON.stringify(value),
  String(value),
  Util.inspect(value, { depth: Infinity }),
  Util.format("%o", value)
]

describe("ExportConfig", () => {
  describe("defaults", () => {
    it.effect("should write to .traces/traces.jsonl under the working directory when nothing is set", () =>
      Effect.gen(function*() {
        const resolved = yield* resolveWith({})
        expect(resolved.target).toEqual({ _tag: "File", path: Path.resolve(".traces", "traces.jsonl") })
        expect(resolved.console).toBe(false)
        expect(resolved.shutdownTimeoutMillis).toBe(5_000)
        expect(resolved.resource[0]).toEqual(["service.name", "unknown_service:node"])
        expect(resource(resolved)).toMatchObject({
          "telemetry.sdk.name": "effect-oneagent",
          "telemetry.sdk.language": "nodejs",
          "telemetry.sdk.version": ExportConfig.sdkVersion,
          "process.pid": process.pid,
          "host.name": Os.hostname()
        })
      }))

    it.effect("should use ONEAGENT_TRACES_FILE and ONEAGENT_CONSOLE", () =>
      Effect.gen(function*() {
        const resolved = yield* resolveWith({ ONEAGENT_TRACES_FILE: "out/t.jsonl", ONEAGENT_CONSOLE: "true" })
        expect(resolved.target).toEqual({ _tag: "File", path: Path.resolve("out/t.jsonl") })
        expect(resolved.console).toBe(true)
        expect((yield* resolveWith({ ONEAGENT_CONSOLE: "1" })).console).toBe(true)
        expect((yield* resolveWith({ ONEAGENT_CONSOLE: "0" })).console).toBe(false)
        expect((yield* resolveWith({ ONEAGENT_CONSOLE: "1" }, { console: false })).console).toBe(false)
      }))
  })

  describe("endpoints", () => {
    it.effect("should append /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT with exactly one slash", () =>
      Effect.gen(function*() {
        const plain = otlp(yield* resolveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }))
        expect(plain.url).toBe("http://collector:4318/v1/traces")
        expect(plain.compression).toBe("none")
        expect(plain.timeoutMillis).toBe(10_000)
        const withPath = otlp(yield* resolveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://gw.example/otlp/" }))
        expect(withPath.url).toBe("https://gw.example/otlp/v1/traces")
      }))

    it.effect("should use OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, over the generic endpoint", () =>
      Effect.gen(function*() {
        const target = otlp(
          yield* resolveWith({
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://generic:4318",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom/path"
          })
        )
        expect(target.url).toBe("http://traces:4318/custom/path")
      }))

    it.effect("should build the Dynatrace URL and Api-Token header from DT_URL and DT_API_TOKEN", () =>
      Effect.gen(function*() {
        const target = otlp(
          yield* resolveWith({
            DT_URL: "https://abc12345.live.dynatrace.com/",
            DT_API_TOKEN: token,
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://ignored:4318/v1/traces"
          })
        )
        expect(target.url).toBe("https://abc12345.live.dynatrace.com/api/v2/otlp/v1/traces")
        expect(headerValues(target)).toEqual({ Authorization: `Api-Token ${token}` })

        const alias = otlp(
          yield* resolveWith({ DT_ENVIRONMENT_URL: "https://xyz.apps.dynatrace.com", DT_API_TOKEN: token })
        )
        expect(alias.url).toBe("https://xyz.apps.dynatrace.com/api/v2/otlp/v1/traces")
      }))

    it.effect("should let options win over the environment", () =>
      Effect.gen(function*() {
        const env = { DT_URL: "https://abc.live.dynatrace.com", DT_API_TOKEN: token }
        expect(otlp(yield* resolveWith(env, { endpoint: "http://localhost:4318" })).url)
          .toBe("http://localhost:4318/v1/traces")
        expect((yield* resolveWith(env, { file: "x.jsonl" })).target).toEqual({
          _tag: "File",
          path: Path.resolve("x.jsonl")
        })
        const dynatrace = otlp(
          yield* resolveWith(env, {
            endpoint: "http://localhost:4318",
            dynatrace: { url: "https://other.live.dynatrace.com", apiToken: Redacted.make("other-token") }
          })
        )
        expect(dynatrace.url).toBe("https://other.live.dynatrace.com/api/v2/otlp/v1/traces")
        expect(headerValues(dynatrace).Authorization).toBe("Api-Token other-token")
      }))

    it.effect("should fail with ExportConfigError on invalid endpoints", () =>
      Effect.gen(function*() {
        const notUrl = yield* Effect.flip(resolveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }))
        expect(notUrl._tag).toBe("ExportConfigError")
        expect(notUrl.setting).toBe("OTEL_EXPORTER_OTLP_ENDPOINT")
        expect(notUrl.message).toContain("OTEL_EXPORTER_OTLP_ENDPOINT")

        const scheme = yield* Effect.flip(resolveWith({}, { tracesEndpoint: "ftp://host/v1/traces" }))
        expect(scheme.message).toBe("tracesEndpoint: must be an http or https URL")

        const credentials = yield* Effect.flip(resolveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://u:${token}@h` }))
        expect(credentials.message).toContain("credentials")
        for (const text of renderings(credentials)) expect(text).not.toContain(token)
      }))

    it.effect("should refuse to send the API token over plain http, except to this machine", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolveWith({ DT_URL: "http://abc.live.dynatrace.com", DT_API_TOKEN: token }))
        expect(error.message).toContain("must be an https URL")
        expect(error.message).not.toContain("SECRETSECRET")
        const local = yield* resolveWith({ DT_URL: "http://localhost:9999/e/abc", DT_API_TOKEN: token })
        expect(otlp(local).url).toBe("http://localhost:9999/e/abc/api/v2/otlp/v1/traces")
      }))

    it.effect("should fail with ExportConfigError, not a TypeError, on options of the wrong type", () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
          [{ file: 5 }, "file"],
          [{ endpoint: 4318 }, "endpoint"],
          [{ resourceAttributes: null }, "resourceAttributes"],
          [{ dynatrace: null }, "dynatrace"],
          [{ headers: "x=y" }, "headers"],
          [{ endpoint: "http://c:4318", headers: { "x-n": 5 } }, "header 1"],
          [{ endpoint: "http://c:4318", headers: { "x-token": "tök€n" } }, "outside Latin-1"],
          [{ dynatrace: { url: "https://abc.live.dynatrace.com", apiToken: Redacted.make("x\r\nX-Evil: 1") } }, "line break"],
          [{ dynatrace: { url: "https://abc.live.dynatrace.com", apiToken: Redacted.make("tök€n") } }, "outside Latin-1"]
        ]
        for (const [options, setting] of cases) {
          const error = yield* Effect.flip(resolveWith({}, options as ExportConfig.ExportOptions))
          expect(error._tag).toBe("ExportConfigError")
          expect(error.message).toContain(setting)
        }
      }))

    it.effect("should require both DT_URL and DT_API_TOKEN", () =>
      Effect.gen(function*() {
        const noToken = yield* Effect.flip(resolveWith({ DT_URL: "https://abc.live.dynatrace.com" }))
        expect(noToken.message).toContain("DT_API_TOKEN")
        const noUrl = yield* Effect.flip(resolveWith({ DT_API_TOKEN: token }))
        expect(noUrl.message).toContain("DT_URL")
        for (const text of renderings(noUrl)) expect(text).not.toContain(token)
      }))
  })

  describe("headers, timeout, compression", () => {
    it.effect("should parse and percent-decode OTEL_EXPORTER_OTLP_HEADERS, options overriding by name", () =>
      Effect.gen(function*() {
        const target = otlp(
          yield* resolveWith(
            {
              OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
              OTEL_EXPORTER_OTLP_HEADERS: "api-key=abc%20def%3D%3D , x-tenant = t1,,X-Scope=a"
            },
            { headers: { "x-scope": "b", "X-Extra": Redacted.make("e") } }
          )
        )
        expect(headerValues(target)).toEqual({
          "api-key": "abc def==",
          "x-tenant": "t1",
          "x-scope": "b",
          "X-Extra": "e"
        })
        for (const [, value] of target.headers) expect(Redacted.isRedacted(value)).toBe(true)
      }))

    it.effect("should take the compression in any case, as other OpenTelemetry SDKs do", () =>
      Effect.gen(function*() {
        const resolved = yield* resolveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_COMPRESSION: "GZIP" })
        expect(otlp(resolved).compression).toBe("gzip")
      }))

    it.effect("should prefer the traces-specific variables", () =>
      Effect.gen(function*() {
        const target = otlp(
          yield* resolveWith({
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
            OTEL_EXPORTER_OTLP_HEADERS: "a=generic",
            OTEL_EXPORTER_OTLP_TRACES_HEADERS: "a=traces",
            OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
            OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "2500",
            OTEL_EXPORTER_OTLP_COMPRESSION: "none",
            OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip"
          })
        )
        expect(headerValues(target)).toEqual({ a: "traces" })
        expect(target.timeoutMillis).toBe(2500)
        expect(target.compression).toBe("gzip")
      }))

    it.effect("should take timeout and compression from options as Duration input", () =>
      Effect.gen(function*() {
        const target = otlp(
          yield* resolveWith({ OTEL_EXPORTER_OTLP_TIMEOUT: "1000" }, {
            endpoint: "http://c:4318",
            timeout: "3 seconds",
            compression: "gzip",
            shutdownTimeout: "2 seconds"
          })
        )
        expect(target.timeoutMillis).toBe(3000)
        expect(target.compression).toBe("gzip")
      }))

    it.effect("should reject malformed values", () =>
      Effect.gen(function*() {
        const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }
        const timeout = yield* Effect.flip(resolveWith({ ...base, OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }))
        expect(timeout.setting).toBe("OTEL_EXPORTER_OTLP_TIMEOUT")
        const compression = yield* Effect.flip(resolveWith({ ...base, OTEL_EXPORTER_OTLP_COMPRESSION: "brotli" }))
        expect(compression.setting).toBe("OTEL_EXPORTER_OTLP_COMPRESSION")
        const console = yield* Effect.flip(resolveWith({ ONEAGENT_CONSOLE: "maybe" }))
        expect(console.setting).toBe("ONEAGENT_CONSOLE")
        const attributes = yield* Effect.flip(resolveWith({ OTEL_RESOURCE_ATTRIBUTES: "a=1,broken" }))
        expect(attributes.message).toContain("entry 2")
      }))
  })

  describe("resource", () => {
    it.effect("should merge OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and options in that order", () =>
      Effect.gen(function*() {
        const env = {
          OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attributes,deployment.environment=prod%20eu,team=a",
          OTEL_SERVICE_NAME: "from-env"
        }
        const fromEnv = yield* resolveWith(env)
        expect(fromEnv.resource[0]).toEqual(["service.name", "from-env"])
        expect(resource(fromEnv)).toMatchObject({ "deployment.environment": "prod eu", team: "a" })

        const fromAttributesOnly = yield* resolveWith({ OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attributes" })
        expect(fromAttributesOnly.resource[0]).toEqual(["service.name", "from-attributes"])

        const fromOptions = yield* resolveWith(env, {
          serviceName: "checkout",
          serviceVersion: "1.2.3",
          resourceAttributes: { team: "b", replicas: 3, canary: true }
        })
        expect(fromOptions.resource.slice(0, 2)).toEqual([["service.name", "checkout"], ["service.version", "1.2.3"]])
        expect(resource(fromOptions)).toMatchObject({ team: "b", replicas: 3, canary: true })
      }))
  })

  describe("secrets", () => {
    it.effect("should never show a token in the resolved configuration", () =>
      Effect.gen(function*() {
        const resolved = yield* resolveWith({
          DT_URL: "https://abc.live.dynatrace.com",
          DT_API_TOKEN: token,
          OTEL_EXPORTER_OTLP_HEADERS: `x-other=${token}`
        }, { headers: { "x-plain": token } })
        const target = otlp(resolved)
        // The values are really there, only hidden.
        expect(Object.values(headerValues(target))).toEqual([token, token, `Api-Token ${token}`])
        for (const value of [resolved, target, target.headers]) {
          for (const text of renderings(value)) expect(text).not.toContain("SECRETSECRET")
        }
        expect(JSON.stringify(resolved)).toContain("<redacted")
      }))

    it.effect("should never put a token in an error message", () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<Record<string, string>> = [
          // A pasted "Name: value" header puts the token into the name.
          { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: `Authorization: ${token}=x` },
          { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: `Authorization=${token}%zz` },
          { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: `Authorization ${token}` },
          { OTEL_EXPORTER_OTLP_ENDPOINT: `${token}` },
          { DT_URL: `https://${token}@abc.live.dynatrace.com`, DT_API_TOKEN: token }
        ]
        for (const env of cases) {
          const error = yield* Effect.flip(resolveWith(env))
          expect(error._tag).toBe("ExportConfigError")
          for (const text of [error.message, ...renderings(error)]) expect(text).not.toContain("SECRETSECRET")
        }
        const header = yield* Effect.flip(
          resolveWith({}, { endpoint: "http://c:4318", headers: { "x-bad": `${token}\r\nInjected: 1` } })
        )
        expect(header.message).toBe("headers: header 1 has a value with a line break or NUL")
        for (const text of renderings(header)) expect(text).not.toContain("SECRETSECRET")
      }))
  })
})

describe("the SDK layer with a configuration it cannot use", () => {
  // In a folder of its own: the fallback is the default file, relative to the working directory.
  const initResultWith = (env: Record<string, string>, options?: OneAgentSdkOptions) =>
    OneAgentSdk.use((sdk) => Effect.succeed(sdk.initResult)).pipe(
      Effect.provide(OneAgentSdk.layer({ export: { shutdownTimeout: 0 }, ...options })),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
      inTempWorkingDir
    )

  it.effect("should fall back to the default file with a warning for every malformed variable, never fail", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ DT_URL: "https://abc.live.dynatrace.com" }, "DT_URL"],
        [{ DT_API_TOKEN: token }, "DT_API_TOKEN"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "novalue" }, "HEADERS"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }, "TIMEOUT"],
        [{ OTEL_RESOURCE_ATTRIBUTES: "novalue" }, "OTEL_RESOURCE_ATTRIBUTES"],
        [{ ONEAGENT_CONSOLE: "maybe" }, "ONEAGENT_CONSOLE"]
      ]
      for (const [env, setting] of cases) {
        const result = yield* initResultWith(env)
        expect(result.status, setting).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
        expect(result.error).toContain(setting)
        expect(result.error).toContain(Path.join(".traces", "traces.jsonl"))
        expect(result.error).not.toContain("SECRETSECRET")
      }
    }))

  it.effect("should keep a target set in the options when an unrelated variable is malformed", () =>
    Effect.gen(function*() {
      const result = yield* initResultWith(
        { ONEAGENT_CONSOLE: "maybe" },
        { export: { tracesEndpoint: "http://127.0.0.1:9/v1/traces", shutdownTimeout: 0 } }
      )
      expect(result.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
      expect(result.error).toContain("ONEAGENT_CONSOLE")
      expect(result.error).toContain("exporting to the target of the options, without the environment")
    }))

  it.effect("should keep the target of the environment when the export options cannot be used", () =>
    Effect.gen(function*() {
      const file = Path.join(Os.tmpdir(), `effect-oneagent-env-target-${process.pid}.jsonl`)
      const result = yield* initResultWith({ ONEAGENT_TRACES_FILE: file }, { export: { file: 5 as never } })
      expect(result.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
      expect(result.error).toBe(`file: must be a string; exporting to the file ${file} instead`)
      const endpoint = yield* initResultWith(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:9/v1/traces" },
        { export: { endpoint: 5 as never, shutdownTimeout: 0 } }
      )
      expect(endpoint.error).toBe("endpoint: must be a string; exporting to the target of the environment, without the options")
    }))

  it.effect("should take the defaults, with status 1, for a sampler or export options that throw or cannot be used", () =>
    Effect.gen(function*() {
      const throwing = (name: string) => Object.defineProperty({}, name, { get: () => { throw new Error("boom") }, enumerable: true })
      const cases: ReadonlyArray<readonly [OneAgentSdkOptions, string]> = [
        [{ sampler: throwing("ratio") as never }, "the sampler could not be read"],
        [{ sampler: { name: "bogus" } as never }, "unknown sampler"],
        [{ export: throwing("file") as never }, "export: the options or the environment could not be read"]
      ]
      for (const [options, expected] of cases) {
        const result = yield* initResultWith({}, { ...options, export: options.export ?? { shutdownTimeout: 0 } })
        expect(result.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
        expect(result.error).toContain(expected)
      }
    }))

  it.effect("should say when ONEAGENT_SDK_LOG has a value it does not know", () =>
    Effect.gen(function*() {
      const before = process.env.ONEAGENT_SDK_LOG
      process.env.ONEAGENT_SDK_LOG = "loud"
      const result = yield* initResultWith({}).pipe(
        Effect.ensuring(Effect.sync(() => {
          if (before === undefined) delete process.env.ONEAGENT_SDK_LOG
          else process.env.ONEAGENT_SDK_LOG = before
        }))
      )
      expect(result.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
      expect(result.error).toContain(`ONEAGENT_SDK_LOG must be "finest" or "off"`)
    }))

  it.effect("should name the setting and the problem in InitResult.error, never a value that may hold a secret", () =>
    Effect.gen(function*() {
      const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        // "Name: value" pasted with a broken escape in the value: the key holds the token.
        [{ ...endpoint, OTEL_EXPORTER_OTLP_HEADERS: `Authorization: Api-Token ${token}=%zz` }, "entry 1 has a value"],
        // A header name that passes as one (a token is made of token characters), with a value HTTP cannot send.
        [{ ...endpoint, OTEL_EXPORTER_OTLP_HEADERS: `${token}=a%0Ab` }, "entry 1 has a value with a line break"],
        [{ ...endpoint, OTEL_EXPORTER_OTLP_HEADERS: `${token}=%C3%A9%E2%82%AC` }, "entry 1 has a value with characters"],
        [{ OTEL_RESOURCE_ATTRIBUTES: `${token}=%zz` }, "entry 1 has a value"],
        // The token where the URL belongs parses as a URL whose scheme is the token (lower-cased).
        [{ DT_URL: `${token}:x`, DT_API_TOKEN: token }, "DT_URL: must be an http or https URL"],
        [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${token}:443` }, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http"]
      ]
      for (const [env, problem] of cases) {
        const result = yield* initResultWith(env)
        expect(result.status, problem).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
        expect(result.error).toContain(problem)
        expect(result.error!.toLowerCase()).not.toContain("secretsecret")
      }
    }))

  it.effect("should refuse a plain-string API token from an untyped caller without showing it", () =>
    Effect.gen(function*() {
      const dynatrace = { url: "https://abc.live.dynatrace.com", apiToken: token as unknown as Redacted.Redacted }
      const error = yield* Effect.flip(resolveWith({}, { dynatrace }))
      expect(error.message).toContain("must be a Redacted string")
      const result = yield* initResultWith({}, { export: { dynatrace, shutdownTimeout: 0 } })
      expect(result.status).toBe(InitResult.STATUS_INITIALIZED_WITH_WARNING)
      expect(result.error).toContain("dynatrace.apiToken")
      expect(result.error).not.toContain("SECRETSECRET")
    }))
})
