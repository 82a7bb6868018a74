// The tracing engine: open spans in a handle table, parentage passed explicitly on every start, finished spans
// handed to a ring for export. Used from one JS thread (the producer); its consumer side (the ring's pop, `settle`,
// the intern table's reads) may run on another thread, the export worker's.
#pragma once
#include <atomic>
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
#include "status.h"
#include "tags.h"

namespace oneagent {

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
  // The bound on finished spans not yet exported (in the ring or taken and not settled): a span that ends while this
  // many wait is dropped and counted. The ring holds it rounded up to a power of two (at least 16); at most
  // kMaxRingCapacity (ring.h), which the addon enforces.
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
  uint32_t name = 0;
  int64_t start_ns = 0;
  TraceContext ctx;
  std::string trace_state;       // the W3C tracestate that came with the trace, inherited by children
  SpanRecord* record = nullptr;  // null once ended, or for an unsampled span
};

class Engine {
 public:
  // counters: the shared Float64Array of Counter values; ids: the shared Int32Array the ids of each new span are
  // written to (IdsSlot). Both outlive the engine.
  Engine(const EngineOptions& options, double* counters, int32_t* ids);
  ~Engine();

  uint32_t intern(std::string_view s) { return strings_.intern(s); }
  const InternTable& strings() const { return strings_; }
  SpanRing& ring() { return ring_; }

  // Returns a template id (> 0), or kTableFull once kMaxTemplates exist.
  int32_t template_create(SpanTemplate&& t);
  // Starts a span. parent: a span handle, or 0. remote: an incoming context that overrides the parent.
  // Returns a handle (> 0), 0 when no span is created by rule, or a negative Status: kStaleParent (nothing started)
  // when the parent's slot was reused, so the caller can start it from the parent's ids it kept instead.
  int32_t start(uint32_t parent, const TraceContext* remote, std::string_view trace_state, uint32_t template_id);
  // Starts a new root the caller has already decided to sample (the JS side decides the roots it keeps unsampled
  // without the engine). Its trace id is drawn so that the trace-id ratio agrees with that decision (no id can
  // for a ratio below 2^-63, whose threshold is 0).
  int32_t start_sampled_root(uint32_t template_id);
  // The context of a new unsampled root that the JS side carries without a span: a trace id the ratio leaves out
  // (low 63 bits at or above the threshold), a new span id, flags 0. Published like a started span's.
  TraceContext unsampled_root();
  uint64_t new_span_id() { return ids_.span_id(); }
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

  // Consumer side, any thread: `count` spans taken out of the ring are done with (exported or dropped), which makes
  // room for as many new ones under the bound.
  void settle(uint64_t count) { settled_.fetch_add(count, std::memory_order_release); }

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
  int32_t start_from(const TraceContext parent, bool has_parent, uint32_t service, std::string_view trace_state,
                     const SpanTemplate& t, bool sampled_root = false);
  // Writes a new span's (or unsampled root's) ids and start order for the JS side.
  void publish(const TraceContext& ctx, uint64_t order);
  uint8_t sample(const TraceId& id) const {
    return sample_threshold_ == UINT64_MAX || (id.lo >> 1) < sample_threshold_ ? 1 : 0;
  }
  const SpanTemplate* find_template(uint32_t id) const {
    return id == 0 || id > templates_.size() ? nullptr : &templates_[id - 1];
  }

  EngineOptions options_;
  double* counters_;
  int32_t* published_;
  IdGenerator ids_;
  uint64_t starts_ = 0;  // start order of the last span (or unsampled root) published
  InternTable strings_;
  RecordPool pool_;  // declared before spans_ and ring_, so it outlives the records they return to it
  HandleTable<SpanSlot> spans_;
  SpanRing ring_;
  const uint64_t limit_;                  // EngineOptions::ring_capacity: the bound on spans waiting for export
  uint64_t pushed_ = 0;                   // producer: finished spans handed to the ring
  std::atomic<uint64_t> settled_{0};      // consumer: of those, the ones exported or dropped after the take
  std::vector<SpanTemplate> templates_;
  uint64_t sample_threshold_;
  // OpenTelemetry JS's TraceIdRatioBasedSampler keeps a trace id whose four 32-bit words XOR to below
  // floor(ratio * 0xffffffff); the roots this engine draws for a ratio satisfy that rule too (agree_with_ratio).
  uint64_t xor_bound_;
  // Redraws the high word's low half so that OpenTelemetry JS's XOR rule decides `keep` as the low-63-bit rule did.
  void agree_with_ratio(TraceId& id, bool keep);
};

}  // namespace oneagent
