// The README's TypeScript examples compile as a user copies them: every ```ts block that is a whole module (it
// starts with an import) is type-checked with the project's strict settings, "effect-oneagent" being this package.
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "..")

const moduleBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.trimStart().startsWith("import"))

describe("README", () => {
  it("every TypeScript example that is a whole module type-checks", () => {
    const blocks = moduleBlocks(Fs.readFileSync(Path.join(root, "README.md"), "utf8"))
    expect(blocks.length).toBeGreaterThanOrEqual(10)
    // Inside the package, so "effect" and the other dependencies resolve as they do for a user.
    const dir = Fs.mkdtempSync(Path.join(root, "node_modules", ".readme-"))
    try {
      const files = blocks.map((code, i) => {
        const file = Path.join(dir, `block${String(i + 1).padStart(2, "0")}.ts`)
        const src = Path.join(root, "src")
        Fs.writeFileSync(
          file,
          code.replace(
            /"effect-oneagent(\/([A-Za-z]+))?"/g,
            (_, __, sub) => JSON.stringify(Path.relative(dir, Path.join(src, `${sub ?? "index"}.ts`)))
          )
        )
        return file
      })
      const config = ts.getParsedCommandLineOfConfigFile(Path.join(root, "tsconfig.json"), {}, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
        }
      })!
      const program = ts.createProgram(files, { ...config.options, noUnusedLocals: false })
      const problems = ts.getPreEmitDiagnostics(program)
        .filter((d) => d.file !== undefined && d.file.fileName.startsWith(dir))
        .map((d) => {
          const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
          return `${Path.basename(d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
        })
      expect(problems).toEqual([])
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
