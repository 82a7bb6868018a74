// The numbers the engine shares with the TypeScript side: call results, start flags, the indices of the shared
// counters and of the published ids. The one list of each; src/internal/codes.ts mirrors them, and
// test/codes.test.ts reads this file to check that the two agree.
#pragma once
#include <cstdint>

namespace oneagent {

// Results of engine and export calls: 0 or a positive value (a handle, an id) for success, a negative Status
// otherwise.
enum Status : int32_t {
  kOk = 0,
  kRefused = -1,          // engine_init refused its arguments, or an export call got a malformed one
  kStaleHandle = -2,      // the handle never existed or its slot was reused
  kAlreadyEnded = -3,     // the span was ended before
  kNoParent = -4,         // a tracer that may only run inside a trace had none (not created)
  kTableFull = -5,        // too many open spans (not created)
  kNoServiceCall = -6,    // a custom request attribute with no open service call
  kBadTag = -7,           // an incoming tag could not be parsed (a new trace was started)
  kStaleParent = -8,      // the parent's slot was reused (nothing started: start from the parent's ids instead)
  kShutDown = -9,         // the engine was shut down, or never initialised
  kAlreadyStarted = -10,  // an exporter is running
  kBadTemplate = -11,     // the template id is unknown
  kNotStarted = -12,      // no exporter is running
  kNoCallback = -13,      // N-API could not create the export callback
  kOutOfMemory = -14,     // an allocation failed: nothing was created or changed
};

// Options of span_start.
enum StartFlags : uint32_t {
  kRequireParent = 1,  // SQL and message-receive tracers: only inside another trace
  kServiceCall = 2,    // incoming remote call, custom service, incoming web request, message process
};

// Indices into the shared Float64Array of counters that JS reads without a call.
enum Counter : uint32_t {
  kCounterStarted = 0,
  kCounterEnded,
  kCounterOpen,
  kCounterUnsampled,
  kCounterDroppedRing,    // finished spans dropped because bufferSize of them were waiting for export
  kCounterDroppedAttributes,   // attributes over the per-span limit
  kCounterQueued,         // finished spans waiting for export (in the ring, or taken and not settled)
  kCounterLastNote,       // a Status that explains the last call's benign outcome (bad tag, ...)
  kCounterEndedSampled,   // ended spans that were recorded (handed to the ring, or dropped by it)
  kCounterLastOrder,      // the start order of the last span started: of two spans on one chain, the later is inner
  kCounterCount
};

// Indices into the shared Int32Array that receives the ids of each span the engine starts (and of each unsampled
// root it makes): the JS side keeps them with the span's reference, so a late child still finds its parent's trace
// and an Effect span knows its ids without a call. A 64-bit id is three chunks of 16, 24 and 24 bits, most
// significant first: small integers for V8, whatever the id.
enum IdsSlot : uint32_t {
  kIdsTraceHi = 0,  // 3 chunks
  kIdsTraceLo = 3,  // 3 chunks
  kIdsSpan = 6,     // 3 chunks
  kIdsFlags = 9,
  kIdsCount
};

// String limits, in characters (code points): SQL statements and URLs keep kLimitLong, other strings kLimitDefault.
enum Limit : uint32_t {
  kLimitDefault = 250,
  kLimitLong = 4096,
};

}  // namespace oneagent
