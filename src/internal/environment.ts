/**
 * What the library reads from the process's environment, in one place: a runtime may refuse each read (Deno without
 * `--allow-env` or `--allow-sys` throws `NotCapable`), and tracing must then fall back to its defaults rather than
 * fail the application.
 *
 * @internal
 */
import * as Os from "node:os"

/** @internal An environment variable, or undefined where reading it is not allowed. */
export const readEnv = (name: string): string | undefined => {
  try {
    return process.env[name]
  } catch {
    return undefined
  }
}

/** @internal The host's name for the `host.name` resource attribute, or undefined where asking is not allowed. */
export const hostName = (): string | undefined => {
  try {
    return Os.hostname()
  } catch {
    return undefined
  }
}
