/**
 * SQL text: the OpenTelemetry `db.system.name` of a vendor, literal masking for `maskSqlLiterals`, and the operation
 * (first keyword) of a statement, all in one linear pass each (statements come from anywhere).
 *
 * @internal
 */

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
 * @internal
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
 * the rest. Strings are `'...'` (quotes doubled inside), PostgreSQL `E'...'` and dollar-quoted `$tag$...$tag$`,
 * Oracle `q'[...]'`, and for MySQL and MariaDB also `"..."` and backslash escapes. Numbers include hex, octal and
 * binary (`0x1F`, `0o17`, `0b101`) and SQL Server's money (`$12.50`). `[...]` is a quoted identifier only for the
 * vendors that quote with it (SQL Server, Sybase, SQLite, Access); elsewhere it is an array or subscript whose
 * contents are masked. An unterminated string, quoted identifier or comment is masked to the end. A comment
 * (block comments nest, as in PostgreSQL and SQL Server; not for MySQL) keeps its place, not its text.
 *
 * @internal
 */
export const maskLiterals = (statement: string, vendor?: string): string => {
  const mysql = vendor !== undefined && /^(mysql|mariadb)$/i.test(vendor)
  const lowerVendor = vendor?.toLowerCase() ?? ""
  const tsql = transactSql.has(lowerVendor)
  const brackets = tsql || bracketQuoting.has(lowerVendor)
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
      out += "/* ? */"
      i = endOfComment(statement, i, !mysql)
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
    if (c === "\"" || c === "`" || (c === "[" && brackets)) {
      // A quoted identifier, copied as it is; unterminated, it may be anything.
      const end = statement.indexOf(c === "[" ? "]" : c, i + 1)
      out += end === -1 ? `${c}?` : statement.slice(i, end + 1)
      i = end === -1 ? n : end + 1
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
      // SQL Server's money literal ($12.50); elsewhere $1 is a parameter, no data.
      if (tsql && (isDigit(next) || (next === "." && isDigit(statement[i + 2])))) {
        i = endOfNumber(statement, i + 1)
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
      if (statement[j] === "'" && /^n?q$/i.test(word)) {
        // Oracle's alternative quoting: q'[it's]' ends at the delimiter's partner followed by a quote.
        i = endOfQuoted(statement, j)
        out += word.slice(0, -1) + "?"
        continue
      }
      out += /^(?:true|false)$/i.test(word) ? "?" : word
      i = j
      continue
    }
    out += c
    i++
  }
  return out
}

// Vendors (lower case) of Transact-SQL, with `[name]` identifiers and `$12.50` money; and others that quote with `[`.
const transactSql = new Set(["sqlserver", "sql server", "mssql", "sybase"])
const bracketQuoting = new Set(["sqlite", "access", "ms access"])

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"

// The index after the block comment at `start`. Comments nest in PostgreSQL and SQL Server, not in MySQL; for other
// vendors nesting masks more, never less. Unterminated: the end of the statement.
const endOfComment = (s: string, start: number, nested: boolean): number => {
  let depth = 0
  let i = start
  while (i < s.length) {
    if (s[i] === "/" && s[i + 1] === "*" && (nested || depth === 0)) {
      depth++
      i += 2
    } else if (s[i] === "*" && s[i + 1] === "/") {
      i += 2
      if (--depth === 0) return i
    } else {
      i++
    }
  }
  return s.length
}

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

const closingDelimiter: Record<string, string> = { "[": "]", "{": "}", "(": ")", "<": ">" }

// The index after Oracle's q'<d>...<d>' whose quote is at `quote`. Unterminated: the end of the statement.
const endOfQuoted = (s: string, quote: number): number => {
  const open = s[quote + 1]
  if (open === undefined) return s.length
  const end = s.indexOf(`${closingDelimiter[open] ?? open}'`, quote + 2)
  return end === -1 ? s.length : end + 2
}

// The index after the number at `start`: hex, octal or binary (0x.., 0o.., 0b..), or digits with a fraction and an
// exponent; `_` may separate digits (PostgreSQL 16). Letters run into it (0b2, 12abc) are masked with it.
const endOfNumber = (s: string, start: number): number => {
  let i = start
  const radix = s[i] === "0" ? s[i + 1]?.toLowerCase() : undefined
  if (radix === "x" || radix === "o" || radix === "b") {
    i += 2
  } else {
    i = endOfDigits(s, i)
    if (s[i] === "." && isDigit(s[i + 1])) i = endOfDigits(s, i + 1)
    const signed = (s[i + 1] === "+" || s[i + 1] === "-") && isDigit(s[i + 2])
    if ((s[i] === "e" || s[i] === "E") && (isDigit(s[i + 1]) || signed)) i = endOfDigits(s, i + 2)
  }
  while (i < s.length && /[\w$]/.test(s[i]!)) i++
  return i
}

const endOfDigits = (s: string, start: number): number => {
  let i = start
  while (isDigit(s[i]) || (s[i] === "_" && isDigit(s[i + 1]))) i++
  return i
}

/**
 * The operation of a statement (its first word, upper-cased, when it is a SQL keyword that starts a statement), for
 * the span name. Span shapes are kept per operation, and the text may come from anywhere: any other first word
 * gives none, as an empty statement does.
 *
 * @internal
 */
export const operationOf = (statement: string): string | undefined => {
  // One forward scan past whitespace and block comments: a regex for this backtracks exponentially on hostile input.
  const n = statement.length
  let i = 0
  while (i < n) {
    if (/\s/.test(statement[i]!)) {
      i++
    } else if (statement[i] === "/" && statement[i + 1] === "*") {
      const end = statement.indexOf("*/", i + 2)
      if (end === -1) return undefined
      i = end + 2
    } else {
      break
    }
  }
  let j = i
  while (j < n && isLetter(statement.charCodeAt(j))) j++
  // No keyword is longer; a longer word is not one, and is not upper-cased for nothing.
  if (j === i || j - i > 16) return undefined
  const word = statement.slice(i, j).toUpperCase()
  return statementKeywords.has(word) ? word : undefined
}

// The words statements start with, across the vendors of sql.ts's table (ANSI SQL, PostgreSQL, MySQL, SQL Server,
// Oracle, DB2, SQLite, ...).
const statementKeywords: ReadonlySet<string> = new Set([
  "ALTER", "ANALYZE", "ATTACH", "BACKUP", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT", "COMMIT",
  "COPY", "CREATE", "DBCC", "DEALLOCATE", "DECLARE", "DELETE", "DESC", "DESCRIBE", "DETACH", "DISCARD", "DO", "DROP",
  "END", "EXEC", "EXECUTE", "EXPLAIN", "FETCH", "FLUSH", "GRANT", "HANDLER", "IMPORT", "INSERT", "KILL", "LISTEN",
  "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "OPEN", "OPTIMIZE", "PRAGMA", "PREPARE", "PURGE", "REFRESH", "REINDEX",
  "RELEASE", "RENAME", "REPLACE", "RESET", "RESTORE", "REVOKE", "ROLLBACK", "SAVEPOINT", "SELECT", "SET", "SHOW",
  "START", "TABLE", "TRUNCATE", "UNLISTEN", "UNLOCK", "UPDATE", "UPSERT", "USE", "VACUUM", "VALUES", "WITH"
])

// ASCII letters only, as SQL keywords are.
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
