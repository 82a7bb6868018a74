// The public types as a user's editor shows them: the declarations `npm pack` ships (tsconfig.build.json), emitted
// here to a temporary folder. Every member of the SDK service is documented there and no internal member shows.
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "..")
const outDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-dts-"))
afterAll(() => Fs.rmSync(outDir, { recursive: true, force: true }))

const emitDeclarations = (): void => {
  const config = ts.getParsedCommandLineOfConfigFile(Path.join(root, "tsconfig.build.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    }
  })!
  const program = ts.createProgram(config.fileNames, {
    ...config.options,
    outDir,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false
  })
  const result = program.emit()
  expect(result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([])
}

// The members of `interface <name>` in a declaration file, each with its JSDoc (empty when it has none).
const membersOf = (file: string, name: string): Array<{ readonly name: string; readonly doc: string }> => {
  const source = ts.createSourceFile(file, Fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const found = source.statements.find((s): s is ts.InterfaceDeclaration =>
    ts.isInterfaceDeclaration(s) && s.name.text === name
  )
  expect(found, `interface ${name} in ${Path.basename(file)}`).toBeDefined()
  return found!.members.map((member) => ({
    name: member.name?.getText(source) ?? "(unnamed)",
    doc: ts.getJSDocCommentsAndTags(member).map((d) => d.getText(source)).join("\n")
  }))
}

describe("the shipped type declarations", () => {
  it("document every member of the SDK service, and show no internal member", () => {
    emitDeclarations()
    const members = membersOf(Path.join(outDir, "OneAgentSdk.d.ts"), "Service")
    expect(members.length).toBeGreaterThanOrEqual(28)
    expect(members.filter((m) => m.doc.trim() === "").map((m) => m.name)).toEqual([])
    expect(members.filter((m) => m.name.startsWith("[") || m.name.startsWith("_")).map((m) => m.name)).toEqual([])
    // The public modules' declarations (internal/ is reachable only through them, never by a user's import).
    const publicFiles = Fs.readdirSync(outDir).filter((f) => f.endsWith(".d.ts"))
    expect(publicFiles).toContain("index.d.ts")
    for (const file of publicFiles) {
      expect(Fs.readFileSync(Path.join(outDir, String(file)), "utf8"), String(file)).not.toMatch(/RuntimeKey|documented on/)
    }
  }, 60_000)
})
