// The README's and docs/'s TypeScript examples compile as a user copies them: every ```ts block that is a whole
// module (it starts with an import) is type-checked with the project's strict settings, "effect-oneagent" being this
// package.
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { typeProblems } from "./support/typecheck.ts"

const root = Path.resolve(import.meta.dirname, "..")

const moduleBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.trimStart().startsWith("import"))

const pages = ["README.md", ...Fs.readdirSync(Path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]

describe("README and docs/", () => {
  it("every TypeScript example that is a whole module type-checks", () => {
    const byPage = pages.map((page) => ({ page, blocks: moduleBlocks(Fs.readFileSync(Path.join(root, page), "utf8")) }))
    expect(byPage.find((p) => p.page === "README.md")!.blocks.length).toBeGreaterThanOrEqual(4)
    expect(byPage.find((p) => p.page === "docs/tracers.md")!.blocks.length).toBeGreaterThanOrEqual(7)
    const blocks = byPage.flatMap((p) => p.blocks)
    expect(blocks.length).toBeGreaterThanOrEqual(14)
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
      expect(typeProblems(files, dir)).toEqual([])
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
