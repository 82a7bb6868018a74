// The engine under random programs of API calls, as the addon makes them but with hostile arguments too:
// stale, ended and made-up handles, unknown templates, remote and linked parents, attributes past the limits,
// a small ring that overflows. After every call the counters must agree with the engine; every record that
// comes out of the ring must have the parent and trace the call promised, stay within the limits, and encode
// (protobuf and JSON) to requests the strict decoders accept with the same content. LeakSanitizer checks that
// the engine frees every record, open or queued, when it is destroyed.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "../native/engine.h"
#include "common.h"

using namespace oneagent;

namespace {

struct Expected {
  TraceId trace_id;
  uint64_t parent = 0;         // expected parent span id (0: a root)
  uint64_t parent_alt = 0;     // start_nested: either candidate may be the deeper one
  bool any_parent = false;     // start_nested with two candidates whose depth we do not track
  uint8_t flags = 0;
  size_t template_attrs = 0;
  bool ended = false;
};

struct Harness {
  fz::Input& in;
  EngineOptions options;
  double counters[kCounterCount] = {};
  std::unique_ptr<Engine> engine;
  std::vector<uint32_t> handles;                  // every handle handed out, newest last (bounded)
  std::unordered_map<uint32_t, uint64_t> span_of;  // handle → span id
  std::unordered_map<uint64_t, Expected> expected;  // span id → what its record must say
  std::vector<uint32_t> templates;
  std::vector<size_t> template_attr_count;
  std::vector<bool> template_requires_parent;
  std::unordered_set<uint64_t> drained_ids;
  uint64_t sampled_ended = 0, popped = 0;

  // The ratio as the engine clamps it, and its threshold on the low 63 bits of a trace id.
  double ratio() const {
    double r = std::isfinite(options.sample_ratio) ? options.sample_ratio : 1.0;
    return r < 0 ? 0 : r > 1 ? 1 : r;
  }
  uint64_t threshold() const { return static_cast<uint64_t>(ratio() * 9223372036854775808.0); }

  explicit Harness(fz::Input& input) : in(input) {
    options.ring_capacity = in.u8() % 64 + 1;
    static const double ratios[] = {1.0, 0.0, 0.5, NAN, -1.0, 2.0, 1e-300, INFINITY};
    options.sample_ratio = ratios[in.u8() % 8];
    options.max_attributes = in.u8() % 10;
    options.max_events = in.u8() % 5;
    options.parent_based = (in.u8() & 3) != 0;
    options.reuse_delay = in.u8() % 8;  // slots reused soon: children of ended parents land in their slots
    engine = std::make_unique<Engine>(options, counters);
  }

  uint32_t pick_handle() {
    uint8_t k = in.u8();
    if (k < 200 && !handles.empty()) return handles[handles.size() - 1 - k % handles.size()];
    if (k < 230) return 0;
    return in.u32();
  }

  uint32_t pick_template() {
    uint8_t k = in.u8();
    if (k < 240 && !templates.empty()) return templates[k % templates.size()];
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

  // The parent a span started under `parent` gets, from the engine's own view before the call.
  bool parent_context(uint32_t parent, TraceContext& out) {
    return parent != 0 && engine->context(parent, out) != kStaleHandle;
  }

  bool template_known(uint32_t id, size_t* index) {
    if (id == 0 || id > templates.size()) return false;
    *index = id - 1;
    return true;
  }

  void started(int32_t handle, uint32_t template_id, const TraceContext* parent, const TraceContext* alt) {
    size_t t = 0;
    bool known = template_known(template_id, &t);
    if (!known) {
      FUZZ_CHECK(handle == kBadTemplate);
      return;
    }
    if (handle == 0) {  // not created by rule: a tracer that needs a parent had none
      FUZZ_CHECK(template_requires_parent[t] && parent == nullptr);
      return;
    }
    FUZZ_CHECK(handle > 0);
    TraceContext ctx;
    FUZZ_CHECK(engine->context(static_cast<uint32_t>(handle), ctx) == kOk);
    FUZZ_CHECK(ctx.valid());
    FUZZ_CHECK(span_of.count(static_cast<uint32_t>(handle)) == 0 || expected[span_of[handle]].ended);
    Expected e;
    e.trace_id = ctx.trace_id;
    e.flags = ctx.flags;
    e.template_attrs = template_attr_count[t];
    if (parent != nullptr) {
      if (alt == nullptr) {
        FUZZ_CHECK(ctx.trace_id.hi == parent->trace_id.hi && ctx.trace_id.lo == parent->trace_id.lo);
        if (options.parent_based) FUZZ_CHECK(ctx.flags == parent->flags);  // parent-based sampling
        e.parent = parent->span_id;
      } else {
        e.any_parent = true;
        e.parent = parent->span_id;
        e.parent_alt = alt->span_id;
      }
    }
    FUZZ_CHECK(expected.count(ctx.span_id) == 0);  // span ids are unique
    expected[ctx.span_id] = e;
    span_of[static_cast<uint32_t>(handle)] = ctx.span_id;
    handles.push_back(static_cast<uint32_t>(handle));
    if (handles.size() > 512) handles.erase(handles.begin());
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
      if (e.any_parent) {
        FUZZ_CHECK(rec->parent_span_id == e.parent || rec->parent_span_id == e.parent_alt);
      } else {
        FUZZ_CHECK(rec->parent_span_id == e.parent);
      }
      FUZZ_CHECK(rec->attrs.size() <= std::max<size_t>(e.template_attrs, options.max_attributes) + 0);
      FUZZ_CHECK(rec->events.size() <= options.max_events);
      FUZZ_CHECK(rec->links.size() <= options.max_events);  // links share the events' bound
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

  void step() {
    switch (in.u8() % 19) {
      case 0: {
        SpanTemplate t;
        t.name = engine->intern(in.text(60));
        t.kind = static_cast<SpanKind>(in.u8() % 5 + 1);
        t.flags = in.u8() % 4;
        for (size_t n = in.u8() % 6; n > 0; --n) t.attrs.push_back(attr());
        size_t attrs = t.attrs.size();
        bool requires_parent = t.flags & kRequireParent;
        int32_t id = engine->template_create(std::move(t));
        FUZZ_CHECK(id > 0 && static_cast<size_t>(id) == templates.size() + 1);
        templates.push_back(static_cast<uint32_t>(id));
        template_attr_count.push_back(attrs);
        template_requires_parent.push_back(requires_parent);
        break;
      }
      case 1:
      case 2: {
        uint32_t parent = pick_handle();
        uint32_t t = pick_template();
        TraceContext pctx, remote;
        bool has_parent = parent_context(parent, pctx);
        bool use_remote = in.u8() % 4 == 0;
        if (use_remote) {
          remote.trace_id = {in.u64(), in.u64()};
          remote.span_id = in.u64();
          remote.flags = in.u8();
        }
        std::string state = in.text(30);
        int32_t h = engine->start(parent, use_remote ? &remote : nullptr, state, t);
        if (use_remote && remote.valid()) started(h, t, &remote, nullptr);
        else started(h, t, has_parent ? &pctx : nullptr, nullptr);
        break;
      }
      case 3: {
        uint32_t a = pick_handle(), b = pick_handle(), t = pick_template();
        TraceContext actx, bctx;
        bool ha = parent_context(a, actx), hb = parent_context(b, bctx);
        int32_t h = engine->start_nested(a, b, t);
        if (ha && hb) started(h, t, &actx, &bctx);
        else if (ha || hb) started(h, t, ha ? &actx : &bctx, nullptr);
        else started(h, t, nullptr, nullptr);
        break;
      }
      case 4: {
        uint32_t creator = pick_handle(), t = pick_template();
        TraceContext link, cctx;
        bool found = parent_context(creator, cctx);
        if (found && in.u8() % 2 == 0) {
          link = cctx;
        } else {
          link.trace_id = {in.u64() | 1, in.u64()};
          link.span_id = in.u64() | 1;
          link.flags = in.u8();
        }
        int32_t h = engine->start_linked(creator, link, t);
        started(h, t, found && cctx.span_id == link.span_id ? &cctx : &link, nullptr);
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
          auto it = span_of.find(h);
          FUZZ_CHECK(it != span_of.end());
          Expected& e = expected[it->second];
          FUZZ_CHECK(!e.ended);
          e.ended = true;
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
        int32_t s = engine->add_attr(pick_handle(), attr());
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        if (in.u8() % 4 == 0) {
          Link l;
          l.trace_id = {in.u64(), in.u64()};
          l.span_id = in.u64();
          l.flags = in.u8();
          for (size_t n = in.u8() % 3; n > 0; --n) l.attrs.push_back(attr());
          s = engine->add_link(pick_handle(), std::move(l));
          FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        }
        break;
      }
      case 8: {
        int32_t s = engine->fail(pick_handle(), in.text(40), in.text(100), in.text(200));
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        break;
      }
      case 9: {
        int32_t s = engine->set_status(pick_handle(), static_cast<StatusCode>(in.u8() % 3), in.text(60));
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        break;
      }
      case 10: {
        Event e;
        e.name = engine->intern(in.text(30));
        e.time_ns = static_cast<int64_t>(in.u64());
        for (size_t n = in.u8() % 3; n > 0; --n) e.attrs.push_back(attr());
        int32_t s = engine->add_event(pick_handle(), std::move(e));
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        break;
      }
      case 11: {
        int32_t s = engine->service_attr(pick_handle(), attr());
        FUZZ_CHECK(s == kOk || s == kNoServiceCall || s == kAlreadyEnded);
        break;
      }
      case 12: {
        int32_t s = engine->set_name(pick_handle(), in.text(80));
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
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
          TraceContext pctx;
          bool has_parent = parent_context(parent, pctx);
          int32_t h = engine->start(parent, nullptr, std::string_view(), t);
          started(h, t, has_parent ? &pctx : nullptr, nullptr);
          if (h > 0 && end_them) {
            TraceContext ctx;
            engine->context(static_cast<uint32_t>(h), ctx);
            FUZZ_CHECK(engine->end(static_cast<uint32_t>(h)) == kOk);
            expected[span_of[static_cast<uint32_t>(h)]].ended = true;
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
        int32_t h = engine->start_sampled_root(t);
        started(h, t, nullptr, nullptr);
        TraceContext ctx;
        if (h > 0 && engine->context(static_cast<uint32_t>(h), ctx) == kOk) {
          FUZZ_CHECK(ctx.sampled());
          // (A ratio below 2^-63 has threshold 0: no trace id agrees, and the caller practically never samples.)
          if (threshold() > 0 && ratio() < 1) FUZZ_CHECK((ctx.trace_id.lo >> 1) < threshold());
        }
        break;
      }
      case 17: {
        // The context of an unsampled root kept outside the engine: valid, unsampled, a trace id the ratio leaves out.
        TraceContext ctx = engine->unsampled_root();
        FUZZ_CHECK(ctx.valid() && !ctx.sampled());
        if (ratio() < 1) FUZZ_CHECK((ctx.trace_id.lo >> 1) >= threshold());
        break;
      }
      default: {
        TraceContext ctx;
        int32_t s = engine->context(pick_handle(), ctx);
        FUZZ_CHECK(s == kOk || s == kStaleHandle || s == kAlreadyEnded);
        if (s != kStaleHandle) FUZZ_CHECK(ctx.valid());
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
