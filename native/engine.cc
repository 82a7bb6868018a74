#include "engine.h"

#include <algorithm>
#include <cmath>

#include "guard.h"

namespace oneagent {

Engine::Engine(const EngineOptions& options, double* counters, int32_t* ids)
    : options_(options),
      counters_(counters),
      published_(ids),
      // Idle records are kept up to the ring's size (at most 65,536 + 1,024): a steady export rate allocates none.
      pool_(std::min<uint32_t>(options.ring_capacity, 65536) + 1024),
      spans_(options.reuse_delay),
      ring_(options.ring_capacity),
      limit_(std::max<uint32_t>(options.ring_capacity, 1)) {
  double ratio = std::isfinite(options.sample_ratio) ? options.sample_ratio : 1.0;
  ratio = ratio < 0 ? 0 : ratio > 1 ? 1 : ratio;
  // Compare the low 63 bits of the trace id, as OpenTelemetry's TraceIdRatioBased sampler does.
  sample_threshold_ = ratio >= 1 ? UINT64_MAX : static_cast<uint64_t>(ratio * 9223372036854775808.0);
  xor_bound_ = static_cast<uint64_t>(std::floor(ratio * 4294967295.0));
}

// The low 63 bits decide in the Go and Python SDKs (and in sample()); OpenTelemetry JS XORs the four 32-bit words.
// With the low word fixed, one value of the high word's low half gives any XOR: draw the XOR uniformly on the side
// of the bound that `keep` asks for and solve for that half, so both rules decide this root alike at the same ratio.
void Engine::agree_with_ratio(TraceId& id, bool keep) {
  const uint64_t below = xor_bound_;                   // XOR values OpenTelemetry JS keeps: [0, below)
  const uint64_t above = (uint64_t{1} << 32) - below;  // and leaves out: [below, 2^32)
  if (keep ? below == 0 : above == 0) return;          // a ratio so small (or 1) that no id can agree
  const uint64_t random = ids_.span_id();
  const uint32_t target = static_cast<uint32_t>(keep ? random % below : below + random % above);
  const uint32_t others = static_cast<uint32_t>(id.hi >> 32) ^ static_cast<uint32_t>(id.lo >> 32) ^
                          static_cast<uint32_t>(id.lo);
  id.hi = (id.hi & 0xFFFFFFFF00000000ull) | (target ^ others);
}

Engine::~Engine() {
  spans_.for_each_live([](uint32_t, SpanSlot& slot) {
    delete slot.record;
    slot.record = nullptr;
  });
}

int32_t Engine::template_create(SpanTemplate&& t) {
  if (templates_.size() >= kMaxTemplates) return kTableFull;
  templates_.push_back(std::move(t));
  return static_cast<int32_t>(templates_.size());
}

int32_t Engine::start(uint32_t parent, const TraceContext* remote, std::string_view trace_state, uint32_t template_id) {
  const SpanTemplate* t = find_template(template_id);
  if (t == nullptr) return kBadTemplate;
  if (remote != nullptr && remote->valid()) {
    // A remote parent starts this process's part of the trace; the local service call does not carry over.
    return start_from(*remote, true, 0, trace_state, *t);
  }
  if (parent != 0) {
    SpanSlot* p = spans_.find(parent);
    // p may be ended and its slot free: start_from copies what it needs from it before taking a slot.
    if (p == nullptr) return kStaleParent;
    return start_from(p->ctx, true, p->service, p->trace_state, *t);
  }
  return start_from(TraceContext(), false, 0, std::string_view(), *t);
}

int32_t Engine::start_sampled_root(uint32_t template_id) {
  const SpanTemplate* t = find_template(template_id);
  if (t == nullptr) return kBadTemplate;
  return start_from(TraceContext(), false, 0, std::string_view(), *t, true);
}

TraceContext Engine::unsampled_root() {
  TraceContext ctx;
  ctx.trace_id = ids_.trace_id();
  if (sample_threshold_ < (uint64_t{1} << 63)) {
    const uint64_t span = (uint64_t{1} << 63) - sample_threshold_;  // values of the low 63 bits left out
    const uint64_t low63 = sample_threshold_ + (ctx.trace_id.lo >> 1) % span;
    ctx.trace_id.lo = (low63 << 1) | (ctx.trace_id.lo & 1);
    agree_with_ratio(ctx.trace_id, false);
  }
  ctx.span_id = ids_.span_id();
  ctx.flags = 0;
  publish(ctx, ++starts_);
  return ctx;
}

void Engine::publish(const TraceContext& ctx, uint64_t order) {
  int32_t* out = published_;
  const uint64_t words[3] = {ctx.trace_id.hi, ctx.trace_id.lo, ctx.span_id};
  for (int i = 0; i < 3; ++i) {
    out[3 * i] = static_cast<int32_t>(words[i] >> 48);
    out[3 * i + 1] = static_cast<int32_t>((words[i] >> 24) & 0xFFFFFF);
    out[3 * i + 2] = static_cast<int32_t>(words[i] & 0xFFFFFF);
  }
  out[kIdsFlags] = ctx.flags;
  counters_[kCounterLastOrder] = static_cast<double>(order);
}

// The parent may be an ended span whose slot is free, and spans_.allocate() can hand that very slot to the new span:
// so `parent` is a copy, and `trace_state` (possibly a view of the parent slot's string) is read before allocating,
// or the span would be recorded as its own parent. What can throw (std::bad_alloc: a record, the template's
// attributes, a trace state, a new chunk of slots) happens before the slot is taken, so a start that throws leaves
// no open span behind.
int32_t Engine::start_from(const TraceContext parent, bool has_parent, uint32_t service, std::string_view trace_state,
                           const SpanTemplate& t, bool sampled_root) {
  const uint32_t flags = t.flags;
  if ((flags & kRequireParent) && !has_parent) {
    note(kNoParent);
    return 0;
  }
  TraceContext ctx;
  ctx.span_id = ids_.span_id();
  if (has_parent) {
    ctx.trace_id = parent.trace_id;
    // Parent-based sampling keeps the parent's decision; otherwise the trace id decides, as for a root.
    ctx.flags = options_.parent_based ? parent.flags : (parent.flags & ~1) | sample(parent.trace_id);
  } else {
    ctx.trace_id = ids_.trace_id();
    if (sampled_root && sample_threshold_ != UINT64_MAX && sample_threshold_ > 0) {
      // Low 63 bits below the threshold, as sample() requires; the lowest bit stays random.
      TraceId& id = ctx.trace_id;
      id.lo = (((id.lo >> 1) % sample_threshold_) << 1) | (id.lo & 1);
    }
    ctx.flags = sampled_root ? 1 : sample(ctx.trace_id);
    if (sample_threshold_ != UINT64_MAX) agree_with_ratio(ctx.trace_id, ctx.flags == 1);
  }
  const int64_t start_ns = IdGenerator::clock_ns();
  std::string state;
  if (!trace_state.empty()) state.assign(trace_state.data(), trace_state.size());
  SpanRecord* r = nullptr;
  if (ctx.sampled()) {
    r = pool_.acquire();
    ONEAGENT_TRY {
      if (!state.empty()) r->trace_state = state;
      r->attrs = t.attrs;  // copy-assigned over a recycled record's attributes: their strings' buffers are reused
    } ONEAGENT_CATCH_ALL {
      delete r;
      ONEAGENT_RETHROW;
    }
    r->trace_id = ctx.trace_id;
    r->span_id = ctx.span_id;
    r->parent_span_id = has_parent ? parent.span_id : 0;
    r->flags = ctx.flags;
    r->kind = t.kind;
    r->name = t.name;
    r->start_ns = start_ns;
  }
  uint32_t handle;
  ONEAGENT_TRY {
    handle = spans_.allocate();
  } ONEAGENT_CATCH_ALL {
    if (r != nullptr) delete r;
    ONEAGENT_RETHROW;
  }
  if (handle == 0) {
    if (r != nullptr) delete r;
    return kTableFull;
  }
  SpanSlot& slot = *spans_.find(handle);
  slot.ended = false;
  slot.name = t.name;
  slot.start_ns = start_ns;
  slot.ctx = ctx;
  slot.service = (flags & kServiceCall) ? handle : service;
  if (state.empty()) slot.trace_state.clear();
  else slot.trace_state.swap(state);
  slot.record = r;
  counters_[kCounterStarted] += 1;
  counters_[kCounterOpen] = spans_.live();
  if (r == nullptr) counters_[kCounterUnsampled] += 1;
  publish(ctx, ++starts_);
  return static_cast<int32_t>(handle);
}

SpanSlot* Engine::open_slot(uint32_t handle, int32_t* status) {
  SpanSlot* slot = spans_.find(handle);
  if (slot == nullptr) {
    *status = kStaleHandle;
    return nullptr;
  }
  if (slot->ended) {
    *status = kAlreadyEnded;
    return nullptr;
  }
  *status = kOk;
  return slot;
}

SpanRecord* Engine::open_record(uint32_t handle, int32_t* status) {
  SpanSlot* slot = open_slot(handle, status);
  // An open but unsampled span keeps nothing: the call succeeds and is dropped.
  return slot == nullptr ? nullptr : slot->record;
}

int32_t Engine::end(uint32_t handle) {
  int32_t status;
  SpanSlot* slot = open_slot(handle, &status);
  if (slot == nullptr) return status;
  spans_.release(handle);  // first: it may throw (std::bad_alloc), and then the span is still open and intact
  slot->ended = true;
  SpanRecord* r = slot->record;
  slot->record = nullptr;
  counters_[kCounterEnded] += 1;
  counters_[kCounterOpen] = spans_.live();
  if (r != nullptr) {
    counters_[kCounterEndedSampled] += 1;
    r->end_ns = IdGenerator::clock_ns();
    // The bound counts every span not yet exported, taken or not: however the consumer batches them, no span is
    // dropped while fewer than limit_ wait. The ring (at least limit_ slots) then always has room.
    const uint64_t waiting = pushed_ - settled_.load(std::memory_order_acquire);
    if (waiting >= limit_ || !ring_.push(r)) {
      if (waiting >= limit_) delete r;
      counters_[kCounterDroppedRing] += 1;
    } else {
      ++pushed_;
    }
    counters_[kCounterQueued] = static_cast<double>(pushed_ - settled_.load(std::memory_order_relaxed));
  }
  return kOk;
}

int32_t Engine::set_name(uint32_t handle, std::string&& name) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;
  r->name_text = std::move(name);
  return kOk;
}

int32_t Engine::add_attr(uint32_t handle, Attr&& attr) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;  // unsampled: nothing is kept
  if (r->attrs.size() >= options_.max_attributes) {
    r->dropped_attrs++;
    counters_[kCounterDroppedAttributes] += 1;
    return kOk;
  }
  r->attrs.push_back(std::move(attr));
  return kOk;
}

int32_t Engine::fail(uint32_t handle, std::string&& type, std::string&& message, std::string&& stack) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;
  r->status = StatusCode::Error;
  r->status_message = type.empty() ? message : message.empty() ? type : type + ": " + message;
  if (r->events.size() >= options_.max_events) {
    r->dropped_events++;
    return kOk;
  }
  Event e;
  e.name = strings_.intern("exception");
  e.time_ns = IdGenerator::clock_ns();
  auto add = [&](const char* key, std::string&& value) {
    if (value.empty()) return;
    Attr a;
    a.key = strings_.intern(key);
    a.type = AttrType::String;
    a.i = 0;
    a.s = std::move(value);
    e.attrs.push_back(std::move(a));
  };
  add("exception.type", std::move(type));
  add("exception.message", std::move(message));
  add("exception.stacktrace", std::move(stack));
  r->events.push_back(std::move(e));
  return kOk;
}

int32_t Engine::set_status(uint32_t handle, StatusCode code, std::string&& message) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;
  r->status = code;
  r->status_message = std::move(message);
  return kOk;
}

int32_t Engine::add_event(uint32_t handle, Event&& event) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;
  if (r->events.size() >= options_.max_events) {
    r->dropped_events++;
    return kOk;
  }
  r->events.push_back(std::move(event));
  return kOk;
}

int32_t Engine::add_link(uint32_t handle, Link&& link) {
  int32_t status;
  SpanRecord* r = open_record(handle, &status);
  if (r == nullptr) return status;
  if (r->links.size() >= options_.max_events) {  // links share the events' bound
    r->dropped_links++;
    return kOk;
  }
  r->links.push_back(std::move(link));
  return kOk;
}

int32_t Engine::service_attr(uint32_t handle, Attr&& attr) {
  SpanSlot* slot = spans_.find(handle);
  if (slot == nullptr || slot->service == 0) return kNoServiceCall;
  SpanSlot* service = spans_.find(slot->service);
  if (service == nullptr || service->ended) return kNoServiceCall;
  return add_attr(slot->service, std::move(attr));
}

int32_t Engine::context(uint32_t handle, TraceContext& out) {
  SpanSlot* slot = spans_.find(handle);
  if (slot == nullptr) return kStaleHandle;
  out = slot->ctx;
  return slot->ended ? kAlreadyEnded : kOk;
}

}  // namespace oneagent
