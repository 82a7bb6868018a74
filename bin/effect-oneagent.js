#!/usr/bin/env node
// The package's command: `effect-oneagent view <file.jsonl> [-o out.html]`.
//
// Plain JavaScript, so it runs on any supported Node without TypeScript type stripping: it loads the compiled
// viewer from dist/ (built by `npm run build:ts`, shipped in the package). In a source checkout it loads
// src/ instead when dist/ is missing or older than src/ and this Node strips types. EFFECT_ONEAGENT_VIEWER_SOURCE=1
// forces src/, =0 forces dist/.
import { existsSync, readdirSync, statSync } from "node:fs"

const compiled = new URL("../dist/viewer/cli.js", import.meta.url)
const source = new URL("../src/viewer/cli.ts", import.meta.url)

const mtime = (url) => statSync(url).mtimeMs
const newestSource = () => {
  const dir = new URL("../src/viewer/", import.meta.url)
  return Math.max(...readdirSync(dir).map((name) => mtime(new URL(name, dir))))
}

const chooseSource = () => {
  const forced = process.env.EFFECT_ONEAGENT_VIEWER_SOURCE
  if (forced === "1") return true
  if (forced === "0") return false
  // Installed as a dependency: Node never strips types under node_modules.
  if (import.meta.url.includes("/node_modules/")) return false
  if (!existsSync(compiled)) return true
  if (!existsSync(source) || !process.features?.typescript) return false
  return newestSource() > mtime(compiled)
}

const useSource = chooseSource()
let cli
try {
  cli = await import(useSource ? source.href : compiled.href)
} catch (error) {
  const hint = useSource ? "run `npm run build:ts`, or use a Node that strips types (>= 22.18)" : "reinstall the package"
  process.stderr.write(`effect-oneagent: cannot load the viewer from ${useSource ? "src/" : "dist/"} (${hint}): ${error?.message ?? error}\n`)
  process.exit(1)
}
process.exitCode = await cli.main(process.argv.slice(2))
