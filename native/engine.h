// The tracing engine: open spans in a handle table, parentage passed explicitly on every start,
// finished spans handed to a bounded ring. Used from the JS thread only, except the ring's consumer side.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "handles.h"
#include "ids.h"
#include "intern.h"
#include "pool.h"
#include "ring.h"
#include "span.h"
#include "tags.h"

namespace oneagent {

// Results of engine calls. Mirrored by src/internal/codes.ts.
enum Status : int32_t {
  kOk = 0,
  kStaleHandle = -2,      // the handle never existed or its slot was reused
  kAlreadyEnded = -3,     // the span was ended before
  kNoParent = -4,         // a tracer that may only run inside a trace had none (not created)
  kTableFull = -5,        // too many open spans (not created)
  kNoServiceCall = -6,    // a custom request attribute with no open service call
  kBadTag = -7,           // an incoming tag could not be parsed (a new trace was started)
  kStaleParent = -8,      // the parent handle is no longer resolvable (a new trace was started)
  kShutDown = -9,         // the engine was shut down
  kBadTemplate = -11,     // the template id is unknown
  kOutOfMemory = -14,     // an allocation failed: nothing was created or changed (-12, -13: exporter statuses)
};

// Options of span_start, mirrored by src/internal/codes.ts.
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
  kCounterDroppedRing,     // finished spans dropped because the ring was full
  kCounterDroppedAttrs,    // attributes over the per-span limit
  kCounterQueued,          // finished spans waiting in the ring
  kCounterLastNote,        // a Status that explains the last call's benign outcome (bad tag, ...)
  kCounterExported,        // spans accepted by the exporter
  kCounterDroppedExport,   // spans dropped by the exporter (rejected batches, shutdown deadline)
  kCounterEndedSampled,    // ended spans that were recorded (handed to the ring, or dropped by it)
  kCounterCount
};

// What every span started from it shares: name, kind, start flags and constant attributes. Tracers
// built once (combinators) start spans with one call that names a template instead of passing strings.
struct SpanTemplate {
  uint32_t name = 0;
  SpanKind kind = SpanKind::Internal;
  uint32_t flags = 0;
  std::vector<Attr> attrs;
};

constexpr uint32_t kMaxTemplates = 65536;

struct EngineOptions {
  // Rounded up to a power of two (at least 16); at most kMaxRingCapacity (ring.h), which the addon enforces.
  uint32_t ring_capacity = 65536;
  double sample_ratio = 1.0;
  uint32_t max_attributes = 128;
  uint32_t max_events = 128;
  bool parent_based = true;  // children keep their parent's sampling decision (OTel parentbased_*)
  // Other spans that end before an ended span's slot is reused (handles.h states what that guarantees). The addon
  // keeps the default; tests and the fuzz harness may lower it to reach slot reuse in a few calls.
  uint32_t reuse_delay = kReuseDelay;
};

struct SpanSlot {
  uint32_t generation = 0;
  bool live = false;
  bool ended = false;
  uint32_t service = 0;  // handle of the nearest open-able service call (itself for service spans)
  uint32_t depth = 0;
  // Start order in this engine. Of two spans on one chain the later-started is the inner one, also when a remote
  // parent reset `depth` (a span continuing an incoming tag inside an Effect span): `deeper` compares this.
  uint64_t order = 0;
  uint32_t name = 0;
  int64_t start_ns = 0;
  TraceContext ctx;
  std::string trace_state;       // the W3C tracestate that came with the trace, inherited by children
  SpanRecord* record = nullptr;  // null once ended, or for an unsampled span
};

class Engine {
 public:
  explicit Engine(const EngineOptions& options, double* counters);
  ~Engine();

  uint32_t intern(std::string_view s) { return strings_.intern(s); }
  const InternTable& strings() const { return strings_; }
  SpanRing& ring() { return ring_; }

  // Returns a template id (> 0), or kTableFull once kMaxTemplates exist.
  int32_t template_create(SpanTemplate&& t);
  // Starts a span. parent: a span handle, or 0. remote: an incoming context that overrides the parent.
  // Returns a handle (> 0), 0 when no span is created by rule, or a negative Status.
  int32_t start(uint32_t parent, const TraceContext* remote, std::string_view trace_state, uint32_t template_id);
  // Starts a new root the caller has already decided to sample (the JS side decides the roots it keeps unsampled
  // without the engine). Its trace id is drawn so that the trace-id ratio agrees with that decision (no id can
  // for a ratio below 2^-63, whose threshold is 0).
  int32_t start_sampled_root(uint32_t template_id);
  // The context of a new unsampled root that the JS side carries without a span: a trace id the ratio leaves out
  // (low 63 bits at or above the threshold), a new span id, flags 0.
  TraceContext unsampled_root();
  uint64_t new_span_id() { return ids_.span_id(); }
  // Starts a span under the deeper of two candidate parents: the SDK's current span and Effect's current
  // span lie on one chain, so the deeper one is the innermost.
  int32_t start_nested(uint32_t a, uint32_t b, uint32_t template_id);
  // The deeper of two spans on one chain (the innermost), or whichever resolves; 0 when neither does.
  uint32_t deeper(uint32_t a, uint32_t b);
  // Starts a span that continues an in-process link: a child of the creator span while its handle still
  // resolves to it (checked by span id), otherwise a child of the link's recorded context.
  int32_t start_linked(uint32_t creator, const TraceContext& link, uint32_t template_id);
  int32_t set_name(uint32_t handle, std::string&& name);
  int32_t end(uint32_t handle);

  int32_t fail(uint32_t handle, std::string&& type, std::string&& message, std::string&& stack);
  // Sets the status without an exception event (an HTTP 5xx is a failure but not an exception).
  int32_t set_status(uint32_t handle, StatusCode code, std::string&& message);
  int32_t add_event(uint32_t handle, Event&& event);
  int32_t add_link(uint32_t handle, Link&& link);
  // A custom request attribute on the service call that `handle` belongs to.
  int32_t service_attr(uint32_t handle, Attr&& attr);
  int32_t add_attr(uint32_t handle, Attr&& attr);
  int32_t context(uint32_t handle, TraceContext& out);
  // The span's tracestate (valid until the slot is reused); null for a handle that no longer resolves.
  const std::string* trace_state(uint32_t handle);


  uint32_t open_spans() const { return spans_.live(); }
  template <typename F>
  void for_each_open(F&& f) { spans_.for_each_live([&](uint32_t h, SpanSlot& s) { f(h, s); }); }
  void note(Status status) { counters_[kCounterLastNote] = status; }
  double* counters() { return counters_; }

 private:
  // The open slot for a handle, or null with *status set.
  SpanSlot* open_slot(uint32_t handle, int32_t* status);
  // The record of an open span; null with *status set when not open, null with kOk when unsampled.
  SpanRecord* open_record(uint32_t handle, int32_t* status);
  // parent by value: it may live in a slot that allocate() hands to the new span (see engine.cc).
  int32_t start_from(const TraceContext parent, bool has_parent, uint32_t service, uint32_t depth,
                     std::string_view trace_state, const SpanTemplate& t, bool sampled_root = false);
  uint8_t sample(const TraceId& id) const {
    return sample_threshold_ == UINT64_MAX || (id.lo >> 1) < sample_threshold_ ? 1 : 0;
  }
  const SpanTemplate* find_template(uint32_t id) const {
    return id == 0 || id > templates_.size() ? nullptr : &templates_[id - 1];
  }

  EngineOptions options_;
  double* counters_;
  IdGenerator ids_;
  uint64_t starts_ = 0;  // SpanSlot::order of the last span started
  InternTable strings_;
  RecordPool pool_;  // declared before spans_ and ring_, so it outlives the records they return to it
  HandleTable<SpanSlot> spans_;
  SpanRing ring_;
  std::vector<SpanTemplate> templates_;
  uint64_t sample_threshold_;
};

}  // namespace oneagent
