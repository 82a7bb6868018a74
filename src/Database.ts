/**
 * SQL database requests (the seed's `create_database_info` and `trace_sql_database_request`): a database info object
 * describes a database once; each query is a CLIENT span with `db.system.name`, `db.namespace`, `db.query.text` and
 * `db.response.returned_rows`, recorded only inside another trace.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Channel } from "./Channel.ts"
import * as internal from "./internal/database.ts"
import * as Sql from "./internal/sql.ts"
import { withRuntime } from "./internal/tracer.ts"
import type { OneAgentSdk } from "./OneAgentSdk.ts"
import type { Tracer } from "./Tracers.ts"

/**
 * Database vendor names of the OneAgent SDK. Any other string is accepted too.
 *
 * @since 0.1.0
 * @category constants
 */
export const DatabaseVendor = {
  APACHE_HIVE: "ApacheHive",
  CLOUDSCAPE: "Cloudscape",
  HSQLDB: "HSQLDB",
  PROGRESS: "Progress",
  MAXDB: "MaxDB",
  HANADB: "HanaDB",
  INGRES: "Ingres",
  FIRST_SQL: "FirstSQL",
  ENTERPRISE_DB: "EnterpriseDB",
  CACHE: "Cache",
  ADABAS: "Adabas",
  FIREBIRD: "Firebird",
  DB2: "DB2",
  DERBY_CLIENT: "Derby Client",
  DERBY_EMBEDDED: "Derby Embedded",
  FILEMAKER: "Filemaker",
  INFORMIX: "Informix",
  INSTANT_DB: "InstantDb",
  INTERBASE: "Interbase",
  MYSQL: "MySQL",
  MARIADB: "MariaDB",
  NETEZZA: "Netezza",
  ORACLE: "Oracle",
  PERVASIVE: "Pervasive",
  POINTBASE: "Pointbase",
  POSTGRESQL: "PostgreSQL",
  SQLSERVER: "SQLServer",
  SQLITE: "sqlite",
  SYBASE: "Sybase",
  TERADATA: "Teradata",
  VERTICA: "Vertica",
  CASSANDRA: "Cassandra",
  H2: "H2",
  COLDFUSION_IMQ: "ColdFusion IMQ",
  REDSHIFT: "Amazon Redshift",
  COUCHBASE: "Couchbase"
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type DatabaseVendor = typeof DatabaseVendor[keyof typeof DatabaseVendor] | (string & {})

/**
 * @since 0.1.0
 * @category options
 */
export interface DatabaseInfoOptions {
  /** The database name (`db.namespace`). */
  readonly name: string
  readonly vendor: DatabaseVendor
  readonly channel: Channel
}

/**
 * Information about a database that does not change between requests. Create it once (it is a scoped
 * resource); using it after its scope closed is misuse.
 *
 * @since 0.1.0
 * @category models
 */
export interface DatabaseInfo extends DatabaseInfoOptions {
  readonly _tag: "DatabaseInfo"
}

/**
 * @since 0.1.0
 * @category options
 */
export interface SqlDatabaseRequestOptions<A = unknown> {
  /** Derives `db.response.returned_rows` from the traced effect's result (combinator form). */
  readonly rowsReturned?: ((result: A) => number) | undefined
  /** Derives the round-trip count from the traced effect's result (combinator form). */
  readonly roundTripCount?: ((result: A) => number) | undefined
}

/**
 * A SQL database request tracer. Recorded only inside another trace (a database call with no caller is
 * not a request of this service).
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlDatabaseRequestTracer extends Tracer {
  readonly _tag: "SqlDatabaseRequestTracer"
  readonly setRowsReturned: (rows: number) => Effect.Effect<void>
  readonly setRoundTripCount: (count: number) => Effect.Effect<void>
}

/**
 * The OpenTelemetry `db.system.name` of a vendor (lower-cased vendor name when there is no well-known one).
 *
 * @since 0.1.0
 * @category attributes
 */
export const otelSystemName: (vendor: string) => string = Sql.otelSystemName

/**
 * Replaces SQL literals (strings, numbers, hex, booleans outside identifiers) with `?`, for the
 * `maskSqlLiterals` option: the statement's shape stays, its data does not.
 *
 * **Details**
 *
 * One pass over the statement, so a quote inside a comment or an identifier never opens a literal that swallows
 * the rest. Strings are `'...'` (quotes doubled inside), PostgreSQL `E'...'` and dollar-quoted `$tag$...$tag$`,
 * Oracle `q'[...]'`, and for MySQL and MariaDB also `"..."` and backslash escapes. Numbers include hex, octal and
 * binary (`0x1F`, `0o17`, `0b101`) and SQL Server's money (`$12.50`). `[...]` is a quoted identifier only for the
 * vendors that quote with it (SQL Server, Sybase, SQLite, Access); elsewhere it is an array or subscript whose
 * contents are masked. An unterminated string, quoted identifier or comment is masked to the end. A comment
 * (block comments nest, as in PostgreSQL and SQL Server; not for MySQL) keeps its place, not its text.
 *
 * **Example** (Masking literals)
 *
 * ```ts
 * import { Database } from "effect-oneagent"
 *
 * console.log(Database.maskLiterals("SELECT * FROM users WHERE name = 'alice' AND age > 30"))
 * // => "SELECT * FROM users WHERE name = ? AND age > ?"
 * ```
 *
 * @since 0.1.0
 * @category attributes
 */
export const maskLiterals: (statement: string, vendor?: string) => string = Sql.maskLiterals

/**
 * The operation of a statement (its first keyword, upper-cased), for the span name: undefined when the first word is
 * not a SQL keyword that starts a statement (`SELECT`, `INSERT`, `WITH`, `CALL`, `BEGIN`, ...), so that text from
 * anywhere cannot make a span shape per word.
 *
 * @since 0.1.0
 * @category attributes
 */
export const operationOf: (statement: string) => string | undefined = Sql.operationOf

/**
 * Creates a database info object, released with the scope; using it after that is misuse. Also a method of the SDK
 * service (`sdk.createDatabaseInfo`).
 *
 * @since 0.1.0
 * @category info objects
 */
export const makeInfo: (options: DatabaseInfoOptions) => Effect.Effect<DatabaseInfo, never, Scope.Scope> =
  internal.createInfo

/**
 * Wraps an effect in a SQL database request tracer: a CLIENT span named after the statement's operation and the
 * database (`SELECT Northwind`), recorded only inside another trace. `rowsReturned` / `roundTripCount` derive end
 * data from the result.
 *
 * **Example** (A query inside a service call)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ChannelType, CustomService, Database, OneAgentSdk } from "effect-oneagent"
 *
 * const program = Effect.gen(function*() {
 *   const db = yield* Database.makeInfo({
 *     name: "Northwind",
 *     vendor: Database.DatabaseVendor.POSTGRESQL,
 *     channel: { type: ChannelType.TCP_IP, endpoint: "db.internal:5432" }
 *   })
 *   const rows = yield* Effect.succeed([{ id: 7 }]).pipe(
 *     Database.traceSqlRequest(db, "SELECT id FROM customers WHERE id = 7", {
 *       rowsReturned: (rows: ReadonlyArray<{ id: number }>) => rows.length
 *     }),
 *     CustomService.trace({ method: "loadCustomer", service: "CustomerService" })
 *   )
 *   return rows.length
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program.pipe(Effect.provide(OneAgentSdk.layer()))).then(console.log) // => 1
 * ```
 *
 * @since 0.1.0
 * @category tracers
 */
export const traceSqlRequest: {
  <A = unknown>(
    info: DatabaseInfo,
    statement: string,
    options?: SqlDatabaseRequestOptions<A>
  ): <A2 extends A, E, R>(self: Effect.Effect<A2, E, R>) => Effect.Effect<A2, E, R | OneAgentSdk>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    info: DatabaseInfo,
    statement: string,
    options?: SqlDatabaseRequestOptions<A>
  ): Effect.Effect<A, E, R | OneAgentSdk>
} = internal.trace

/**
 * Starts a SQL database request tracer in the current scope; set its end data with `setRowsReturned` and
 * `setRoundTripCount`. Also a method of the SDK service (`sdk.traceSqlDatabaseRequest`).
 *
 * @since 0.1.0
 * @category scoped tracers
 */
export const startSqlRequest = (
  info: DatabaseInfo,
  statement: string
): Effect.Effect<SqlDatabaseRequestTracer, never, OneAgentSdk | Scope.Scope> =>
  withRuntime((runtime) => internal.scoped(runtime, info, statement))
