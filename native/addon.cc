// The Node-API surface of the engine: module init, the per-environment Addon and its cleanup hook,
// and the single list of exports. Exports are named <object>_<verb>; each takes and returns small
// integers or strings, so no JS object is created per span on the hot path.
#include <napi.h>

#include <cmath>

#include "addon.h"
#include "engine.h"
#include "records.h"
#include "strings.h"

namespace oneagent {

constexpr uint32_t kAbiVersion = 1;
constexpr size_t kDefaultLimit = 250;

Addon* addon_of(napi_env env) { return static_cast<Addon*>(Napi::Env(env).GetInstanceData<Addon>()); }

static void Cleanup(void* data) {
  auto* addon = static_cast<Addon*>(data);
  try {
    if (addon->exporter) addon->exporter->stop(false);
  } catch (...) {
    // std::system_error joining the thread: nothing to report to at exit, and no exception may leave a hook.
  }
  addon->exporter.reset();
  addon->engine.reset();
}

// Reads up to N arguments; missing ones are undefined.
template <size_t N>
struct Args {
  napi_value argv[N];
  size_t argc = N;
  Addon* addon;
  napi_env env;
  Args(napi_env e, napi_callback_info info) : env(e) {
    napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr);
    for (size_t i = argc; i < N; ++i) napi_get_undefined(e, &argv[i]);
    addon = addon_of(e);
  }
  uint32_t u32(size_t i) const {
    uint32_t v = 0;
    napi_get_value_uint32(env, argv[i], &v);
    return v;
  }
  double f64(size_t i) const {
    double v = 0;
    napi_get_value_double(env, argv[i], &v);
    return v;
  }
  Engine* engine() const { return addon->engine.get(); }
};

// Ids and tags are ASCII: latin1 makes a one-byte string without a UTF-8 decode.
static napi_value latin1(napi_env env, const char* s, size_t length) {
  napi_value out;
  napi_create_string_latin1(env, s, length, &out);
  return out;
}

static napi_value int32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/**
 * Initialises the engine (reference counted): (counters Float64Array, ringCapacity, sampleRatio, maxAttributes,
 * notParentBased) → 0 ok, 2 already, -1 refused (bad counters, a ring capacity that is not 0 / absent (the default)
 * or an integer from 1 to 4,194,304, or no memory for the engine).
 */
static napi_value JS_engine_init(napi_env env, napi_callback_info info) {
  Args<5> a(env, info);
  Addon* addon = a.addon;
  if (addon->engine) {
    addon->init_count++;
    return int32(env, 2);
  }
  bool is_typed = false;
  napi_is_typedarray(env, a.argv[0], &is_typed);
  if (!is_typed) return int32(env, -1);
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_get_typedarray_info(env, a.argv[0], &type, &length, &data, nullptr, nullptr);
  if (type != napi_float64_array || length < kCounterCount) return int32(env, -1);
  // Read as a double: napi_get_value_uint32 would turn -1 into 4,294,967,295 (an 8 GiB ring) and NaN into 0.
  napi_valuetype ring_type;
  napi_typeof(env, a.argv[1], &ring_type);
  double ring = 0;
  if (ring_type == napi_number) napi_get_value_double(env, a.argv[1], &ring);
  else if (ring_type != napi_undefined) return int32(env, -1);
  if (!(ring >= 0 && ring <= kMaxRingCapacity) || std::trunc(ring) != ring) return int32(env, -1);
  EngineOptions options;
  if (ring > 0) options.ring_capacity = static_cast<uint32_t>(ring);
  options.sample_ratio = a.f64(2);
  if (a.u32(3) > 0) options.max_attributes = a.u32(3);
  options.parent_based = a.u32(4) == 0;
  try {
    addon->engine = std::make_unique<Engine>(options, static_cast<double*>(data));
  } catch (...) {
    return int32(env, -1);  // std::bad_alloc: refused, and nothing is left half made
  }
  napi_create_reference(env, a.argv[0], 1, &addon->counters_ref);
  addon->init_count = 1;
  return int32(env, 0);
}

/** Releases one initialisation; the last one destroys the engine. Returns the remaining count. */
static napi_value JS_engine_shutdown(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  if (!addon->engine) return int32(env, 0);
  if (--addon->init_count > 0) return int32(env, static_cast<int32_t>(addon->init_count));
  if (addon->exporter) addon->exporter->stop(true);
  addon->exporter.reset();
  addon->engine.reset();
  if (addon->counters_ref != nullptr) {
    napi_delete_reference(env, addon->counters_ref);
    addon->counters_ref = nullptr;
  }
  return int32(env, 0);
}

/** The engine version and ABI version: [version string, abi]. */
static napi_value JS_engine_version(napi_env env, napi_callback_info info) {
  Napi::Env e(env);
  Napi::Array out = Napi::Array::New(e, 2);
  out.Set(0u, Napi::String::New(e, ENGINE_VERSION));
  out.Set(1u, Napi::Number::New(e, kAbiVersion));
  return out;
}

/** Interns a string (names, services, keys): (string) → id. */
static napi_value JS_intern(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, 0);
  std::string s;
  bool truncated;
  read_string(env, a.argv[0], kDefaultLimit, s, &truncated);
  uint32_t id = a.engine()->intern(s);
  return int32(env, id == UINT32_MAX ? 0 : static_cast<int32_t>(id));
}

// Reads a string, number, bigint or boolean into attr. False (attr untouched) for any other type.
static bool read_attr_value(napi_env env, napi_value value, size_t limit, Attr& attr, bool* truncated) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  attr.i = 0;
  *truncated = false;
  switch (type) {
    case napi_string:
      read_string(env, value, limit == 0 ? kDefaultLimit : limit, attr.s, truncated);
      attr.type = AttrType::String;
      return true;
    case napi_number: {
      double d = 0;
      napi_get_value_double(env, value, &d);
      // Integral values in the safe range are OTel ints; the rest (fractions, NaN, ±Infinity) are doubles.
      if (std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0) {
        attr.type = AttrType::Int;
        attr.i = static_cast<int64_t>(d);
      } else {
        attr.type = AttrType::Double;
        attr.d = d;
      }
      return true;
    }
    case napi_bigint: {
      bool lossless;
      napi_get_value_bigint_int64(env, value, &attr.i, &lossless);
      attr.type = AttrType::Int;
      return true;
    }
    case napi_boolean:
      napi_get_value_bool(env, value, &attr.b);
      attr.type = AttrType::Bool;
      return true;
    default:
      return false;
  }
}

static Attr truncation_marker(Engine& engine, uint32_t key) {
  Attr marker;
  marker.key = engine.intern("oneagent.truncated");
  marker.type = AttrType::String;
  marker.i = 0;
  marker.s = engine.strings().get(key);
  return marker;
}

// Reads [key, value, limit, key, value, limit, ...] into out; a truncated value adds the truncation marker.
static void read_attributes(napi_env env, Engine& engine, napi_value array, std::vector<Attr>& out) {
  bool is_array = false;
  napi_is_array(env, array, &is_array);
  if (!is_array) return;
  uint32_t length = 0;
  napi_get_array_length(env, array, &length);
  for (uint32_t i = 0; i + 2 < length; i += 3) {
    napi_value key_value, value, limit_value;
    napi_get_element(env, array, i, &key_value);
    napi_get_element(env, array, i + 1, &value);
    napi_get_element(env, array, i + 2, &limit_value);
    std::string key;
    bool truncated;
    read_string(env, key_value, kDefaultLimit, key, &truncated);
    uint32_t limit = 0;
    napi_get_value_uint32(env, limit_value, &limit);
    Attr attr;
    attr.key = engine.intern(key);
    if (!read_attr_value(env, value, limit, attr, &truncated)) continue;
    out.push_back(std::move(attr));
    if (truncated) out.push_back(truncation_marker(engine, out.back().key));
  }
}

/** Creates a span template: (name, kind, flags, [key, value, limit, key, value, limit, ...]) → id or negative status. */
static napi_value JS_template_create(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  SpanTemplate t;
  std::string name;
  bool truncated;
  read_string(env, a.argv[0], kDefaultLimit, name, &truncated);
  t.name = engine->intern(name);
  uint32_t kind = a.u32(1);
  t.kind = kind >= 1 && kind <= 5 ? static_cast<SpanKind>(kind) : SpanKind::Internal;
  t.flags = a.u32(2);
  read_attributes(env, *engine, a.argv[3], t.attrs);
  return int32(env, engine->template_create(std::move(t)));
}

/**
 * Starts a span: (parent, template, sampledRoot?) → handle, 0 when not created by rule, or a negative status.
 * sampledRoot 1: a new root (parent 0) the caller decided to sample.
 */
static napi_value JS_span_start(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  if (a.u32(0) == 0 && a.u32(2) == 1) return int32(env, engine->start_sampled_root(a.u32(1)));
  return int32(env, engine->start(a.u32(0), nullptr, std::string_view(), a.u32(1)));
}

/** Starts a span under an incoming tag: (parent, template, tag string | Uint8Array, tracestate?) → handle. */
static napi_value JS_span_start_tagged(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  TraceContext remote;
  bool parsed = false;
  bool is_typed = false;
  napi_is_typedarray(env, a.argv[2], &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_get_typedarray_info(env, a.argv[2], &type, &length, &data, nullptr, nullptr);
    parsed = type == napi_uint8_array && parse_binary_tag(static_cast<uint8_t*>(data), length, remote);
  } else {
    std::string tag;
    bool truncated;
    if (read_string(env, a.argv[2], 128, tag, &truncated)) parsed = parse_traceparent(tag.data(), tag.size(), remote);
  }
  std::string state;
  bool truncated;
  read_string(env, a.argv[3], 512, state, &truncated);
  int32_t handle = engine->start(a.u32(0), parsed ? &remote : nullptr, parsed ? state : std::string_view(), a.u32(1));
  if (!parsed && handle >= 0) engine->note(kBadTag);
  return int32(env, handle);
}

/** Starts a span that continues an in-process link: (creator handle, template, creator traceparent) → handle. */
static napi_value JS_span_start_linked(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  std::string tag;
  bool truncated;
  TraceContext link;
  if (!read_string(env, a.argv[2], 128, tag, &truncated) || !parse_traceparent(tag.data(), tag.size(), link)) {
    return int32(env, kStaleHandle);
  }
  return int32(env, a.engine()->start_linked(a.u32(0), link, a.u32(1)));
}

/** Starts a span under the deeper of two parents: (parent a, parent b, template) → handle. */
static napi_value JS_span_start_nested(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  return int32(env, a.engine()->start_nested(a.u32(0), a.u32(1), a.u32(2)));
}

/** Adds an event: (handle, name, time ns bigint, [key, value, limit, ...]) → status. */
static napi_value JS_span_event(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  Event event;
  std::string name;
  bool truncated;
  read_string(env, a.argv[1], kDefaultLimit, name, &truncated);
  event.name = engine->intern(name);
  bool lossless;
  event.time_ns = 0;
  if (napi_get_value_bigint_int64(env, a.argv[2], &event.time_ns, &lossless) != napi_ok || event.time_ns <= 0) {
    event.time_ns = IdGenerator::clock_ns();
  }
  read_attributes(env, *engine, a.argv[3], event.attrs);
  return int32(env, engine->add_event(a.u32(0), std::move(event)));
}

/** The innermost of two spans on one chain: (a, b) → handle, 0 when neither resolves. */
static napi_value JS_span_deeper(napi_env env, napi_callback_info info) {
  Args<2> a(env, info);
  if (!a.engine()) return int32(env, 0);
  return int32(env, static_cast<int32_t>(a.engine()->deeper(a.u32(0), a.u32(1))));
}

/** Links a span to another span's context: (handle, traceparent, [key, value, limit, ...]) → status. */
static napi_value JS_span_link(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  std::string tag;
  bool truncated;
  TraceContext ctx;
  if (!read_string(env, a.argv[1], 128, tag, &truncated) || !parse_traceparent(tag.data(), tag.size(), ctx)) {
    return int32(env, kBadTag);
  }
  Link link;
  link.trace_id = ctx.trace_id;
  link.span_id = ctx.span_id;
  link.flags = ctx.flags;
  read_attributes(env, *engine, a.argv[2], link.attrs);
  return int32(env, engine->add_link(a.u32(0), std::move(link)));
}

/** Renames a span, for names too varied to intern: (handle, name) → status. */
static napi_value JS_span_name(napi_env env, napi_callback_info info) {
  Args<2> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  std::string name;
  bool truncated;
  read_string(env, a.argv[1], kDefaultLimit, name, &truncated);
  return int32(env, a.engine()->set_name(a.u32(0), std::move(name)));
}

/** Ends a span: (handle) → status. */
static napi_value JS_span_end(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  return int32(env, a.engine()->end(a.u32(0)));
}

// Adds an attribute with its value read by type; custom == true targets the span's service call.
static int32_t add_attribute(Args<4>& a, bool custom) {
  Engine* engine = a.engine();
  if (!engine) return kShutDown;
  uint32_t handle = a.u32(0);
  uint32_t key = a.u32(1);
  Attr attr;
  attr.key = key;
  bool truncated = false;
  if (!read_attr_value(a.env, a.argv[2], a.u32(3), attr, &truncated)) return kOk;  // TS validates types
  int32_t status = custom ? engine->service_attr(handle, std::move(attr)) : engine->add_attr(handle, std::move(attr));
  if (status == kOk && truncated) {
    Attr marker = truncation_marker(*engine, key);
    custom ? engine->service_attr(handle, std::move(marker)) : engine->add_attr(handle, std::move(marker));
  }
  return status;
}

/** Sets an attribute: (handle, key id, value string | number | bigint | boolean, limit?) → status. */
static napi_value JS_span_attr(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  return int32(env, add_attribute(a, false));
}

/** Adds a custom request attribute to the span's service call: (handle, key id, value) → status. */
static napi_value JS_span_service_attr(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  return int32(env, add_attribute(a, true));
}

/** Marks a span failed with an exception event: (handle, type, message, stack) → status. */
static napi_value JS_span_fail(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  std::string type, message, stack;
  bool truncated;
  read_string(env, a.argv[1], kDefaultLimit, type, &truncated);
  read_string(env, a.argv[2], 4096, message, &truncated);
  read_string(env, a.argv[3], 16384, stack, &truncated);
  return int32(env, a.engine()->fail(a.u32(0), std::move(type), std::move(message), std::move(stack)));
}

/** Sets the span status without an exception event: (handle, code 0|1|2, message) → status. */
static napi_value JS_span_status(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  uint32_t code = a.u32(1);
  if (code > 2) code = 2;
  std::string message;
  bool truncated;
  read_string(env, a.argv[2], 4096, message, &truncated);
  return int32(env, a.engine()->set_status(a.u32(0), static_cast<StatusCode>(code), std::move(message)));
}

/** The span's W3C traceparent: (handle, allowEnded?) → string, or a negative status when the span is not open. */
static napi_value JS_span_tag(napi_env env, napi_callback_info info) {
  Args<2> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  TraceContext ctx;
  int32_t status = a.engine()->context(a.u32(0), ctx);
  bool allow_ended = false;
  napi_get_value_bool(env, a.argv[1], &allow_ended);
  if (status != kOk && !(status == kAlreadyEnded && allow_ended)) return int32(env, status);
  char buf[kTraceparentLength];
  format_traceparent(ctx, buf);
  return latin1(env, buf, kTraceparentLength);
}

/** The tracestate a span carries for the tags it sends: (handle) → string ("" for none), or a status. */
static napi_value JS_span_trace_state(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  const std::string* state = a.engine()->trace_state(a.u32(0));
  if (state == nullptr) return int32(env, kStaleHandle);
  // Kept as it came in: a W3C tracestate is printable ASCII.
  return latin1(env, state->data(), state->size());
}

/** The traceparent of a new unsampled root, which the JS side carries without a span: () → string, or a status. */
static napi_value JS_unsampled_root(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  char buf[kTraceparentLength];
  format_traceparent(a.engine()->unsampled_root(), buf);
  return latin1(env, buf, kTraceparentLength);
}

/** A new span id as 16 hex digits (the engine's generator, far cheaper than building one in JS), or a status. */
static napi_value JS_span_id_hex(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  char buf[16];
  write_hex(buf, a.engine()->new_span_id());
  return latin1(env, buf, 16);
}

/** The span's binary trace-context tag: (handle) → Uint8Array, or a negative status. */
static napi_value JS_span_tag_bytes(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  TraceContext ctx;
  int32_t status = a.engine()->context(a.u32(0), ctx);
  if (status != kOk) return int32(env, status);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, kBinaryTagLength);
  format_binary_tag(ctx, out.Data());
  return out;
}

/** Takes up to `max` finished spans out of the ring as plain objects (tests and the console sink): (max) → array. */
static napi_value JS_records_drain(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  // The ring has one consumer: while the export thread runs, it is that consumer.
  if (!a.engine() || (a.addon->exporter && a.addon->exporter->running())) return Napi::Array::New(env, 0);
  return drain_records(Napi::Env(env), *a.engine(), a.u32(0));
}

/** Lists open spans as [handle, name, startNs] triples, oldest first: () → array. */
static napi_value JS_spans_open(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  Napi::Env e(env);
  Napi::Array out = Napi::Array::New(e);
  if (!a.engine()) return out;
  uint32_t i = 0;
  Engine* engine = a.engine();
  engine->for_each_open([&](uint32_t handle, SpanSlot& slot) {
    if (slot.ended) return;
    Napi::Array row = Napi::Array::New(e, 3);
    row.Set(0u, Napi::Number::New(e, handle));
    row.Set(1u, Napi::String::New(e, engine->strings().get(slot.name)));
    row.Set(2u, Napi::BigInt::New(e, slot.start_ns));
    out.Set(i++, row);
  });
  return out;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* addon = new Addon();
  env.SetInstanceData<Addon>(addon);
  napi_add_env_cleanup_hook(env, Cleanup, addon);
  constexpr auto failed = status_result<kOutOfMemory>;
  constexpr auto refused = status_result<-1>;
  constexpr auto none = status_result<0>;  // intern: no id; span_deeper: neither resolves
  napi_property_descriptor props[] = {
#define EXPORT(name, on_failure) \
  {#name, nullptr, guarded<JS_##name, on_failure>, nullptr, nullptr, nullptr, napi_enumerable, nullptr}
      EXPORT(engine_init, refused),
      EXPORT(engine_shutdown, failed),
      EXPORT(engine_version, empty_array_result),
      EXPORT(intern, none),
      EXPORT(span_start, failed),
      EXPORT(span_start_tagged, failed),
      EXPORT(span_start_linked, failed),
      EXPORT(span_end, failed),
      EXPORT(span_attr, failed),
      EXPORT(span_service_attr, failed),
      EXPORT(span_fail, failed),
      EXPORT(span_tag, failed),
      EXPORT(span_tag_bytes, failed),
      EXPORT(span_trace_state, failed),
      EXPORT(records_drain, empty_array_result),
      EXPORT(spans_open, empty_array_result),
      EXPORT(template_create, failed),
      EXPORT(span_name, failed),
      EXPORT(span_status, failed),
      EXPORT(span_start_nested, failed),
      EXPORT(span_event, failed),
      EXPORT(span_deeper, none),
      EXPORT(span_link, failed),
      EXPORT(unsampled_root, failed),
      EXPORT(span_id_hex, failed),
#undef EXPORT
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  exports.Set("counter_count", Napi::Number::New(env, kCounterCount));
  register_export_bindings(env, exports);
  return exports;
}

}  // namespace oneagent

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return oneagent::Init(env, exports); }

NODE_API_MODULE(effect_oneagent, InitModule)
