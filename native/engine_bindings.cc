// Bindings for the engine's lifecycle and its shared tables: init / shutdown / version, interned strings, span
// templates, and the lists read outside the export path (open spans, finished spans for the test layer).
#include "bindings.h"

#include "args.h"
#include "guard.h"
#include "values.h"

namespace oneagent {

/**
 * Initialises the engine (reference counted): (counters Float64Array, ids Int32Array, ringCapacity, sampleRatio,
 * maxAttributes, notParentBased) → 0 ok, 2 already, -1 refused (a shared array too short, a ring capacity that is not
 * 0 / absent (the default) or an integer from 1 to 4,194,304, or no memory for the engine).
 */
napi_value JS_engine_init(napi_env env, napi_callback_info info) {
  Args<6> a(env, info);
  Addon* addon = a.addon;
  if (addon->engine) {
    addon->init_count++;
    return int32(env, 2);
  }
  double* counters = nullptr;
  int32_t* ids = nullptr;
  if (!typed_array(env, a.argv[0], napi_float64_array, kCounterCount, &counters) ||
      !typed_array(env, a.argv[1], napi_int32_array, kIdsCount, &ids)) {
    return int32(env, kRefused);
  }
  // Read as a double: napi_get_value_uint32 would turn -1 into 4,294,967,295 (an 8 GiB ring) and NaN into 0.
  napi_valuetype ring_type;
  napi_typeof(env, a.argv[2], &ring_type);
  double ring = 0;
  if (ring_type == napi_number) napi_get_value_double(env, a.argv[2], &ring);
  else if (ring_type != napi_undefined) return int32(env, kRefused);
  if (!(ring >= 0 && ring <= kMaxRingCapacity) || std::trunc(ring) != ring) return int32(env, kRefused);
  EngineOptions options;
  if (ring > 0) options.ring_capacity = static_cast<uint32_t>(ring);
  options.sample_ratio = a.f64(3);
  if (a.u32(4) > 0) options.max_attributes = a.u32(4);
  options.parent_based = a.u32(5) == 0;
  ONEAGENT_TRY {
    addon->engine = std::make_shared<Engine>(options, counters, ids);
    addon->engine_id = EngineRegistry::add(addon->engine);
  } ONEAGENT_CATCH_ALL {
    return int32(env, kRefused);  // std::bad_alloc: refused, and nothing is left half made
  }
  // The engine writes into both arrays: they stay alive as long as it does.
  napi_create_reference(env, a.argv[0], 1, &addon->counters_ref);
  napi_create_reference(env, a.argv[1], 1, &addon->ids_ref);
  addon->init_count = 1;
  return int32(env, kOk);
}

/** Releases one initialisation; after the last, this environment no longer produces into the engine (an export
 * worker still consuming from it keeps it until it closes). Returns the remaining count. */
napi_value JS_engine_shutdown(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  if (!addon->engine) return int32(env, 0);
  if (--addon->init_count > 0) return int32(env, static_cast<int32_t>(addon->init_count));
  addon->release_engine(env);
  return int32(env, 0);
}

/** The engine's version, ABI version and source hash: [version, abi, sourceHash]. */
napi_value JS_engine_version(napi_env env, napi_callback_info info) {
  Napi::Env e(env);
  Napi::Array out = Napi::Array::New(e, 3);
  out.Set(0u, Napi::String::New(e, ENGINE_VERSION));
  out.Set(1u, Napi::Number::New(e, kAbiVersion));
  out.Set(2u, Napi::String::New(e, ENGINE_SOURCE_HASH));
  return out;
}

/** Interns a string (names, services, keys): (string) → id, 0 when the table is full. */
napi_value JS_intern(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, 0);
  uint32_t id = a.engine()->intern(a.str(0, kLimitDefault));
  return int32(env, id == UINT32_MAX ? 0 : static_cast<int32_t>(id));
}

/** Creates a span template: (name, kind, flags, [key, value, limit, ...]) → id, or a negative status. */
napi_value JS_template_create(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  SpanTemplate t;
  t.name = engine->intern(a.str(0, kLimitDefault));
  uint32_t kind = a.u32(1);
  t.kind = kind >= 1 && kind <= 5 ? static_cast<SpanKind>(kind) : SpanKind::Internal;
  t.flags = a.u32(2);
  read_attributes(env, *engine, a.argv[3], t.attrs);
  return int32(env, engine->template_create(std::move(t)));
}

/** Lists open spans as [handle, name, startNs] triples, oldest first: () → array. */
napi_value JS_spans_open(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  Napi::Env e(env);
  Napi::Array out = Napi::Array::New(e);
  Engine* engine = a.engine();
  if (!engine) return out;
  uint32_t i = 0;
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

}  // namespace oneagent
