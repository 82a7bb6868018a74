// Type-checking code the way a user's project would: with this project's strict settings (unused locals allowed,
// as an example may import for illustration).
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "..", "..")

/** Each type error in the files below `dir`, as "file:line: message". */
export const typeProblems = (files: ReadonlyArray<string>, dir: string): Array<string> => {
  const config = ts.getParsedCommandLineOfConfigFile(Path.join(root, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    }
  })!
  const program = ts.createProgram(files, { ...config.options, noUnusedLocals: false })
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && d.file.fileName.startsWith(dir))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
      return `${Path.basename(d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
    })
}
