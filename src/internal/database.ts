/**
 * SQL database requests: the database info object, the span shape of a request (CLIENT, recorded only inside
 * another trace, named after the statement's operation), and the two forms of its tracer.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as Database from "../Database.ts"
import { AttributeList, spanName } from "./attributes.ts"
import { Kind, Limit, StartFlag } from "./codes.ts"
import { safeString } from "./diagnostics.ts"
import * as Info from "./info.ts"
import { type Runtime, runtimeOf } from "./runtime.ts"
import * as Span from "./span.ts"
import * as Sql from "./sql.ts"
import { fromList } from "./templates.ts"
import * as Tracer from "./tracer.ts"

/** @internal */
export const createInfo = (options: Database.DatabaseInfoOptions): Effect.Effect<Database.DatabaseInfo, never, Scope.Scope> =>
  Info.make<Database.DatabaseInfo>("DatabaseInfo", () => {
    const list = new AttributeList()
    const vendor = list.required("vendor", options.vendor)
    list.add("db.system.name", Sql.otelSystemName(vendor))
      .add("oneagent.db.vendor", vendor)
      .add("db.namespace", list.required("name", options.name))
      .channel(options.channel)
    return {
      info: { _tag: "DatabaseInfo", name: options.name, vendor: options.vendor, channel: options.channel },
      attributes: list
    }
  })

// Statements are recorded up to Limit.Long characters: masking more of a huge one is wasted time. (A literal cut
// here is unterminated, which masks it to the end.)
const maskedLength = 16 * Limit.Long

/** @internal */
export const start = (
  runtime: Runtime,
  info: Database.DatabaseInfo,
  statement: string,
  operation: string
): Span.StartOptions | undefined => {
  const state = Info.stateOf(runtime, info, "DatabaseInfo", operation)
  if (state === undefined) return undefined
  const text = typeof statement === "string" ? statement : safeString(statement)
  const keyword = Sql.operationOf(text)
  const template = Info.templateOf(state, keyword, undefined, () => {
    const list = new AttributeList().addAll(state.attributes).add("db.operation.name", keyword)
    const name = list.name(keyword === undefined ? spanName(info.name) : spanName(keyword, " ", info.name, "first"))
    return fromList(list, name, Kind.Client, StartFlag.RequireParent)
  })
  return {
    template,
    attributes: [
      "db.query.text",
      runtime.data.maskSqlLiterals ? Sql.maskLiterals(text.slice(0, maskedLength), info.vendor) : text,
      Limit.Long
    ],
    problems: typeof statement === "string" ? undefined : [`"statement" must be a string`]
  }
}

const rowsKey = "db.response.returned_rows"
const tripsKey = "oneagent.db.round_trip_count"

/** @internal */
export const trace = dual(Tracer.isEffectFirst, <A, E, R>(
  self: Effect.Effect<A, E, R>,
  info: Database.DatabaseInfo,
  statement: string,
  options?: Database.SqlDatabaseRequestOptions<A>
): Effect.Effect<A, E, R> => {
  const operation = "traceSqlDatabaseRequest"
  return Tracer.traced(self, runtimeOf, operation, (runtime) => start(runtime, info, statement, operation),
    options === undefined ? undefined : (runtime, handle, value) => {
      const rows = Tracer.derive(runtime, operation, () => options.rowsReturned, value)
      if (rows !== undefined) Span.setAttribute(runtime, handle, rowsKey, rows, operation)
      const trips = Tracer.derive(runtime, operation, () => options.roundTripCount, value)
      if (trips !== undefined) Span.setAttribute(runtime, handle, tripsKey, trips, operation)
    })
})

/** @internal The scoped SQL tracer. */
export class SqlTracer extends Tracer.TracerImpl implements Database.SqlDatabaseRequestTracer {
  declare readonly _tag: "SqlDatabaseRequestTracer"
  setRowsReturned(rows: number): Effect.Effect<void> {
    return this.attribute(rowsKey, rows, "setRowsReturned")
  }
  setRoundTripCount(count: number): Effect.Effect<void> {
    return this.attribute(tripsKey, count, "setRoundTripCount")
  }
}

/** @internal */
export const scoped = (
  runtime: Runtime,
  info: Database.DatabaseInfo,
  statement: string
): Effect.Effect<Database.SqlDatabaseRequestTracer, never, Scope.Scope> =>
  Tracer.scoped(
    runtime,
    "SqlDatabaseRequestTracer",
    "traceSqlDatabaseRequest",
    () => start(runtime, info, statement, "traceSqlDatabaseRequest"),
    SqlTracer
  )
