// Packaging: the package must work from its prebuilt N-API binary with no install step (current npm runs
// dependencies' install scripts only once approved), as compiled JavaScript from dist/, on every supported Node.
// Each test runs real processes: Node with PREBUILDS_ONLY, `npm pack`, `npm install --ignore-scripts` of the
// tarball into a fresh project, and the same prebuild under Node 22, 24 and 26.
import { execFile } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const exec = promisify(execFile)
const root = fileURLToPath(new URL("..", import.meta.url))
const fixtures = join(root, "test", "fixtures", "packaging")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const effectVersion: string =
  JSON.parse(readFileSync(join(root, "node_modules", "effect", "package.json"), "utf8")).version
// Node 24 from devDependencies, whichever Node runs vitest.
const node24 = join(root, "node_modules", ".bin", "node")
const platform = `${process.platform}-${process.arch}`
// The binary this machine loads (linux-x64, glibc); the package holds one per target.
const prebuild = join("prebuilds", platform, "effect-oneagent.glibc.node")
const prebuilds = readdirSync(join(root, "prebuilds"), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".node"))
  .map((file) => join("prebuilds", file))
  .sort()

// npm exports its own settings to the scripts it runs (npm_config_local_prefix, npm_package_*, ...): a nested
// npm would take them as its own and act on this repository, so children get the environment without them. Nor do
// they get the engine choice of `npm run test:wasm` (ONEAGENT_ENGINE): these tests are about the shipped binaries,
// and the last one about the WebAssembly engine taking over without one.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "ONEAGENT_ENGINE")
)

const run = async (command: string, args: ReadonlyArray<string>, options: { cwd: string; env?: NodeJS.ProcessEnv }) => {
  try {
    return await exec(command, args, { cwd: options.cwd, env: options.env ?? env, maxBuffer: 16 << 20 })
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`)
  }
}

interface SmokeSpan {
  readonly name: string
  readonly kind: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | null
  readonly attributes: Record<string, unknown>
}

interface SdkState {
  readonly initResult: { readonly status: number; readonly error?: string }
  readonly agentState: number
  readonly agentFound: boolean
  readonly agentIsCompatible: boolean
  readonly agentVersionString: string
  readonly engine: "native" | "wasm" | "none"
}

interface Smoke {
  readonly node: string
  readonly napi: string
  readonly inMemory: {
    readonly sdk: SdkState
    readonly tag: string
    readonly spans: ReadonlyArray<SmokeSpan>
    readonly openSpans: ReadonlyArray<string>
  }
  readonly exported: { readonly sdk: SdkState; readonly spanNames: ReadonlyArray<string> }
  readonly diagnostics: ReadonlyArray<string>
  readonly nativeModules: ReadonlyArray<string>
}

let smokeRuns = 0

// Runs smoke.mjs from `scriptDir` (where "effect" and the library resolve), with the OTLP/JSON file in `cwd`, and
// parses the JSON line it prints.
const smoke = async (
  scriptDir: string,
  cwd: string,
  command: ReadonlyArray<string>,
  specifier: string,
  extraEnv: NodeJS.ProcessEnv = {}
): Promise<Smoke> => {
  const script = join(scriptDir, "smoke.mjs")
  const traces = join(cwd, `traces-${++smokeRuns}.jsonl`)
  const [file, ...args] = command
  const { stdout } = await run(file!, [...args, script, specifier, traces], { cwd, env: { ...env, ...extraEnv } })
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Smoke
}

// What every smoke run must show: the engine loaded from `nativeModule` (undefined: the WebAssembly engine, and no
// native module), and one trace recorded in memory and exported to the OTLP/JSON file.
const expectTraced = (result: Smoke, nativeModule: string | undefined) => {
  for (const sdk of [result.inMemory.sdk, result.exported.sdk]) {
    expect(sdk).toEqual({
      initResult: { status: 0 },
      agentState: 0,
      agentFound: true,
      agentIsCompatible: true,
      // ExportConfig.sdkVersion (the first half) must be kept in step with package.json.
      agentVersionString: expect.stringMatching(new RegExp(
        `^${pkg.version.replaceAll(".", "\\.")}/\\d+\\.\\d+\\.\\d+${nativeModule === undefined ? " \\(wasm\\)" : ""}$`
      )),
      engine: nativeModule === undefined ? "wasm" : "native"
    })
  }
  expect(result.nativeModules).toEqual(nativeModule === undefined ? [] : [nativeModule])
  const { openSpans, spans, tag } = result.inMemory
  expect(openSpans).toEqual([])
  expect(spans.map((s) => [s.name, s.kind])).toEqual([["Payments/charge", "client"], ["Orders/placeOrder", "server"]])
  const [client, server] = spans as [SmokeSpan, SmokeSpan]
  expect(server.parentSpanId).toBeNull()
  expect(client.parentSpanId).toBe(server.spanId)
  expect(client.traceId).toBe(server.traceId)
  expect(tag).toBe(`00-${client.traceId}-${client.spanId}-01`)
  expect(server.attributes["order.id"]).toBe(7)
  expect([...result.exported.spanNames].sort()).toEqual(["Orders/placeOrder", "Payments/charge"])
}

describe("packaging", () => {
  describe("prebuild only", () => {
    let dir: string
    beforeAll(() => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), "effect-oneagent-prebuild-")))
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it("loads the engine from prebuilds/ with PREBUILDS_ONLY=1 (build/ ignored) and traces", async () => {
      expect(existsSync(join(root, prebuild)), `${prebuild} is missing: run npm run prebuild:all`).toBe(true)
      const result = await smoke(fixtures, dir, [node24], pathToFileURL(join(root, "src", "index.ts")).href, {
        PREBUILDS_ONLY: "1"
      })
      expect(result.node.split(".")[0]).toBe("24")
      expectTraced(result, join(root, prebuild))
    }, 30_000)
  })

  describe("installed tarball", () => {
    let dir: string
    let project: string
    let packed: ReadonlyArray<string>

    // npm pack (prepack compiles dist/), then a fresh ESM project installs the tarball with install scripts off.
    beforeAll(async () => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), "effect-oneagent-pack-")))
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: root })
      const [manifest] = JSON.parse(stdout) as [{ filename: string; files: Array<{ path: string }> }]
      packed = manifest.files.map((f) => f.path)
      project = join(dir, "project")
      mkdirSync(project)
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
      copyFileSync(join(fixtures, "smoke.mjs"), join(project, "smoke.mjs"))
      await run("npm", [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        join(dir, manifest.filename),
        `effect@${effectVersion}`
      ], { cwd: project })
    }, 180_000)
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it("holds the compiled library, its types and the prebuild, not the build tree or the tests", () => {
      expect(packed).toEqual(expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/index.js",
        "dist/index.d.ts",
        // The WebAssembly engine, embedded: the fallback where no prebuild loads.
        "dist/internal/wasm/module.js",
        prebuild,
        // For the build-from-source fallback.
        "binding.gyp",
        "native/addon.cc"
      ]))
      expect(packed.filter((p) => /^(build|test|examples|bench|node_modules|\.ci|\.traces)\//.test(p))).toEqual([])
      expect(prebuilds).toContain(prebuild)
      expect(packed.filter((p) => p.endsWith(".node")).sort()).toEqual(prebuilds)
      // Every file the exports map names is in the tarball.
      const targets = [pkg.exports["."].types, pkg.exports["."].default, pkg.exports["./package.json"]]
      for (const target of targets) expect(packed).toContain(target.replace(/^\.\//, ""))
    })

    it("installs with --ignore-scripts and traces under Node 24 from the prebuild", async () => {
      const installed = join(project, "node_modules", "effect-oneagent")
      expect(existsSync(join(installed, "build")), "nothing was built at install").toBe(false)
      const result = await smoke(project, project, [node24], "effect-oneagent")
      expect(result.node.split(".")[0]).toBe("24")
      expectTraced(result, join(installed, prebuild))
    }, 30_000)

    it("exposes the public modules and hides the internal ones", async () => {
      const { stdout } = await run(node24, [
        "--input-type=module",
        "-e",
        `const { ExportConfig } = await import("effect-oneagent")
         const hidden = (specifier) => import(specifier).then(() => "exported", (e) => e.code)
         console.log(JSON.stringify({
           sdkName: ExportConfig.sdkName,
           module: await hidden("effect-oneagent/ExportConfig"),
           internal: await hidden("effect-oneagent/internal/addon"),
           viewer: await hidden("effect-oneagent/viewer/cli")
         }))`
      ], { cwd: project })
      expect(JSON.parse(stdout)).toEqual({
        sdkName: "effect-oneagent",
        module: "ERR_PACKAGE_PATH_NOT_EXPORTED",
        internal: "ERR_PACKAGE_PATH_NOT_EXPORTED",
        viewer: "ERR_PACKAGE_PATH_NOT_EXPORTED"
      })
    }, 30_000)

    it("type-checks a TypeScript consumer against dist/*.d.ts", async () => {
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: []
          },
          files: ["consumer.ts"]
        })
      )
      // IsAny guards against declarations that fail to resolve and silently become `any`.
      writeFileSync(
        join(project, "consumer.ts"),
        `import { Effect } from "effect"
import { ChannelType, ExportConfig, InitResult, OneAgentSdk, OneAgentTest, RemoteCall } from "effect-oneagent"

type IsAny<T> = 0 extends 1 & T ? true : false
const program: Effect.Effect<number, never, OneAgentSdk> = Effect.succeed(1).pipe(
  OneAgentSdk.traceOutgoingRemoteCall({
    method: "charge",
    service: "Payments",
    endpoint: "rpc://payments",
    channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
  })
)
const notAny: [IsAny<typeof OneAgentSdk>, IsAny<typeof InitResult.STATUS_INITIALIZED>, IsAny<OneAgentTest.Service>] = [
  false,
  false,
  false
]
const status: 0 = InitResult.STATUS_INITIALIZED
const file: string = ExportConfig.defaultFile
// The family module and the static on the service are the same combinator.
const same: typeof RemoteCall.traceOutgoing = OneAgentSdk.traceOutgoingRemoteCall
export const all = [program, notAny, status, file, same, OneAgentTest.layer()]
`
      )
      await run(node24, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
        cwd: project
      })
    }, 60_000)

    // `npx -p node@<major>` fetches that Node from the npm registry the first time (about 10 s), then reuses it.
    it.each(["22", "26"])("loads the same N-API prebuild under Node %s", async (major) => {
      const installed = join(project, "node_modules", "effect-oneagent")
      const npxNode = ["npx", "-y", "-p", `node@${major}`, "--", "node"]
      const result = await smoke(project, project, npxNode, "effect-oneagent")
      expect(result.node.split(".")[0]).toBe(major)
      expectTraced(result, join(installed, prebuild))
    }, 90_000)

    it("installs with install scripts on where no prebuild matches and no compiler exists, then traces on WebAssembly", async () => {
      // The tarball without its prebuilds (what a platform without one sees), installed by an npm that runs install
      // scripts, on a PATH with node, npm and the shell npm runs scripts with: no python3, make or C++ compiler.
      const bare = join(dir, "bare")
      mkdirSync(bare)
      const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!
      await run("tar", ["-xzf", join(dir, tarball), "-C", bare], { cwd: dir })
      rmSync(join(bare, "package", "prebuilds"), { recursive: true, force: true })
      await run("tar", ["-czf", join(dir, "bare.tgz"), "-C", bare, "package"], { cwd: dir })
      const tools = join(dir, "only-node")
      mkdirSync(tools)
      symlinkSync(node24, join(tools, "node"))
      const npm = (await run("sh", ["-c", "command -v npm"], { cwd: dir })).stdout.trim()
      symlinkSync(realpathSync(npm), join(tools, "npm"))
      symlinkSync("/bin/sh", join(tools, "sh"))
      const scripted = join(dir, "scripted")
      mkdirSync(scripted)
      writeFileSync(join(scripted, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
      copyFileSync(join(fixtures, "smoke.mjs"), join(scripted, "smoke.mjs"))
      const { stderr } = await run(join(tools, "npm"), [
        "install",
        "--foreground-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        join(dir, "bare.tgz"),
        `effect@${effectVersion}`
      ], { cwd: scripted, env: { ...env, PATH: tools, npm_config_nodedir: "" } })
      // The install script ran, could not build, and said so in one line.
      const said = stderr.split("\n").filter((line) => line.includes("effect-oneagent:"))
      expect(said).toEqual([expect.stringContaining("the WebAssembly engine traces instead")])
      expect(existsSync(join(scripted, "node_modules", "effect-oneagent", "build", "Release"))).toBe(false)
      const result = await smoke(scripted, scripted, [node24], "effect-oneagent")
      expectTraced(result, undefined)
    }, 180_000)

    // Last: it takes the prebuilds away from the installed package.
    it("without a prebuild that loads, the WebAssembly engine from dist/ takes over: InitResult 0", async () => {
      const installed = join(project, "node_modules", "effect-oneagent")
      rmSync(join(installed, "prebuilds"), { recursive: true, force: true })
      const result = await smoke(project, project, [node24], "effect-oneagent")
      expectTraced(result, undefined)
      expect(result.diagnostics).toHaveLength(1)
      expect(result.diagnostics[0]).toContain("The effect-oneagent native engine could not be loaded")
      expect(result.diagnostics[0]).toContain("The WebAssembly engine runs instead")
    }, 30_000)
  })
})
