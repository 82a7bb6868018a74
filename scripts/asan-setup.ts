// Setup file of scripts/vitest.asan.config.ts, run in every test worker before the test files: every `require` of
// the native addon (the library's loader in src/internal/addon.ts, and tests that require build/Release directly) gets
// the ASan+UBSan build named by ONEAGENT_ASAN_ADDON instead. The library itself is unchanged.
import { readFileSync } from "node:fs"
import Module from "node:module"
import { afterAll } from "vitest"

const target = process.env.ONEAGENT_ASAN_ADDON
if (target === undefined || target === "") {
  throw new Error("ONEAGENT_ASAN_ADDON is not set: run the sanitizer tests with `npm run test:asan`")
}

type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string
const loader = Module as unknown as { _resolveFilename: Resolve }
const resolve = loader._resolveFilename
loader._resolveFilename = function(request, parent, isMain, options) {
  const resolved = resolve.call(this, request, parent, isMain, options)
  return /effect[-_]oneagent\.node$/.test(resolved) ? target : resolved
}

// Guard against a silent fallback: if anything loaded an unsanitized copy of the addon (a loader that bypasses
// require, say), the file fails instead of passing without the sanitizers.
afterAll(() => {
  const loaded = readFileSync("/proc/self/maps", "utf8").split("\n")
    .map((line) => line.trim().split(/\s+/).slice(5).join(" "))
    .filter((path) => /effect[-_]oneagent\.node$/.test(path) && path !== target)
  if (loaded.length > 0) {
    throw new Error(`test:asan: an unsanitized addon was loaded: ${[...new Set(loaded)].join(", ")}`)
  }
})
