// The engine under random programs of API calls, as the addon makes them but with hostile arguments too:
// stale, ended and made-up handles, unknown templates, remote parents, a parent's kept ids after its slot was reused,
// attributes, events and links past the limits, a small ring that overflows. After every call the counters and the
// published ids must agree with the engine; every record that comes out of the ring must have the parent, trace,
// sampling, tracestate, name, status and counts (kept + dropped attributes, events and links) the calls promised,
// stay within the limits, and encode (protobuf and JSON) to requests the strict decoders accept with the same
// content. LeakSanitizer checks that the engine frees every record, open or queued, when it is destroyed.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "../native/engine.h"
#include "common.h"

using namespace oneagent;

namespace {

struct Expected {
  TraceId trace_id;
  uint64_t parent = 0;  // expected parent span id (0: a root)
  uint8_t flags = 0;
  bool ended = false;
  uint32_t service = 0;     // handle of its service call (its own for a service span; 0: none)
  std::string trace_state;  // given with a remote parent, inherited from a local one
  uint32_t name = 0;        // the template's
  SpanKind kind = SpanKind::Internal;
  std::string name_text;  // the last set_name
  StatusCode status = StatusCode::Unset;
  std::string status_message;
  size_t template_attrs = 0;
  size_t attrs_added = 0;   // add_attr and service_attr calls that answered kOk for it: kept or dropped
  size_t events_added = 0;  // add_event and fail calls that answered kOk
  size_t links_added = 0;   // add_link calls that answered kOk
};

struct TemplateInfo {
  uint32_t name;
  SpanKind kind;
  size_t attrs;
  bool requires_parent;
  bool service;
};

// What a start is given: no parent (a root), a resolvable local parent, or a valid remote context.
struct Origin {
  const TraceContext* parent = nullptr;
  std::string trace_state;
  uint32_t service = 0;
};

struct Harness {
  fz::Input& in;
  EngineOptions options;
  double counters[kCounterCount] = {};
  int32_t ids[kIdsCount] = {};
  std::unique_ptr<Engine> engine;
  std::vector<uint32_t> handles;                    // every handle handed out, newest last (bounded)
  std::vector<uint64_t> span_ids;                   // every span started, newest last (bounded)
  std::unordered_map<uint32_t, uint64_t> span_of;   // handle → span id
  std::unordered_map<uint64_t, Expected> expected;  // span id → what its record must say
  std::vector<TemplateInfo> templates;              // template id - 1 → what it was created with
  std::unordered_set<uint64_t> drained_ids;
  uint64_t sampled_ended = 0, popped = 0;
  uint64_t published = 0;  // starts and unsampled roots so far: the start order of the last one

  // The ratio as the engine clamps it, and its threshold on the low 63 bits of a trace id.
  double ratio() const {
    double r = std::isfinite(options.sample_ratio) ? options.sample_ratio : 1.0;
    return r < 0 ? 0 : r > 1 ? 1 : r;
  }
  uint64_t threshold() const { return static_cast<uint64_t>(ratio() * 9223372036854775808.0); }
  // The trace-id ratio's decision (a ratio of 1 has threshold 2^63: every trace id).
  bool ratio_samples(const TraceId& id) const { return (id.lo >> 1) < threshold(); }

  explicit Harness(fz::Input& input) : in(input) {
    options.ring_capacity = in.u8() % 64 + 1;
    static const double ratios[] = {1.0, 0.0, 0.5, NAN, -1.0, 2.0, 1e-300, INFINITY};
    options.sample_ratio = ratios[in.u8() % 8];
    options.max_attributes = in.u8() % 10;
    options.max_events = in.u8() % 5;
    options.parent_based = (in.u8() & 3) != 0;
    options.reuse_delay = in.u8() % 8;  // slots reused soon: children of ended parents land in their slots
    engine = std::make_unique<Engine>(options, counters, ids);
  }

  uint32_t pick_handle() {
    uint8_t k = in.u8();
    if (k < 200 && !handles.empty()) return handles[handles.size() - 1 - k % handles.size()];
    if (k < 230) return 0;
    return in.u32();
  }

  uint32_t pick_template() {
    uint8_t k = in.u8();
    if (k < 240 && !templates.empty()) return static_cast<uint32_t>(k % templates.size() + 1);
    return k % 3 == 0 ? 0 : in.u32();
  }

  // Attribute keys are ids from intern() (the addon interns every key it is given), known or new.
  uint32_t key() { return in.u8() % 4 == 0 ? in.u8() % engine->strings().size() : engine->intern(in.text(40)); }

  Attr attr() {
    Attr a;
    a.key = key();
    a.i = 0;
    switch (in.u8() % 4) {
      case 0: a.type = AttrType::String; a.s = in.text(100); break;
      case 1: a.type = AttrType::Int; a.i = static_cast<int64_t>(in.u64()); break;
      case 2: a.type = AttrType::Double; a.d = in.f64(); break;
      default: a.type = AttrType::Bool; a.b = in.u8() & 1;
    }
    return a;
  }

  // The context a span started under `parent` gets as its parent, from the engine's own view before the call.
  bool parent_context(uint32_t parent, TraceContext& out) {
    return parent != 0 && engine->context(parent, out) != kStaleHandle;
  }

  // The span a handle that resolves reaches (every handle the engine hands out goes through started()).
  Expected* of(uint32_t handle) {
    auto it = span_of.find(handle);
    FUZZ_CHECK(it != span_of.end());
    return &expected[it->second];
  }

  // The ids and start order the engine published for the JS side (status.h, IdsSlot) are those of `ctx`.
  void check_published(const TraceContext& ctx) {
    auto word = [&](int slot) {
      for (int i = 0; i < 3; ++i) FUZZ_CHECK(ids[slot + i] >= 0 && ids[slot + i] < (i == 0 ? 1 << 16 : 1 << 24));
      return static_cast<uint64_t>(ids[slot]) << 48 | static_cast<uint64_t>(ids[slot + 1]) << 24 | static_cast<uint64_t>(ids[slot + 2]);
    };
    FUZZ_CHECK(word(kIdsTraceHi) == ctx.trace_id.hi && word(kIdsTraceLo) == ctx.trace_id.lo);
    FUZZ_CHECK(word(kIdsSpan) == ctx.span_id);
    FUZZ_CHECK(ids[kIdsFlags] == ctx.flags);
    FUZZ_CHECK(counters[kCounterLastOrder] == static_cast<double>(++published));
  }

  // Starts a span the way the addon does and checks the outcome against the harness's own view: a valid remote
  // context wins over the local parent; a local parent that no longer resolves starts nothing (kStaleParent).
  int32_t start(uint32_t parent, const TraceContext* remote, std::string_view state, uint32_t t) {
    TraceContext pctx;
    const bool resolvable = parent_context(parent, pctx);
    const double order = counters[kCounterLastOrder];
    const int32_t h = engine->start(parent, remote, state, t);
    Origin o;
    if (remote != nullptr && remote->valid()) {
      o.parent = remote;
      o.trace_state = std::string(state);
    } else if (parent != 0 && !resolvable) {
      FUZZ_CHECK(h == (t == 0 || t > templates.size() ? kBadTemplate : kStaleParent));
      FUZZ_CHECK(counters[kCounterLastOrder] == order);  // nothing started, nothing published
      return h;
    } else if (parent != 0) {
      const Expected* p = of(parent);
      o.parent = &pctx;
      o.trace_state = p->trace_state;
      o.service = p->service;
    }
    started(h, t, o, order);
    return h;
  }

  void started(int32_t handle, uint32_t template_id, const Origin& o, double order_before, bool sampled_root = false) {
    if (template_id == 0 || template_id > templates.size()) {
      FUZZ_CHECK(handle == kBadTemplate);
      FUZZ_CHECK(counters[kCounterLastOrder] == order_before);
      return;
    }
    const TemplateInfo& t = templates[template_id - 1];
    if (handle == 0) {  // not created by rule: a tracer that needs a parent had none
      FUZZ_CHECK(t.requires_parent && o.parent == nullptr);
      FUZZ_CHECK(counters[kCounterLastOrder] == order_before);
      return;
    }
    FUZZ_CHECK(handle > 0);
    TraceContext ctx;
    FUZZ_CHECK(engine->context(static_cast<uint32_t>(handle), ctx) == kOk);
    FUZZ_CHECK(ctx.valid());
    check_published(ctx);
    FUZZ_CHECK(span_of.count(static_cast<uint32_t>(handle)) == 0 || expected[span_of[handle]].ended);
    Expected e;
    e.trace_id = ctx.trace_id;
    e.flags = ctx.flags;
    e.template_attrs = t.attrs;
    e.name = t.name;
    e.kind = t.kind;
    e.service = t.service ? static_cast<uint32_t>(handle) : o.service;
    if (o.parent != nullptr) {
      const TraceContext& parent = *o.parent;
      FUZZ_CHECK(ctx.trace_id.hi == parent.trace_id.hi && ctx.trace_id.lo == parent.trace_id.lo);
      if (options.parent_based) {
        FUZZ_CHECK(ctx.flags == parent.flags);  // parent-based sampling keeps the parent's decision
      } else {
        FUZZ_CHECK((ctx.flags & ~1) == (parent.flags & ~1));  // the other flags carry over; the ratio decides
        FUZZ_CHECK(ctx.sampled() == ratio_samples(ctx.trace_id));
      }
      e.parent = parent.span_id;
      e.trace_state = o.trace_state;
    } else {
      // A root: sampled when the caller decided so (start_sampled_root), else by the trace-id ratio.
      FUZZ_CHECK(ctx.flags == (sampled_root || ratio_samples(ctx.trace_id) ? 1 : 0));
    }
    FUZZ_CHECK(expected.count(ctx.span_id) == 0);  // span ids are unique
    expected[ctx.span_id] = e;
    span_of[static_cast<uint32_t>(handle)] = ctx.span_id;
    handles.push_back(static_cast<uint32_t>(handle));
    if (handles.size() > 512) handles.erase(handles.begin());
    span_ids.push_back(ctx.span_id);
    if (span_ids.size() > 512) span_ids.erase(span_ids.begin());
  }

  void check_counters() {
    FUZZ_CHECK(counters[kCounterOpen] == engine->open_spans() || counters[kCounterStarted] == 0);
    FUZZ_CHECK(counters[kCounterStarted] - counters[kCounterEnded] == engine->open_spans());
    FUZZ_CHECK(engine->ring().size() <= engine->ring().capacity());
    // Every sampled span that ended is in the ring, was taken out of it, or was counted as dropped.
    FUZZ_CHECK(static_cast<double>(sampled_ended) == static_cast<double>(popped + engine->ring().size()) + counters[kCounterDroppedRing]);
    FUZZ_CHECK(static_cast<double>(sampled_ended) == counters[kCounterEndedSampled]);
  }

  void drain(size_t max) {
    std::vector<std::unique_ptr<SpanRecord>> records;
    SpanRecord* r;
    while (records.size() < max && (r = engine->ring().pop()) != nullptr) records.emplace_back(r);
    popped += records.size();
    std::vector<fz::DSpan> want;
    for (const auto& rec : records) {
      auto it = expected.find(rec->span_id);
      FUZZ_CHECK(it != expected.end());
      const Expected& e = it->second;
      FUZZ_CHECK(e.ended);
      FUZZ_CHECK(drained_ids.insert(rec->span_id).second);  // each span comes out once
      FUZZ_CHECK(rec->trace_id.hi == e.trace_id.hi && rec->trace_id.lo == e.trace_id.lo);
      FUZZ_CHECK(rec->flags == e.flags && (rec->flags & 1));  // only sampled spans are recorded
      FUZZ_CHECK(rec->parent_span_id == e.parent);
      FUZZ_CHECK(rec->trace_state == e.trace_state);
      FUZZ_CHECK(rec->name == e.name && rec->name_text == e.name_text && rec->kind == e.kind);
      FUZZ_CHECK(rec->status == e.status && rec->status_message == e.status_message);
      // Every attribute, event and link a call was told was taken is on the record or counted as dropped, and
      // only what does not fit under the limit is dropped (template attributes are kept whatever the limit).
      FUZZ_CHECK(rec->attrs.size() + rec->dropped_attrs == e.template_attrs + e.attrs_added);
      FUZZ_CHECK(rec->attrs.size() == std::max<size_t>(e.template_attrs, std::min<size_t>(options.max_attributes, e.template_attrs + e.attrs_added)));
      FUZZ_CHECK(rec->events.size() + rec->dropped_events == e.events_added);
      FUZZ_CHECK(rec->events.size() == std::min<size_t>(options.max_events, e.events_added));
      FUZZ_CHECK(rec->links.size() + rec->dropped_links == e.links_added);
      FUZZ_CHECK(rec->links.size() == std::min<size_t>(options.max_events, e.links_added));  // links share the events' bound
      FUZZ_CHECK(rec->end_ns >= rec->start_ns);
      want.push_back(fz::expected_span(*rec, engine->strings()));
    }
    if (records.empty()) return;
    for (ExportFormat format : {ExportFormat::Protobuf, ExportFormat::Json}) {
      EncoderConfig config;
      config.format = format;
      config.scope_name = "effect-oneagent";
      BatchEncoder encoder(engine->strings(), config);
      for (const auto& rec : records) {
        encoder.stage(*rec);
        encoder.commit();
      }
      fz::check_request(encoder.take(), format, config, want);
    }
  }

  // A call on a span answers kOk while it is open (recorded or not), else why not.
  int32_t expected_status(uint32_t handle) {
    TraceContext ctx;
    int32_t s = engine->context(handle, ctx);
    return s == kStaleHandle ? kStaleHandle : s == kAlreadyEnded ? kAlreadyEnded : kOk;
  }

  void step() {
    switch (in.u8() % 19) {
      case 0: {
        SpanTemplate t;
        t.name = engine->intern(in.text(60));
        t.kind = static_cast<SpanKind>(in.u8() % 5 + 1);
        t.flags = in.u8() % 4;
        for (size_t n = in.u8() % 6; n > 0; --n) t.attrs.push_back(attr());
        TemplateInfo info{t.name, t.kind, t.attrs.size(), (t.flags & kRequireParent) != 0, (t.flags & kServiceCall) != 0};
        int32_t id = engine->template_create(std::move(t));
        FUZZ_CHECK(id > 0 && static_cast<size_t>(id) == templates.size() + 1);
        templates.push_back(info);
        break;
      }
      case 1:
      case 2: {
        uint32_t parent = pick_handle();
        uint32_t t = pick_template();
        TraceContext remote;
        bool use_remote = in.u8() % 4 == 0;
        if (use_remote) {
          remote.trace_id = {in.u64(), in.u64()};
          remote.span_id = in.u64();
          remote.flags = in.u8();
        }
        std::string state = in.text(30);
        start(parent, use_remote ? &remote : nullptr, state, t);
        break;
      }
      case 3: {
        // What the addon does when a parent's slot was reused (kStaleParent): start again from the ids the JS side
        // kept with the parent, as an incoming context (span_start_tagged), with the parent's tracestate.
        uint32_t parent = pick_handle(), t = pick_template();
        if (start(parent, nullptr, std::string_view(), t) != kStaleParent) break;
        auto it = span_of.find(parent);
        if (it == span_of.end()) break;  // a made-up handle: no ids were kept
        const Expected& p = expected[it->second];
        TraceContext kept;
        kept.trace_id = p.trace_id;
        kept.span_id = it->second;
        kept.flags = p.flags;
        const std::string state = p.trace_state;
        start(parent, &kept, state, t);
        break;
      }
      case 4: {
        // A span started from a known span's ids under another local parent (an in-process link, a span continued
        // from ids kept by the JS side): the ids win over the local parent.
        uint32_t parent = pick_handle(), t = pick_template();
        TraceContext ctx;
        if (!span_ids.empty()) {
          uint64_t id = span_ids[span_ids.size() - 1 - in.u8() % span_ids.size()];
          ctx.trace_id = expected[id].trace_id;
          ctx.span_id = id;
          ctx.flags = expected[id].flags;
        }
        std::string state = in.text(30);
        start(parent, &ctx, state, t);
        break;
      }
      case 5:
      case 6: {
        uint32_t h = pick_handle();
        TraceContext ctx;
        int32_t before = engine->context(h, ctx);
        int32_t status = engine->end(h);
        FUZZ_CHECK(status == (before == kStaleHandle ? kStaleHandle : before == kAlreadyEnded ? kAlreadyEnded : kOk));
        if (status == kOk) {
          Expected* e = of(h);
          FUZZ_CHECK(!e->ended);
          e->ended = true;
          if (ctx.sampled()) sampled_ended++;
          FUZZ_CHECK(engine->end(h) == kAlreadyEnded);  // ending twice is detected, not a double free
          // The queued counter is refreshed when a recorded span ends; the consumer's pops since may not be seen
          // yet, so it is an upper bound of what the ring holds.
          if (ctx.sampled()) {
            FUZZ_CHECK(counters[kCounterQueued] >= static_cast<double>(engine->ring().size()));
            FUZZ_CHECK(counters[kCounterQueued] <= static_cast<double>(engine->ring().capacity()));
          }
        }
        break;
      }
      case 7: {
        uint32_t h = pick_handle();
        Attr a = attr();
        int32_t want = expected_status(h);
        int32_t s = engine->add_attr(h, std::move(a));
        FUZZ_CHECK(s == want);
        if (s == kOk) of(h)->attrs_added++;
        if (in.u8() % 4 == 0) {
          Link l;
          l.trace_id = {in.u64(), in.u64()};
          l.span_id = in.u64();
          l.flags = in.u8();
          for (size_t n = in.u8() % 3; n > 0; --n) l.attrs.push_back(attr());
          uint32_t target = pick_handle();
          want = expected_status(target);
          s = engine->add_link(target, std::move(l));
          FUZZ_CHECK(s == want);
          if (s == kOk) of(target)->links_added++;
        }
        break;
      }
      case 8: {
        uint32_t h = pick_handle();
        std::string type = in.text(40), message = in.text(100), stack = in.text(200);
        // The status message is "type: message", or whichever of the two is not empty.
        std::string joined = type.empty() ? message : message.empty() ? type : type + ": " + message;
        int32_t want = expected_status(h);
        int32_t s = engine->fail(h, std::move(type), std::move(message), std::move(stack));
        FUZZ_CHECK(s == want);
        if (s == kOk) {
          Expected* e = of(h);
          e->status = StatusCode::Error;
          e->status_message = std::move(joined);
          e->events_added++;  // the exception event, kept or dropped
        }
        break;
      }
      case 9: {
        uint32_t h = pick_handle();
        StatusCode code = static_cast<StatusCode>(in.u8() % 3);
        std::string message = in.text(60);
        int32_t want = expected_status(h);
        int32_t s = engine->set_status(h, code, std::string(message));
        FUZZ_CHECK(s == want);
        if (s == kOk) of(h)->status = code, of(h)->status_message = std::move(message);
        break;
      }
      case 10: {
        Event e;
        e.name = engine->intern(in.text(30));
        e.time_ns = static_cast<int64_t>(in.u64());
        for (size_t n = in.u8() % 3; n > 0; --n) e.attrs.push_back(attr());
        uint32_t h = pick_handle();
        int32_t want = expected_status(h);
        int32_t s = engine->add_event(h, std::move(e));
        FUZZ_CHECK(s == want);
        if (s == kOk) of(h)->events_added++;
        break;
      }
      case 11: {
        // A custom request attribute lands on the span's service call while that is open.
        uint32_t h = pick_handle();
        Attr a = attr();
        uint32_t service = expected_status(h) == kStaleHandle ? 0 : of(h)->service;
        int32_t want = service != 0 && expected_status(service) == kOk ? kOk : kNoServiceCall;
        int32_t s = engine->service_attr(h, std::move(a));
        FUZZ_CHECK(s == want);
        if (s == kOk) of(service)->attrs_added++;
        break;
      }
      case 12: {
        uint32_t h = pick_handle();
        std::string name = in.text(80);
        int32_t want = expected_status(h);
        int32_t s = engine->set_name(h, std::string(name));
        FUZZ_CHECK(s == want);
        if (s == kOk) of(h)->name_text = std::move(name);
        break;
      }
      case 13:
        drain(in.u8() % 32);
        break;
      case 14: {
        // A burst of children (ended or left open) under one parent: grows the slot table past its first
        // allocations, where a reference into the table taken before a start must stay valid.
        uint32_t parent = pick_handle(), t = pick_template();
        const bool end_them = in.u8() & 1;
        for (size_t n = in.u8() * 8u; n > 0; --n) {
          int32_t h = start(parent, nullptr, std::string_view(), t);
          if (h > 0 && end_them) {
            TraceContext ctx;
            engine->context(static_cast<uint32_t>(h), ctx);
            FUZZ_CHECK(engine->end(static_cast<uint32_t>(h)) == kOk);
            of(static_cast<uint32_t>(h))->ended = true;
            if (ctx.sampled()) sampled_ended++;
          }
          if (h > 0 && in.u8() % 8 == 0) parent = static_cast<uint32_t>(h);  // sometimes deeper
        }
        break;
      }
      case 15:
        engine->intern(in.text(250));
        break;
      case 16: {
        // A root the caller decided to sample: sampled, and (for a ratio below 1) with a trace id the ratio keeps.
        uint32_t t = pick_template();
        const double order = counters[kCounterLastOrder];
        int32_t h = engine->start_sampled_root(t);
        started(h, t, Origin{}, order, true);
        TraceContext ctx;
        if (h > 0 && engine->context(static_cast<uint32_t>(h), ctx) == kOk) {
          FUZZ_CHECK(ctx.sampled());
          // (A ratio below 2^-63 has threshold 0: no trace id agrees, and the caller practically never samples.)
          if (threshold() > 0 && ratio() < 1) FUZZ_CHECK((ctx.trace_id.lo >> 1) < threshold());
        }
        break;
      }
      case 17: {
        // The context of an unsampled root kept outside the engine: valid, unsampled, a trace id the ratio leaves
        // out, published like a span's.
        TraceContext ctx = engine->unsampled_root();
        FUZZ_CHECK(ctx.valid() && !ctx.sampled());
        if (ratio() < 1) FUZZ_CHECK((ctx.trace_id.lo >> 1) >= threshold());
        check_published(ctx);
        break;
      }
      default: {
        TraceContext ctx;
        uint32_t h = pick_handle();
        int32_t s = engine->context(h, ctx);
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        if (s != kStaleHandle) {
          FUZZ_CHECK(ctx.valid());
          const Expected* e = of(h);
          FUZZ_CHECK(ctx.span_id == span_of[h] && e->ended == (s == kAlreadyEnded));
        }
      }
    }
    check_counters();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fz::Input in(data, size);
  Harness h(in);
  for (int steps = 0; steps < 4000 && !in.empty(); ++steps) h.step();
  h.drain(SIZE_MAX);
  h.check_counters();
  return 0;  // the engine's destructor frees open spans; the ring's frees queued records
}
