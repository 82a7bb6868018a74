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
 * **Details**
 *
 * One pass over the statement, so a quote inside a comment or an identifier never opens a literal that swallows
 * the rest. Strings are `'...'` (quotes doubled inside), PostgreSQL `E'...'` and dollar-quoted `$tag$...$tag$`, and
 * for MySQL and MariaDB also `"..."` and backslash escapes. An unterminated string is masked to the end. A comment
 * keeps its place, not its text.
 *
 * @since 0.1.0
 * @category attributes
 */
export const maskLiterals = (statement: string, vendor?: string): string => {
  const mysql = vendor !== undefined && /^(mysql|mariadb)$/i.test(vendor)
  let out = ""
  let i = 0
  const n = statement.length
  while (i < n) {
    const c = statement[i]!
    const next = statement[i + 1]
    // Comments are free text (an apostrophe in "don't" is no quote) that may hold anything: only their place stays.
    if ((c === "-" && next === "-") || (c === "#" && mysql)) {
      const end = statement.indexOf("\n", i)
      out += c === "#" ? "# ?" : "-- ?"
      i = end === -1 ? n : end
      continue
    }
    if (c === "/" && next === "*") {
      const end = statement.indexOf("*/", i + 2)
      out += "/* ? */"
      i = end === -1 ? n : end + 2
      continue
    }
    if (c === "'" || (c === "\"" && mysql)) {
      // Backslash escapes: MySQL's strings, and PostgreSQL's E'...' strings.
      const prefix = statement[i - 1]
      const escapes = mysql || ((prefix === "E" || prefix === "e") && !/[\w$]/.test(statement[i - 2] ?? ""))
      i = endOfString(statement, i, c, escapes)
      out += "?"
      continue
    }
    if (c === "\"" || c === "`" || c === "[") {
      // A quoted identifier, copied as it is.
      const end = statement.indexOf(c === "[" ? "]" : c, i + 1)
      const stop = end === -1 ? n : end + 1
      out += statement.slice(i, stop)
      i = stop
      continue
    }
    if (c === "$") {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(statement.slice(i, i + 66))
      if (tag !== null) {
        const end = statement.indexOf(tag[0], i + tag[0].length)
        i = end === -1 ? n : end + tag[0].length
        out += "?"
        continue
      }
    }
    const prev = statement[i - 1]
    const startsNumber = isDigit(c) || (c === "." && isDigit(next)) ||
      (c === "-" && (isDigit(next) || (next === "." && isDigit(statement[i + 2]))))
    if (startsNumber && (prev === undefined || !/[\w$."`\]]/.test(prev))) {
      i = endOfNumber(statement, c === "-" ? i + 1 : i)
      out += "?"
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      // A whole word, so digits inside identifiers (t2, col1) stay; the boolean literals are masked.
      let j = i + 1
      while (j < n && /[\w$]/.test(statement[j]!)) j++
      const word = statement.slice(i, j)
      out += /^(?:true|false)$/i.test(word) ? "?" : word
      i = j
      continue
    }
    out += c
    i++
  }
  return out
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"

// The index after the string opened by `quote` at `start`: a doubled quote stays inside, and with escapes so does
// a backslash-escaped character. Unterminated: the end of the statement.
const endOfString = (s: string, start: number, quote: string, escapes: boolean): number => {
  let i = start + 1
  while (i < s.length) {
    const c = s[i]!
    if (escapes && c === "\\") {
      i += 2
    } else if (c === quote) {
      if (s[i + 1] !== quote) return i + 1
      i += 2
    } else {
      i++
    }
  }
  return s.length
}

// The index after the number at `start`: hex (0x...), or digits with a fraction and an exponent.
const endOfNumber = (s: string, start: number): number => {
  let i = start
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    i += 2
    while (i < s.length && /[0-9a-fA-F]/.test(s[i]!)) i++
    return i
  }
  while (isDigit(s[i])) i++
  if (s[i] === "." && isDigit(s[i + 1])) {
    i++
    while (isDigit(s[i])) i++
  }
  const signed = (s[i + 1] === "+" || s[i + 1] === "-") && isDigit(s[i + 2])
  if ((s[i] === "e" || s[i] === "E") && (isDigit(s[i + 1]) || signed)) {
    i += 2
    while (isDigit(s[i])) i++
  }
  return i
}

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
