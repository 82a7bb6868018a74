// The examples in the public modules' documentation run as a user copies them: every ```ts block in a JSDoc comment
// of src/*.ts is type-checked with the project's strict settings, then run in a process of its own; what it prints
// must match its `// =>` comments, in order.
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { typeProblems } from "./support/typecheck.ts"

const root = Path.resolve(import.meta.dirname, "..")
const src = Path.join(root, "src")
const exec = promisify(execFile)

interface Example {
  readonly module: string
  readonly code: string
  /** The `// =>` comments, in order: what the example prints. */
  readonly expected: ReadonlyArray<string>
}

const examples: ReadonlyArray<Example> = Fs.readdirSync(src)
  .filter((file) => file.endsWith(".ts"))
  .flatMap((file) => {
    const text = Fs.readFileSync(Path.join(src, file), "utf8")
    return [...text.matchAll(/\/\*\*([\s\S]*?)\*\//g)].flatMap((comment) =>
      [...comment[1]!.matchAll(/```ts\n([\s\S]*?)```/g)].map((block) => {
        const code = block[1]!.split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join("\n")
        const expected = [...code.matchAll(/\/\/ => (.*)$/gm)].map((m) => m[1]!.trim())
        return { module: file, code, expected }
      })
    )
  })
  .filter((example) => example.code.trimStart().startsWith("import"))

// console.log prints strings bare and quotes nested strings with single quotes; the comments use JSON's spelling.
const normalize = (text: string) => text.trim().replace(/^"(.*)"$/, "$1").replaceAll("'", "\"")

describe("documentation examples", () => {
  // Outside the checkout (Node strips types only outside node_modules), with the project's packages linked in so
  // "effect" resolves as it does for a user.
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-docs-"))
  Fs.symlinkSync(Path.join(root, "node_modules"), Path.join(dir, "node_modules"), "dir")
  Fs.writeFileSync(Path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
  const files = examples.map((example, i) => {
    const file = Path.join(dir, `${example.module.replace(/\.ts$/, "")}-${i + 1}.ts`)
    Fs.writeFileSync(
      file,
      example.code.replace(/"effect-oneagent"/g, JSON.stringify(Path.relative(dir, Path.join(src, "index.ts"))))
    )
    return file
  })

  it("there is one for each tracer family at least, and every one type-checks", () => {
    const modules = new Set(examples.map((e) => e.module))
    for (const module of ["RemoteCall.ts", "CustomService.ts", "InProcessLink.ts", "RequestAttributes.ts", "Database.ts",
      "WebRequest.ts", "Messaging.ts", "TraceContext.ts", "OneAgentSdk.ts"]) {
      expect(modules, module).toContain(module)
    }
    expect(typeProblems(files, dir)).toEqual([])
  }, 60_000)

  it.each(examples.map((example, i) => [Path.basename(files[i]!), example, files[i]!] as const))(
    "%s runs and prints what it says",
    async (_, example, file) => {
      // An example that exports to the default file writes it into a folder of its own.
      const cwd = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-docs-run-"))
      try {
        const { stdout } = await exec(process.execPath, [file], { cwd, timeout: 30_000 })
        // Effect's log lines (`[12:00:00.000] INFO (#1): ...`) are not results.
        const printed = stdout.split("\n")
          .filter((line) => line.trim() !== "" && !/^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+ /.test(line))
          .map(normalize)
        expect(printed).toEqual(example.expected.map(normalize))
      } finally {
        Fs.rmSync(cwd, { recursive: true, force: true })
      }
    },
    40_000
  )

  it("cleans up", () => {
    Fs.rmSync(dir, { recursive: true, force: true })
  })
})
