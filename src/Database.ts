/**
 * SQL database requests: the database info object, vendor constants and the tracer's type.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Channel } from "./Channel.ts"
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

const otelSystems: Record<string, string> = {
  mysql: "mysql",
  mariadb: "mariadb",
  postgresql: "postgresql",
  oracle: "oracle.db",
  sqlserver: "microsoft.sql_server",
  db2: "ibm.db2",
  sqlite: "sqlite",
  hanadb: "sap.hana",
  cassandra: "cassandra",
  couchbase: "couchbase",
  h2: "h2database",
  derby: "derby",
  "derby client": "derby",
  "derby embedded": "derby",
  hsqldb: "hsqldb",
  informix: "informix",
  teradata: "teradata",
  vertica: "vertica",
  firebird: "firebird",
  interbase: "interbase",
  "amazon redshift": "aws.redshift",
  sybase: "sybase",
  netezza: "netezza",
  ingres: "ingres",
  cache: "cache",
  adabas: "adabas",
  pervasive: "pervasive",
  progress: "progress",
  maxdb: "maxdb",
  filemaker: "filemaker",
  instantdb: "instantdb",
  pointbase: "pointbase",
  firstsql: "firstsql",
  enterprisedb: "edb",
  cloudscape: "cloudscape",
  apachehive: "hive"
}

/**
 * The OpenTelemetry `db.system.name` of a vendor (lower-cased vendor name when there is no well-known one).
 *
 * @since 0.1.0
 * @category attributes
 */
export const otelSystemName = (vendor: string): string => {
  const key = vendor.toLowerCase()
  return otelSystems[key] ?? key.replace(/\s+/g, "_")
}

/**
 * Replaces SQL literals (strings, numbers, hex, booleans outside identifiers) with `?`, for the
 * `maskSqlLiterals` option: the statement's shape stays, its data does not.
 *
 * @since 0.1.0
 * @category attributes
 */
export const maskLiterals = (statement: string): string =>
  statement
    .replace(/'(?:[^']|'')*'/g, "?")
    .replace(/\bx'[0-9a-f]*'/gi, "?")
    .replace(/(?<![\w$."`\]])-?\b(?:0x[0-9a-f]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?)\b/gi, "?")
    .replace(/\b(?:true|false)\b/gi, "?")

/**
 * The operation of a statement (its first keyword, upper-cased), for the span name.
 *
 * @since 0.1.0
 * @category attributes
 */
export const operationOf = (statement: string): string | undefined => {
  const match = /^\s*(?:\/\*.*?\*\/\s*)*([a-z]+)/is.exec(statement)
  return match === null ? undefined : match[1]!.toUpperCase()
}
