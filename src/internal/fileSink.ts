/**
 * The embedded default target: one OTLP/JSON `ExportTraceServiceRequest` per line in a local file. What it holds is
 * request data (headers, URLs, SQL), so the file is private to the process's user: created 0600 in a folder created
 * 0700, never written through a symlink or into a file another user owns, and bounded in size by rotation.
 *
 * @internal
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

/** @internal */
export interface FileSinkOptions {
  /** The size past which the file is rotated: it becomes `<file>.1` (replacing an older one) and a new file starts. */
  readonly maxBytes: number
  readonly diagnostic: (message: string) => void
}

/** @internal The default size bound of the traces file (and of its one rotated predecessor). */
export const defaultMaxBytes = 100 * 1024 * 1024

/** @internal */
export interface FileSink {
  /** Appends one batch as a line; false (reported once) when it could not be written. */
  readonly write: (bytes: Uint8Array) => boolean
  readonly close: () => void
}

const newline = new Uint8Array([10])

/**
 * Opens the file for appending, refusing a symlink or a file that is not the user's own regular file. Writes are
 * synchronous: the sink runs on the export worker, never on the application's thread, and each line is one write
 * (O_APPEND), so processes sharing the file keep whole lines.
 *
 * @internal
 */
export const open = (path: string, options: FileSinkOptions): FileSink => {
  let fd: number | undefined
  let size = 0
  let failed = false
  const fail = (what: string, error: unknown) => {
    if (!failed) {
      const reason = error instanceof Error ? (error as NodeJS.ErrnoException).code ?? error.message : String(error)
      options.diagnostic(`effect-oneagent export: cannot ${what} the traces file ${path} (${reason}); its spans are dropped`)
    }
    failed = true
  }
  const openFile = (): boolean => {
    try {
      Fs.mkdirSync(Path.dirname(path), { recursive: true, mode: 0o700 })
      const flags = Fs.constants.O_WRONLY | Fs.constants.O_APPEND | Fs.constants.O_CREAT |
        (Fs.constants.O_NOFOLLOW ?? 0)
      const opened = Fs.openSync(path, flags, 0o600)
      const stat = Fs.fstatSync(opened)
      const uid = typeof process.getuid === "function" ? process.getuid() : undefined
      if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) {
        Fs.closeSync(opened)
        fail("use", new Error(stat.isFile() ? "it belongs to another user" : "it is not a regular file"))
        return false
      }
      fd = opened
      size = stat.size
      failed = false
      return true
    } catch (error) {
      // ELOOP: the path is a symlink, which O_NOFOLLOW refuses.
      fail("open", (error as NodeJS.ErrnoException).code === "ELOOP" ? new Error("it is a symbolic link") : error)
      return false
    }
  }
  const rotate = () => {
    try {
      Fs.closeSync(fd!)
    } catch {
      // already closed
    }
    fd = undefined
    try {
      Fs.renameSync(path, `${path}.1`)
    } catch (error) {
      fail("rotate", error)
    }
    openFile()
  }
  openFile()
  return {
    write: (bytes) => {
      if (fd === undefined && !openFile()) return false
      if (size > 0 && size + bytes.byteLength + 1 > options.maxBytes) rotate()
      if (fd === undefined) return false
      try {
        Fs.writevSync(fd, [bytes, newline])
        size += bytes.byteLength + 1
        return true
      } catch (error) {
        fail("write", error)
        return false
      }
    },
    close: () => {
      if (fd === undefined) return
      try {
        Fs.closeSync(fd)
      } catch {
        // already closed
      }
      fd = undefined
    }
  }
}
