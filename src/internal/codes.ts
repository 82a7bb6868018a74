/**
 * Numbers shared with the engine: each block mirrors an enum of `native/status.h` (test/codes.test.ts checks that they
 * agree), plus the OpenTelemetry SpanKind numbers of `native/span.h`.
 *
 * @internal
 */

/** @internal Results of engine and export calls (`enum Status`). */
export const Status = {
  Ok: 0,
  Refused: -1,
  StaleHandle: -2,
  AlreadyEnded: -3,
  NoParent: -4,
  TableFull: -5,
  NoServiceCall: -6,
  BadTag: -7,
  StaleParent: -8,
  ShutDown: -9,
  AlreadyStarted: -10,
  BadTemplate: -11,
  NotStarted: -12,
  NoCallback: -13,
  OutOfMemory: -14
} as const

/** @internal Start flags (`enum StartFlags`). */
export const StartFlag = {
  None: 0,
  RequireParent: 1,
  ServiceCall: 2
} as const

/** @internal Indices into the shared counters (`enum Counter`). */
export const Counter = {
  Started: 0,
  Ended: 1,
  Open: 2,
  Unsampled: 3,
  DroppedRing: 4,
  DroppedAttributes: 5,
  Queued: 6,
  LastNote: 7,
  EndedSampled: 8,
  LastOrder: 9,
  Count: 10
} as const

/** @internal Indices into the shared ids of the last span started (`enum IdsSlot`): 16-, 24- and 24-bit chunks. */
export const IdsSlot = {
  TraceHi: 0,
  TraceLo: 3,
  Span: 6,
  Flags: 9,
  Count: 10
} as const

/** @internal String limits in characters (code points) (`enum Limit`). */
export const Limit = {
  Default: 250,
  Long: 4096
} as const

/** @internal OpenTelemetry SpanKind numbers (`enum class SpanKind` in native/span.h). */
export const Kind = {
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5
} as const
