// Floods from a hostile client, over real sockets, against a traced server in its own process
// (test/slow/flood-server.ts): distinct HTTP methods over HTTP/2 (which takes any method token) and distinct first
// words of SQL. After each flood (and a full GC) the server's RSS must be within a stated bound of where it started,
// and the JavaScript heap it retains within a tight one: the SDK keeps no span shape per method or word. Before, a
// shape was kept per value, up to the engine's 16,384: these floods retained 8 MiB (methods) and 26 MiB (SQL words)
// of heap, and as much again in the engine. The RSS alone moves by up to 15 MiB from run to run (the allocator's
// high-water marks), too much to tell those apart reliably; the heap after a GC moves by a fraction of a MiB.
// Header names are not flooded here: their keys were bounded before too (65,536), and a flood of them moves the RSS
// by 10 to 20 MiB either way (Node's own part, recording no headers); test/hostileClient.test.ts shows what the new
// bounds change.
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as Http2 from "node:http2"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const server = fileURLToPath(new URL("./flood-server.ts", import.meta.url))
const MB = 2 ** 20
// What one flood may add: to the RSS (in runs with the bounds it moved by -10 to +16 MiB), and to the heap retained
// after a GC (-5 to +0.2 MiB with the bounds; +8 and +26 MiB before them).
const RSS_BOUND = 32 * MB
const HEAP_BOUND = 2 * MB

interface Measurement {
  readonly rss: number
  readonly heapUsed: number
  readonly stats: Record<string, number>
}

// A word of letters only (SQL keywords are letters), distinct for each i.
const word = (i: number) => `w${i.toString(26).replace(/[0-9]/g, (d) => "qrstuvwxyz"[Number(d)]!)}`

// A small young generation, so a V8 heap sized up by a burst of garbage does not read as retained memory.
const start = () => {
  const child = ChildProcess.fork(server, [], {
    execArgv: ["--expose-gc", "--max-semi-space-size=2"],
    // One malloc arena: memory freed on the export thread is reused on the main one, not kept as another high-water.
    env: { ...process.env, GLIBC_TUNABLES: "glibc.malloc.arena_max=1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const replies: Array<(message: unknown) => void> = []
  child.on("message", (message) => replies.shift()?.(message))
  const next = <A>() => new Promise<A>((resolve) => replies.push(resolve as (message: unknown) => void))
  const ports = next<{ readonly http: number; readonly http2: number }>()
  return {
    ports,
    measure: () => {
      const reply = next<Measurement>()
      child.send("measure")
      return reply
    },
    stop: () => child.send("stop")
  }
}

// `count` requests over one HTTP/2 session, 4 streams at a time (few spans in flight), each with method(i).
const flood2 = async (port: number, count: number, method: (i: number) => string) => {
  const session = Http2.connect(`http://127.0.0.1:${port}`)
  let next = 0
  const stream = async () => {
    while (next < count) {
      const i = next++
      await new Promise<void>((resolve, reject) => {
        const request = session.request({ ":method": method(i), ":path": "/m?n=1" })
        request.on("error", reject).on("end", resolve).resume()
        request.end()
      })
    }
  }
  await Promise.all(Array.from({ length: 4 }, stream))
  await new Promise<void>((resolve) => session.close(resolve))
}

// `count` HTTP/1.1 requests over 4 kept-alive connections, each with path(i).
const flood1 = async (port: number, count: number, path: (i: number) => string) => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: 4 })
  let next = 0
  const connection = async () => {
    while (next < count) {
      const i = next++
      await new Promise<void>((resolve, reject) => {
        Http.get({ host: "127.0.0.1", port, path: path(i), agent }, (response) => {
          response.on("end", resolve).resume()
        }).on("error", reject)
      })
    }
  }
  await Promise.all(Array.from({ length: 4 }, connection))
  agent.destroy()
}

const report = (flood: string, growth: { readonly rss: number; readonly heap: number }) =>
  console.log(`[floods] ${flood}: RSS ${(growth.rss / MB).toFixed(1)} MiB, heap ${(growth.heap / MB).toFixed(2)} MiB`)

// One flood against a fresh server (a fresh engine: no flood profits from another having filled a shared bound).
// First ordinary requests of the same shape and number, so the engine's span table, the allocator's arenas and the
// connections are at their steady size; then the flood, measured around it.
const measureFlood = async (
  flood: (ports: { readonly http: number; readonly http2: number }, hostile: boolean) => Promise<void>
) => {
  const child = start()
  try {
    const ports = await child.ports
    // Twice: the allocator's arenas reach their high-water mark only on the second round.
    await flood(ports, false)
    await flood(ports, false)
    const before = await child.measure()
    await flood(ports, true)
    const after = await child.measure()
    const spans = after.stats.spansStarted - before.stats.spansStarted
    return { rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed, spans }
  } finally {
    child.stop()
  }
}

describe("floods from a hostile client", () => {
  it("40,000 distinct HTTP methods over HTTP/2", async () => {
    const growth = await measureFlood((ports, hostile) => flood2(ports.http2, 40_000, (i) => hostile ? `M${i}` : "GET"))
    report("40,000 methods", growth)
    expect(growth.spans).toBe(40_000)
    expect(growth.rss).toBeLessThan(RSS_BOUND)
    expect(growth.heap).toBeLessThan(HEAP_BOUND)
  }, 300_000)

  it("20,000 distinct first words of SQL", async () => {
    const growth = await measureFlood((ports, hostile) =>
      flood1(ports.http, 20_000, (i) => `/report?sql=${hostile ? word(i) : "SELECT"}%201`)
    )
    report("20,000 SQL words", growth)
    expect(growth.spans).toBe(40_000)
    expect(growth.rss).toBeLessThan(RSS_BOUND)
    expect(growth.heap).toBeLessThan(HEAP_BOUND)
  }, 300_000)
})
