// The numbers shared with the engine are listed once in native/status.h; src/internal/codes.ts mirrors them. This
// reads the header and checks that both sides agree, name by name.
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { Counter, IdsSlot, Limit, StartFlag, Status } from "../src/internal/codes.ts"

const header = readFileSync(new URL("../native/status.h", import.meta.url), "utf8")

// The enumerators of `enum <name> : <type> { ... }`, with their values (implicit ones counted on from the last).
const enumerators = (name: string): Map<string, number> => {
  const body = new RegExp(`enum ${name}\\s*:\\s*\\w+\\s*\\{([^}]*)\\}`).exec(header)?.[1]
  if (body === undefined) throw new Error(`enum ${name} is not in native/status.h`)
  const out = new Map<string, number>()
  let next = 0
  for (const line of body.split("\n")) {
    const match = /^\s*(k\w+)\s*(?:=\s*(-?\d+))?\s*,?\s*$/.exec(line.replace(/\/\/.*$/, ""))
    if (match === null) continue
    const value = match[2] === undefined ? next : Number(match[2])
    out.set(match[1]!, value)
    next = value + 1
  }
  return out
}

// kStaleHandle <-> StaleHandle, kCounterStarted <-> Started, kIdsTraceHi <-> TraceHi, ...
const mirror = (name: string, prefix: string, ts: Record<string, number>) => {
  const native = enumerators(name)
  const expected = Object.fromEntries([...native].map(([key, value]) => [key.slice(prefix.length), value]))
  expect(ts).toEqual(expected)
}

describe("codes shared with the engine", () => {
  it("Status mirrors native/status.h", () => mirror("Status", "k", Status))
  it("StartFlag mirrors native/status.h (None is the TypeScript side's name for no flag)", () => {
    const { None, ...flags } = StartFlag
    expect(None).toBe(0)
    mirror("StartFlags", "k", flags)
  })
  it("Counter mirrors native/status.h", () => mirror("Counter", "kCounter", Counter))
  it("IdsSlot mirrors native/status.h", () => mirror("IdsSlot", "kIds", IdsSlot))
  it("Limit mirrors native/status.h", () => mirror("Limit", "kLimit", Limit))
})
