import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { Worker } from "node:worker_threads"
import { ChannelType, Database, OneAgentSdk, OneAgentTest } from "../src/index.ts"
import { withTest } from "./support/sdk.ts"
import { patienceMillis } from "./support/wait.ts"

const northwind = {
  name: "Northwind",
  vendor: Database.DatabaseVendor.SQLSERVER,
  channel: { type: ChannelType.TCP_IP, endpoint: "db.internal:1433" }
} as const
const incoming = { method: "list", service: "Orders", endpoint: "rpc://orders" } as const

// Database.operationOf of each statement, in a worker that is stopped after `millis`: code that never returns (a
// backtracking regex) fails the test instead of hanging it. The bound only ends that wait: one pass takes
// milliseconds, backtracking over these statements would take longer than anyone waits.
const operationsInWorker = (statements: ReadonlyArray<string>, millis: number) =>
  Effect.callback<ReadonlyArray<string | undefined>, Error>((resume) => {
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads")
      import(workerData.module).then((Database) => parentPort.postMessage(workerData.statements.map(Database.operationOf)))`,
      { eval: true, workerData: { module: new URL("../src/Database.ts", import.meta.url).href, statements } }
    )
    const timer = setTimeout(() => resume(Effect.fail(new Error(`operationOf did not return within ${millis} ms`))), millis)
    worker.once("message", (operations) => resume(Effect.succeed(operations)))
    worker.once("error", (error) => resume(Effect.fail(error)))
    return Effect.sync(() => {
      clearTimeout(timer)
      void worker.terminate()
    })
  })

describe("Database", () => {
  it.effect("a SQL request inside a trace: CLIENT span with db.* attributes, rows and round trips", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const db = yield* OneAgentSdk.createDatabaseInfo(northwind)
      const rows = yield* Effect.succeed([1, 2, 3]).pipe(
        OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT foo FROM bar WHERE id = 42;", {
          rowsReturned: (rows: ReadonlyArray<number>) => rows.length,
          roundTripCount: () => 2
        }),
        OneAgentSdk.traceIncomingRemoteCall(incoming)
      )
      expect(rows).toEqual([1, 2, 3])
      const span = yield* test.span("SELECT Northwind")
      const parent = yield* test.span("Orders/list")
      expect(span.kind).toBe("client")
      expect(span.parentSpanId).toBe(parent.spanId)
      expect(span.attributes).toMatchObject({
        "db.system.name": "microsoft.sql_server",
        "db.namespace": "Northwind",
        "db.operation.name": "SELECT",
        "db.query.text": "SELECT foo FROM bar WHERE id = 42;",
        "db.response.returned_rows": 3,
        "oneagent.db.round_trip_count": 2,
        "server.address": "db.internal",
        "server.port": 1433
      })
    }).pipe(Effect.scoped, withTest))

  it.effect("the scoped tracer sets rows and round trips like the seed", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const sdk = yield* OneAgentSdk
      const db = yield* sdk.createDatabaseInfo(northwind)
      yield* Effect.gen(function*() {
        const tracer = yield* sdk.traceSqlDatabaseRequest(db, "UPDATE bar SET x = 1")
        yield* tracer.setRowsReturned(42)
        yield* tracer.setRoundTripCount(3)
      }).pipe(Effect.scoped, OneAgentSdk.traceCustomService({ method: "m", service: "s" }))
      const span = yield* test.span("UPDATE Northwind")
      expect(span.attributes["db.response.returned_rows"]).toBe(42)
      expect(span.attributes["oneagent.db.round_trip_count"]).toBe(3)
    }).pipe(Effect.scoped, withTest))

  it.effect("with no parent trace: not recorded, reported on the verbose callback in production", () =>
    Effect.gen(function*() {
      const verbose: Array<string> = []
      const result = yield* Effect.gen(function*() {
        const db = yield* OneAgentSdk.createDatabaseInfo(northwind)
        return yield* Effect.succeed("rows").pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1"))
      }).pipe(
        Effect.scoped,
        Effect.provide(OneAgentSdk.layer({ verboseCallback: (m) => verbose.push(m), export: { file: "/dev/null" } }))
      )
      expect(result).toBe("rows")
      expect(verbose.join("\n")).toContain("only recorded inside another trace")
      // The strict test layer treats it as misuse.
      const strict = yield* Effect.exit(withTest(Effect.scoped(Effect.gen(function*() {
        const db = yield* OneAgentSdk.createDatabaseInfo(northwind)
        yield* Effect.void.pipe(OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1"))
      }))))
      assert(Exit.isFailure(strict))
      expect(Cause.pretty(strict.cause)).toContain("only recorded inside another trace")
    }))

  it.effect("statements keep 4,096 characters and show the truncation", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const db = yield* OneAgentSdk.createDatabaseInfo(northwind)
      const statement = "SELECT " + "x, ".repeat(5000) + "y FROM t"
      yield* Effect.void.pipe(
        OneAgentSdk.traceSqlDatabaseRequest(db, statement),
        OneAgentSdk.traceCustomService({ method: "m", service: "s" })
      )
      const span = yield* test.span("SELECT Northwind")
      expect(String(span.attributes["db.query.text"])).toBe(statement.slice(0, 4096))
      expect(span.attributes["oneagent.truncated"]).toBe("db.query.text")
    }).pipe(Effect.scoped, withTest))

  it.effect("maskSqlLiterals records the statement without its data", () =>
    Effect.gen(function*() {
      const test = yield* OneAgentTest.OneAgentTest
      const db = yield* OneAgentSdk.createDatabaseInfo(northwind)
      yield* Effect.void.pipe(
        OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT * FROM users WHERE email = 'a@b.c' AND age > 42 AND t2.col = 1"),
        OneAgentSdk.traceCustomService({ method: "m", service: "s" })
      )
      expect((yield* test.span("SELECT Northwind")).attributes["db.query.text"]).toBe(
        "SELECT * FROM users WHERE email = ? AND age > ? AND t2.col = ?"
      )
    }).pipe(Effect.scoped, (self) => withTest(self, { maskSqlLiterals: true })))

  it.effect("an info object used after its scope closed is misuse", () =>
    Effect.gen(function*() {
      const db = yield* Effect.scoped(OneAgentSdk.createDatabaseInfo(northwind))
      const exit = yield* Effect.exit(Effect.void.pipe(
        OneAgentSdk.traceSqlDatabaseRequest(db, "SELECT 1"),
        OneAgentSdk.traceCustomService({ method: "m", service: "s" })
      ))
      assert(Exit.isFailure(exit))
      expect(Cause.pretty(exit.cause)).toContain("was released")
    }).pipe(withTest))

  it.effect("finds the operation past any number of leading comments, in one pass (no backtracking)", () =>
    Effect.gen(function*() {
      const comments = "/**/".repeat(10_000)
      const operations = yield* operationsInWorker([
        `${comments}(SELECT 1)`,
        `${comments} \n select 1`,
        `/* a */ /*/ b */ update t`,
        `/* unterminated select`
      ], patienceMillis)
      expect(operations).toEqual([undefined, "SELECT", "UPDATE", undefined])
    }), 30_000)

  it("maskLiterals: [ quotes identifiers only where the vendor does; binary, money, q-quoted and nested-comment literals", () => {
    const mask = Database.maskLiterals
    // PostgreSQL arrays and subscripts hold data; SQL Server's [name] is a name.
    expect(mask("SELECT * FROM t WHERE tags && ARRAY['ssn:123-45-6789'] OR card = ANY(ARRAY[4111111111111111])", "PostgreSQL"))
      .toBe("SELECT * FROM t WHERE tags && ARRAY[?] OR card = ANY(ARRAY[?])")
    expect(mask("SELECT data[12345] FROM t", "PostgreSQL")).toBe("SELECT data[?] FROM t")
    expect(mask("SELECT * FROM [my table] WHERE [col] = 'x'", "SQLServer")).toBe("SELECT * FROM [my table] WHERE [col] = ?")
    expect(mask("SELECT * FROM [t] WHERE a = 1", "sqlite")).toBe("SELECT * FROM [t] WHERE a = ?")
    // Binary, octal and hex literals are masked whole, digit separators too.
    expect(mask("SELECT * FROM t WHERE flags = 0b101101 AND o = 0o17 AND h = 0xFF AND n = 1_000_000", "MySQL"))
      .toBe("SELECT * FROM t WHERE flags = ? AND o = ? AND h = ? AND n = ?")
    // Money is a literal in SQL Server; $1 is a PostgreSQL parameter.
    expect(mask("UPDATE acct SET balance = $1234.56", "SQLServer")).toBe("UPDATE acct SET balance = ?")
    expect(mask("UPDATE acct SET balance = $1", "PostgreSQL")).toBe("UPDATE acct SET balance = $1")
    // Nested comments: what follows an inner */ is still comment.
    expect(mask("SELECT 1 /* outer /* nested */ password=hunter2 */ FROM t", "PostgreSQL")).toBe("SELECT ? /* ? */ FROM t")
    // MySQL does not nest comments: the first */ ends it, and the literals after it are masked as literals.
    expect(mask("SELECT /* a /* b */ 'secret', 'x' FROM t WHERE p='pw'", "MySQL")).toBe("SELECT /* ? */ ?, ? FROM t WHERE p=?")
    // Oracle's q-quoting, whose text may hold quotes.
    expect(mask("UPDATE t SET note = q'[it's Bob's secret]', n = nq'{x}'", "Oracle")).toBe("UPDATE t SET note = ?, n = n?")
    // An unterminated quoted identifier may be anything: masked to the end.
    expect(mask(`SELECT "a FROM t WHERE p = 'hunter2'`, "PostgreSQL")).toBe(`SELECT "?`)
  })

  it("maps vendors to OpenTelemetry db.system.name and finds the operation", () => {
    expect(Database.otelSystemName("PostgreSQL")).toBe("postgresql")
    expect(Database.otelSystemName("Oracle")).toBe("oracle.db")
    expect(Database.otelSystemName("Derby Client")).toBe("derby")
    expect(Database.otelSystemName("MyDB X")).toBe("mydb_x")
    expect(Database.operationOf("  /* hint */ select 1")).toBe("SELECT")
    expect(Database.operationOf("")).toBeUndefined()
  })
})
