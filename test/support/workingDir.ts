// Folders of a test's own: what a layer writes relative to the working directory (the default traces file) goes into
// one of these, never into the checkout.
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** A new temporary folder, removed with the scope. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-oneagent-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Runs `self` with a temporary folder as the working directory, and the previous one again afterwards. */
export const inTempWorkingDir = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = yield* tempDir
    const previous = process.cwd()
    yield* Effect.acquireRelease(Effect.sync(() => process.chdir(dir)), () => Effect.sync(() => process.chdir(previous)))
    return yield* self
  }))
