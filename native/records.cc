#include "records.h"

#include <memory>
#include <unordered_map>

namespace oneagent {

static std::string hex_trace(const TraceId& id) {
  char buf[32];
  write_hex(buf, id.hi);
  write_hex(buf + 16, id.lo);
  return std::string(buf, 32);
}

static std::string hex_span(uint64_t id) {
  if (id == 0) return std::string();
  char buf[16];
  write_hex(buf, id);
  return std::string(buf, 16);
}

static Napi::Value attr_value(Napi::Env env, const Attr& a) {
  switch (a.type) {
    case AttrType::String:
      return Napi::String::New(env, a.s);
    case AttrType::Int:
      return Napi::Number::New(env, static_cast<double>(a.i));
    case AttrType::Double:
      return Napi::Number::New(env, a.d);
    case AttrType::Bool:
      return Napi::Boolean::New(env, a.b);
  }
  return env.Undefined();
}

// Repeated keys keep every value: the first stays a scalar, later ones turn it into an array. Keys are own data
// properties whatever they are named: Set would call the `__proto__` setter (replacing the object's prototype)
// and Has would see inherited members such as "constructor" or "toString" as repeated keys.
static Napi::Object attrs_object(Napi::Env env, const InternTable& strings, const std::vector<Attr>& attrs) {
  Napi::Object out = Napi::Object::New(env);
  for (const Attr& a : attrs) {
    const std::string& key = strings.get(a.key);
    Napi::Value value = attr_value(env, a);
    if (!out.HasOwnProperty(key)) {
      out.DefineProperty(Napi::PropertyDescriptor::Value(key, value, napi_default_jsproperty));
      continue;
    }
    Napi::Value prev = out.Get(key);
    if (prev.IsArray()) {
      Napi::Array arr = prev.As<Napi::Array>();
      arr.Set(arr.Length(), value);
    } else {
      Napi::Array arr = Napi::Array::New(env, 2);
      arr.Set(0u, prev);
      arr.Set(1u, value);
      out.DefineProperty(Napi::PropertyDescriptor::Value(key, arr, napi_default_jsproperty));
    }
  }
  return out;
}

Napi::Array drain_records(Napi::Env env, Engine& engine, uint32_t max) {
  Napi::Array out = Napi::Array::New(env);
  const InternTable& strings = engine.strings();
  uint32_t n = 0;
  SpanRecord* popped;
  while ((max == 0 || n < max) && (popped = engine.ring().pop()) != nullptr) {
    // Owned here: an exception (std::bad_alloc) while converting it still gives the record back to its pool.
    std::unique_ptr<SpanRecord> r(popped);
    Napi::Object o = Napi::Object::New(env);
    o.Set("traceId", hex_trace(r->trace_id));
    o.Set("spanId", hex_span(r->span_id));
    o.Set("parentSpanId", hex_span(r->parent_span_id));
    o.Set("traceFlags", Napi::Number::New(env, r->flags));
    o.Set("traceState", r->trace_state);
    o.Set("name", r->name_text.empty() ? strings.get(r->name) : r->name_text);
    o.Set("kind", Napi::Number::New(env, static_cast<int>(r->kind)));
    o.Set("startTimeNs", Napi::BigInt::New(env, r->start_ns));
    o.Set("endTimeNs", Napi::BigInt::New(env, r->end_ns));
    o.Set("statusCode", Napi::Number::New(env, static_cast<int>(r->status)));
    o.Set("statusMessage", r->status_message);
    o.Set("attributes", attrs_object(env, strings, r->attrs));
    Napi::Array events = Napi::Array::New(env, r->events.size());
    for (size_t i = 0; i < r->events.size(); ++i) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", strings.get(r->events[i].name));
      e.Set("timeNs", Napi::BigInt::New(env, r->events[i].time_ns));
      e.Set("attributes", attrs_object(env, strings, r->events[i].attrs));
      events.Set(static_cast<uint32_t>(i), e);
    }
    o.Set("events", events);
    Napi::Array links = Napi::Array::New(env, r->links.size());
    for (size_t i = 0; i < r->links.size(); ++i) {
      Napi::Object l = Napi::Object::New(env);
      l.Set("traceId", hex_trace(r->links[i].trace_id));
      l.Set("spanId", hex_span(r->links[i].span_id));
      l.Set("attributes", attrs_object(env, strings, r->links[i].attrs));
      links.Set(static_cast<uint32_t>(i), l);
    }
    o.Set("links", links);
    o.Set("droppedAttributesCount", Napi::Number::New(env, r->dropped_attrs));
    o.Set("droppedEventsCount", Napi::Number::New(env, r->dropped_events));
    o.Set("droppedLinksCount", Napi::Number::New(env, r->dropped_links));
    out.Set(n++, o);
  }
  engine.counters()[kCounterQueued] = static_cast<double>(engine.ring().size());
  return out;
}

}  // namespace oneagent
