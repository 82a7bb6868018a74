/**
 * The export worker: a thread of its own that takes finished spans out of the application's engine (it loads the
 * same binary, so it finds the engine by id), encodes and sends them, so export never waits for the application's
 * event loop and the application's thread does no per-batch work. One per process, started with the first export
 * and kept (without keeping the process alive) for the next ones. It talks to the application's thread by messages
 * (reports, flush and close, relayed batches) and shares its counters in SharedArrayBuffers.
 *
 * @internal
 */
import { writeSync } from "node:fs"
import { parentPort, workerData } from "node:worker_threads"
import { load } from "./addon.ts"
import * as ExportHost from "./exportHost.ts"

/** @internal Messages to the worker; `pipeline` names one export (one engine's). */
export type ToWorker =
  | {
    readonly type: "open"
    readonly pipeline: number
    readonly addonPath: string
    readonly config: ExportHost.HostConfig
    readonly counters: Float64Array
    readonly stats: Float64Array
  }
  | { readonly type: "flush"; readonly pipeline: number; readonly id: number; readonly target: number; readonly timeoutMillis: number }
  | { readonly type: "close"; readonly pipeline: number; readonly id: number; readonly timeoutMillis: number }
  | { readonly type: "relayed"; readonly pipeline: number; readonly id: number; readonly ok: boolean }

/** @internal Messages from the worker. */
export type FromWorker =
  | { readonly type: "opened"; readonly pipeline: number }
  | { readonly type: "failed"; readonly pipeline: number; readonly reason: string }
  | { readonly type: "diagnostic" | "verbose"; readonly pipeline: number; readonly message: string }
  | { readonly type: "flushed" | "closed"; readonly pipeline: number; readonly id: number; readonly pending: number }
  | { readonly type: "relay"; readonly pipeline: number; readonly id: number; readonly bytes: Uint8Array; readonly spans: number }

/** @internal The marker the worker is started with, so this module does nothing when imported elsewhere. */
export const kind = "effect-oneagent/export"

if (parentPort !== null && workerData === kind) {
  const port = parentPort
  const post = (message: FromWorker, transfer?: Array<ArrayBuffer>) => port.postMessage(message, transfer)
  const hosts = new Map<number, ExportHost.Host>()
  const relays = new Map<string, (ok: boolean) => void>()
  let relayIds = 0

  const open = (message: Extract<ToWorker, { type: "open" }>) => {
    const { pipeline } = message
    const loaded = load(message.addonPath)
    if (loaded._tag === "Failed") return post({ type: "failed", pipeline, reason: loaded.message })
    try {
      hosts.set(pipeline, ExportHost.start(loaded.addon, message.config, message.counters, message.stats, {
        diagnostic: (text) => post({ type: "diagnostic", pipeline, message: text }),
        verbose: (text) => post({ type: "verbose", pipeline, message: text }),
        relay: (bytes, spans) =>
          new Promise<boolean>((resolve) => {
            const id = ++relayIds
            relays.set(`${pipeline}/${id}`, resolve)
            // A copy this thread can give away: the engine's batch buffer is not transferable.
            const copy = new Uint8Array(bytes)
            post({ type: "relay", pipeline, id, bytes: copy, spans }, [copy.buffer as ArrayBuffer])
          }),
        // Straight to the file descriptor: a worker's process.stderr goes through the application's thread.
        write: (text) => void writeSync(2, text)
      }))
      post({ type: "opened", pipeline })
    } catch (reason) {
      post({ type: "failed", pipeline, reason: String(reason) })
    }
  }

  port.on("message", (message: ToWorker) => {
    switch (message.type) {
      case "open":
        return open(message)
      case "relayed": {
        const key = `${message.pipeline}/${message.id}`
        relays.get(key)?.(message.ok)
        relays.delete(key)
        return
      }
      case "flush": {
        const host = hosts.get(message.pipeline)
        const done = (pending: number) =>
          post({ type: "flushed", pipeline: message.pipeline, id: message.id, pending })
        return void (host === undefined ? done(0) : host.flush(message.target, message.timeoutMillis).then(done))
      }
      case "close": {
        const host = hosts.get(message.pipeline)
        hosts.delete(message.pipeline)
        const done = (pending: number) => post({ type: "closed", pipeline: message.pipeline, id: message.id, pending })
        return void (host === undefined ? done(0) : host.close(message.timeoutMillis).then(done))
      }
    }
  })
}
