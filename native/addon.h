// Per-environment state: each Node environment (main thread or worker) that loads the binary gets one Addon, and
// the guard every export is registered through.
#pragma once
#include <node_api.h>

#include <memory>

#include "engine.h"
#include "export.h"
#include "guard.h"
#include "registry.h"

namespace oneagent {

// No C++ exception may leave a Node-API callback: it would terminate the process. Every export is registered
// through guarded<>: an exception (std::bad_alloc from a string, vector, record or slot chunk; std::system_error
// from a thread or a mutex) becomes OnFailure's value, a negative status or an empty result the JS side handles.
// The engine and exporter leave their state consistent when an allocation fails (nothing created, nothing lost
// without being counted).
template <napi_callback F, napi_value (*OnFailure)(napi_env)>
napi_value guarded(napi_env env, napi_callback_info info) noexcept {
  ONEAGENT_TRY {
    return F(env, info);
  } ONEAGENT_CATCH_ALL {
    return OnFailure(env);
  }
}

// Fallback results for guarded<>.
template <int32_t Status>
napi_value status_result(napi_env env) noexcept {
  napi_value out = nullptr;
  napi_create_int32(env, Status, &out);
  return out;
}
inline napi_value empty_array_result(napi_env env) noexcept {
  napi_value out = nullptr;
  napi_create_array(env, &out);
  return out;
}

struct Addon {
  // The engine this environment initialised and produces spans into (engine_init), with its process-wide id.
  std::shared_ptr<Engine> engine;
  uint32_t engine_id = 0;
  uint32_t init_count = 0;
  // Keep the shared arrays the engine writes into alive while it does.
  napi_ref counters_ref = nullptr;
  napi_ref ids_ref = nullptr;
  // This environment's consumer of an engine (export_open): its own engine's, or, in the export worker, the
  // application's. It holds that engine, which outlives the producer's shutdown until the consumer closes.
  std::unique_ptr<BatchSource> source;

  // The last engine_shutdown, or the environment's cleanup: this environment no longer produces into its engine.
  void release_engine(napi_env env) {
    if (source != nullptr && engine != nullptr && source->engine() == engine.get()) source.reset();
    if (engine_id != 0) EngineRegistry::remove(engine_id);
    engine_id = 0;
    engine.reset();
    init_count = 0;
    for (napi_ref* ref : {&counters_ref, &ids_ref}) {
      if (*ref != nullptr && env != nullptr) napi_delete_reference(env, *ref);
      *ref = nullptr;
    }
  }
};

}  // namespace oneagent
