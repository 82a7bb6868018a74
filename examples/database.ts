/**
 * SQL database requests: a database info object created once, and each query traced inside the
 * service call that runs it (a query outside any trace is not recorded, as in the seed).
 *
 * Run: npx node examples/database.ts
 */
import { Effect } from "effect"
import { ChannelType, Database, OneAgentSdk } from "../src/index.ts"

interface Row {
  readonly id: number
  readonly name: string
}

// Stands in for a database driver.
const query = (sql: string): Effect.Effect<ReadonlyArray<Row>> =>
  Effect.sleep("3 millis").pipe(Effect.as(sql.includes("WHERE") ? [{ id: 7, name: "Ada" }] : []))

const program = Effect.gen(function*() {
  const db = yield* OneAgentSdk.createDatabaseInfo({
    name: "Northwind",
    vendor: Database.DatabaseVendor.POSTGRESQL,
    channel: { type: ChannelType.TCP_IP, endpoint: "db.internal:5432" }
  })
  const customer = (id: number) =>
    query(`SELECT id, name FROM customers WHERE id = ${id}`).pipe(
      OneAgentSdk.traceSqlDatabaseRequest(db, `SELECT id, name FROM customers WHERE id = ${id}`, {
        rowsReturned: (rows: ReadonlyArray<Row>) => rows.length
      })
    )
  // The seed's scoped style: the tracer is open for the rest of the scope.
  const touch = (id: number) =>
    Effect.scoped(Effect.gen(function*() {
      const sdk = yield* OneAgentSdk
      const tracer = yield* sdk.traceSqlDatabaseRequest(db, `UPDATE customers SET seen = now() WHERE id = ${id}`)
      yield* query("UPDATE")
      yield* tracer.setRowsReturned(1)
      yield* tracer.setRoundTripCount(1)
    }))
  const rows = yield* Effect.andThen(customer(7), (rows) => Effect.as(touch(7), rows)).pipe(
    OneAgentSdk.traceCustomService({ method: "loadCustomer", service: "CustomerService" })
  )
  yield* Effect.logInfo(`loaded ${rows.length} customer(s)`)
})

Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(OneAgentSdk.layer({ console: true, maskSqlLiterals: true, export: { file: ".traces/database.jsonl" } }))
  )
)
