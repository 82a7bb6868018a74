// Custom services: a service call of its own, named `service/method`.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { CustomService, Database, OneAgentSdk, OneAgentTest, RemoteCall } from "../src/index.ts"

describe("CustomService", () => {
  describe("span names", () => {
    it.effect("a long service name is cut, not the method: the name keeps `/method`, marks the cut and stays 250 long", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const service = "S".repeat(300)
        yield* Effect.void.pipe(CustomService.trace({ method: "charge", service }))
        yield* Effect.void.pipe(
          RemoteCall.traceIncoming({ method: "placeOrder", service: "Ö".repeat(260), endpoint: "rpc://orders" })
        )
        const [custom, remote] = yield* test.spans
        expect(custom!.name.endsWith("…/charge")).toBe(true)
        expect([...custom!.name]).toHaveLength(250)
        expect(custom!.attributes["oneagent.truncated"]).toContain("span.name")
        // The full service stays in its attribute, cut there at its own limit and marked as cut values are.
        expect(custom!.attributes["oneagent.custom_service.name"]).toBe("S".repeat(250))
        expect(remote!.name.endsWith("…/placeOrder")).toBe(true)
        expect([...remote!.name]).toHaveLength(250)
      }).pipe(Effect.provide(OneAgentTest.layer())))

    it.effect("names that fit are not marked", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        yield* Effect.void.pipe(CustomService.trace({ method: "charge", service: "Payments" }))
        const span = yield* test.span("Payments/charge")
        expect(span.attributes["oneagent.truncated"]).toBeUndefined()
      }).pipe(Effect.provide(OneAgentTest.layer())))

    it.effect("a SQL request keeps its operation and cuts the database name", () =>
      Effect.gen(function*() {
        const test = yield* OneAgentTest.OneAgentTest
        const db = yield* Database.makeInfo({ name: "d".repeat(400), vendor: "PostgreSQL", channel: { type: 1 } })
        yield* Effect.void.pipe(
          Database.traceSqlRequest(db, "SELECT 1"),
          OneAgentSdk.traceCustomService({ method: "m", service: "s" })
        )
        const sql = (yield* test.spans).find((s) => s.kind === "client")!
        expect(sql.name.startsWith("SELECT dddd")).toBe(true)
        expect(sql.name.endsWith("…")).toBe(true)
        expect(sql.attributes["oneagent.truncated"]).toContain("span.name")
      }).pipe(Effect.scoped, Effect.provide(OneAgentTest.layer())))
  })
})
