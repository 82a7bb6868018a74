// The binary's entry point: module init, the per-environment Addon and its cleanup hook, and the one export table.
// Exports are named <object>_<verb> and defined in the binding file of their concern (bindings.h lists them).
#include "addon.h"

#include "bindings.h"
#include "guard.h"
#include "status.h"

namespace oneagent {

static void Cleanup(void* data) {
  auto* addon = static_cast<Addon*>(data);
  ONEAGENT_TRY {
    addon->release_engine(nullptr);  // nothing is delivered while the environment tears down
  } ONEAGENT_CATCH_ALL {
    // std::system_error joining the thread: nothing to report to at exit, and no exception may leave a hook.
  }
  delete addon;
}

static napi_value null_result(napi_env env) noexcept {
  napi_value out = nullptr;
  napi_get_null(env, &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  auto* addon = new Addon();
  napi_set_instance_data(env, addon, nullptr, nullptr);
  napi_add_env_cleanup_hook(env, Cleanup, addon);
  // What each export answers when it throws (see guarded<> in addon.h).
  constexpr auto failed = status_result<kOutOfMemory>;
  constexpr auto refused = status_result<kRefused>;
  constexpr auto none = status_result<0>;  // intern: no id; engine_id: no engine
  napi_property_descriptor props[] = {
#define EXPORT(name, on_failure) \
  {#name, nullptr, guarded<JS_##name, on_failure>, nullptr, nullptr, nullptr, napi_enumerable, nullptr}
      EXPORT(engine_init, refused),
      EXPORT(engine_shutdown, failed),
      EXPORT(engine_version, empty_array_result),
      EXPORT(intern, none),
      EXPORT(template_create, failed),
      EXPORT(spans_open, empty_array_result),
      EXPORT(span_start, failed),
      EXPORT(span_start_tagged, failed),
      EXPORT(span_end, failed),
      EXPORT(span_attr, failed),
      EXPORT(span_service_attr, failed),
      EXPORT(span_fail, failed),
      EXPORT(span_status, failed),
      EXPORT(span_name, failed),
      EXPORT(span_event, failed),
      EXPORT(span_link, failed),
      EXPORT(span_tag, failed),
      EXPORT(span_tag_bytes, failed),
      EXPORT(unsampled_root, failed),
      EXPORT(span_id_hex, failed),
      EXPORT(engine_id, none),
      EXPORT(export_open, failed),
      EXPORT(export_close, failed),
      EXPORT(export_take, null_result),
      EXPORT(export_settle, failed),
      EXPORT(export_state, empty_array_result),
#undef EXPORT
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value count;
  napi_create_uint32(env, kCounterCount, &count);
  napi_set_named_property(env, exports, "counter_count", count);
  napi_create_uint32(env, kIdsCount, &count);
  napi_set_named_property(env, exports, "ids_count", count);
  return exports;
}

}  // namespace oneagent

NAPI_MODULE_INIT() { return oneagent::Init(env, exports); }
