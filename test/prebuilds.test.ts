// The committed prebuilds are what ships: each must be built from the native sources of this commit (else:
// npm run prebuild:all), and the four Linux ones must all be there. That each runs on its own platform is checked
// by scripts/platforms/verify.sh in .ci/run (arm64 under qemu, musl in a musl-only root).
import { describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { candidates } from "../src/internal/addon.ts"

const root = join(import.meta.dirname, "..")
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex")

// scripts/platforms/lib.sh `engine_source_hash`: "<sha256 of content>  <name>\n" for native/*.cc and native/*.h, in
// byte order of the name.
const sourceHash = (): string => {
  const dir = join(root, "native")
  const files = readdirSync(dir).filter((f) => f.endsWith(".cc") || f.endsWith(".h")).sort()
  return sha256(files.map((f) => `${sha256(readFileSync(join(dir, f)))}  ${f}\n`).join(""))
}

const shipped = readdirSync(join(root, "prebuilds"), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".node"))
  .sort()

describe("the committed prebuilds", () => {
  it("are the four Linux targets, tagged by C library", () => {
    expect(shipped).toEqual([
      "linux-arm64/effect-oneagent.glibc.node",
      "linux-arm64/effect-oneagent.musl.node",
      "linux-x64/effect-oneagent.glibc.node",
      "linux-x64/effect-oneagent.musl.node"
    ])
  })

  it.each(shipped)("%s is built from the current native/ sources (else: npm run prebuild:all)", (file) => {
    // Every target embeds the hash its sources had (-DENGINE_SOURCE_HASH); only this machine's can also be asked.
    expect(readFileSync(join(root, "prebuilds", file)).includes(Buffer.from(sourceHash())), file).toBe(true)
  })

  it("the one for this machine loads and reports that hash itself", () => {
    const module = { exports: {} as { engine_version(): [string, number, string] } }
    process.dlopen(module, join(root, "prebuilds", "linux-x64", "effect-oneagent.glibc.node"))
    expect(module.exports.engine_version()[2]).toBe(sourceHash())
    // And it is the prebuild the library's loader tries here (after a local build, in a checkout).
    expect(candidates().at(-1)).toBe(join(root, "prebuilds", "linux-x64", "effect-oneagent.glibc.node"))
  })
})
