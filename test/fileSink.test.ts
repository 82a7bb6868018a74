// The traces file on disk: what it holds is request data, so it is private to the process's user, never written
// through a symlink or into another user's file, bounded by rotation, and a fallback to it is said, not silent.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { OneAgentSdk } from "../src/index.ts"
import * as FileSink from "../src/internal/fileSink.ts"
import { decodeJson, withSdk } from "./support/otlp.ts"
import { inTempWorkingDir, tempDir } from "./support/workingDir.ts"

const traceOne = Effect.void.pipe(OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
const mode = (path: string) => Fs.statSync(path).mode & 0o777

describe("the traces file", () => {
  it.live("is created 0600 in a folder created 0700, whatever the umask", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = Path.join(dir, "new", "deeper", "traces.jsonl")
      const umask = process.umask(0)
      try {
        yield* withSdk({ export: { file } }, () => traceOne)
      } finally {
        process.umask(umask)
      }
      expect(mode(file)).toBe(0o600)
      expect(mode(Path.dirname(file))).toBe(0o700)
      expect(mode(Path.join(dir, "new"))).toBe(0o700)
      expect(decodeJson(Fs.readFileSync(file, "utf8").split("\n")[0]!).spans.map((s) => s.name)).toEqual(["s/m"])
    }))

  it.live("is never written through a symlink: the target stays as it was, and a diagnostic says why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const victim = Path.join(dir, "victim.txt")
      Fs.writeFileSync(victim, "precious\n")
      const file = Path.join(dir, "traces.jsonl")
      Fs.symlinkSync(victim, file)
      const run = yield* withSdk({ export: { file } }, () => traceOne)
      expect(Fs.readFileSync(victim, "utf8")).toBe("precious\n")
      expect(Fs.lstatSync(file).isSymbolicLink()).toBe(true)
      expect(run.diagnostics.filter((d) => d.includes("traces file"))).toEqual([
        expect.stringContaining(`cannot open the traces file ${file} (it is a symbolic link)`)
      ])
    }))

  it.live("is not appended to when another user owns it", () =>
    Effect.gen(function*() {
      // Run as root here (CI too), which may hand a file to another user; a plain user cannot, and is not at risk of
      // writing into root's file anyway (EACCES).
      expect(process.getuid?.(), "this test creates a file owned by another user: run it as root").toBe(0)
      const dir = yield* tempDir
      const file = Path.join(dir, "traces.jsonl")
      Fs.writeFileSync(file, "theirs\n", { mode: 0o666 })
      Fs.chownSync(file, 65534, 65534)
      const run = yield* withSdk({ export: { file } }, () => traceOne)
      expect(Fs.readFileSync(file, "utf8")).toBe("theirs\n")
      expect(run.diagnostics.filter((d) => d.includes("traces file"))).toEqual([
        expect.stringContaining("(it belongs to another user)")
      ])
    }))

  it.live("is rotated past its bound: the full file becomes <file>.1, replacing an older one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = Path.join(dir, "traces.jsonl")
      const diagnostics: Array<string> = []
      const sink = FileSink.open(file, { maxBytes: 100, diagnostic: (m) => diagnostics.push(m) })
      const line = (c: string) => new TextEncoder().encode(c.repeat(39))
      for (const c of ["a", "b", "c", "d", "e"]) expect(sink.write(line(c))).toBe(true)
      sink.close()
      // 40 bytes a line, 100 at most a file: two lines each, the oldest (a, b) rotated away.
      expect(Fs.readFileSync(`${file}.1`, "utf8")).toBe(`${"c".repeat(39)}\n${"d".repeat(39)}\n`)
      expect(Fs.readFileSync(file, "utf8")).toBe(`${"e".repeat(39)}\n`)
      expect(mode(file)).toBe(0o600)
      expect(diagnostics).toEqual([])
      expect(FileSink.defaultMaxBytes).toBe(100 * 1024 * 1024)
    }))

  it.live("a target that cannot be used falls back to the file, said in InitResult.error and once as a diagnostic", () =>
    Effect.gen(function*() {
      const run = yield* inTempWorkingDir(
        withSdk({ export: { endpoint: "not a url" } }, (sdk) => Effect.succeed(sdk.initResult))
      )
      expect(run.result.status).toBe(1)
      expect(run.result.error).toContain("exporting to the file")
      expect(run.diagnostics.filter((d) => d.includes("exporting to the file"))).toHaveLength(1)
    }))
})
