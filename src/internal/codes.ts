/**
 * Numbers shared with the native engine. Each block mirrors an enum in `native/engine.h` or `native/span.h`.
 *
 * @internal
 */

/** @internal Results of engine calls (`enum Status`). */
export const Status = {
  Ok: 0,
  StaleHandle: -2,
  AlreadyEnded: -3,
  NoParent: -4,
  TableFull: -5,
  NoServiceCall: -6,
  BadTag: -7,
  StaleParent: -8,
  ShutDown: -9,
  BadTemplate: -11,
  OutOfMemory: -14
} as const

/** @internal OpenTelemetry SpanKind numbers (`enum class SpanKind`). */
export const Kind = {
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5
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
  Exported: 8,
  DroppedExport: 9,
  EndedSampled: 10
} as const

/** @internal String limits of SPEC §3, in characters (code points). */
export const Limit = {
  Default: 250,
  Long: 4096
} as const
