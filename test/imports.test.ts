// The shape of the sources, as the import graph shows it: public modules delegate to internal ones, never the other
// way round; no import circle; and the export worker, which must start fast, loads no Effect runtime. Type-only
// imports (`import type`) are erased, so only imports that run count.
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const src = fileURLToPath(new URL("../src", import.meta.url))

const files = (readdirSync(src, { recursive: true, encoding: "utf8" }) as Array<string>)
  .filter((file) => file.endsWith(".ts"))
  .map((file) => join(src, file))

// The modules a file imports at run time: a relative path resolved to its file, or a package name.
const runtimeImports = (file: string): Array<string> => {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest)
  const out: Array<string> = []
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly !== true) {
      specifier = statement.moduleSpecifier
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
      specifier = statement.moduleSpecifier
    }
    if (specifier === undefined || !ts.isStringLiteral(specifier)) continue
    const name = specifier.text
    out.push(name.startsWith(".") ? resolve(dirname(file), name) : name)
  }
  return out
}

const graph = new Map(files.map((file) => [file, runtimeImports(file)]))
const name = (file: string) => relative(src, file)
const isInternal = (file: string) => name(file).startsWith("internal/")

describe("the import graph of src/", () => {
  it("internal modules import no public module at run time (public → internal → binary)", () => {
    const upward = [...graph].flatMap(([file, imports]) =>
      isInternal(file) ? imports.filter((i) => i.startsWith(src) && !isInternal(i)).map((i) => `${name(file)} → ${name(i)}`) : []
    )
    expect(upward).toEqual([])
  })

  it("has no import circle", () => {
    const cycles: Array<string> = []
    const state = new Map<string, "visiting" | "done">()
    const visit = (file: string, path: Array<string>) => {
      if (state.get(file) === "done") return
      if (state.get(file) === "visiting") {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(" → "))
        return
      }
      state.set(file, "visiting")
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file])
      state.set(file, "done")
    }
    for (const file of graph.keys()) visit(file, [])
    expect(cycles).toEqual([])
  })

  it("the export worker loads no Effect runtime: it starts in milliseconds", () => {
    const reached = new Set<string>()
    const walk = (file: string) => {
      for (const next of graph.get(file) ?? []) {
        if (reached.has(next)) continue
        reached.add(next)
        walk(next)
      }
    }
    walk(join(src, "internal", "exportWorker.ts"))
    expect([...reached].filter((module) => module === "effect" || module.startsWith("effect/"))).toEqual([])
  })
})
