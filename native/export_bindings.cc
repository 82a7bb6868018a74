// Bindings for the export: the consumer side of an engine, opened in the environment that reads finished spans out
// of it (the export worker, or the application's thread for the test layer), and the engine's process-wide id that
// lets another environment open it. A batch is encoded when it is taken, on the taking thread.
#include "bindings.h"

#include <limits>

#include "args.h"

namespace oneagent {

/** The process-wide id of the engine this environment initialised: () → id, or 0 for none. */
napi_value JS_engine_id(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  return int32(env, addon->engine ? static_cast<int32_t>(addon->engine_id) : 0);
}

// A resource attribute's value: a string, number or boolean, typed as span attributes are.
static bool read_resource(napi_env env, napi_value entries, std::vector<ResourceAttr>& out) {
  bool is_array = false;
  napi_is_array(env, entries, &is_array);
  if (!is_array) return false;
  uint32_t length = 0;
  napi_get_array_length(env, entries, &length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value pair, key, value;
    napi_get_element(env, entries, i, &pair);
    bool pair_is_array = false;
    napi_is_array(env, pair, &pair_is_array);
    if (!pair_is_array) return false;
    napi_get_element(env, pair, 0, &key);
    napi_get_element(env, pair, 1, &value);
    ResourceAttr attr;
    attr.value.key = 0;
    bool truncated;
    napi_valuetype key_type;
    napi_typeof(env, key, &key_type);
    if (key_type != napi_string || !read_attr_value(env, value, kLimitLong, attr.value, &truncated)) return false;
    read_string(env, key, kLimitDefault, attr.key, &truncated);
    out.push_back(std::move(attr));
  }
  return true;
}

/**
 * Opens this environment's consumer of an engine: (engineId (0: this environment's own), format "protobuf" | "json",
 * resource [[key, value], ...], scopeName, scopeVersion, jsonCopy) → 0, kRefused for malformed arguments, kShutDown
 * when no such engine runs. Replaces a consumer opened before.
 */
napi_value JS_export_open(napi_env env, napi_callback_info info) {
  Args<6> a(env, info);
  Addon* addon = a.addon;
  const uint32_t id = a.u32(0);
  std::shared_ptr<Engine> engine = id == 0 ? addon->engine : EngineRegistry::find(id);
  if (!engine) return int32(env, kShutDown);
  EncoderConfig config;
  const std::string format = a.str(1, 16);
  if (format == "protobuf") config.format = ExportFormat::Protobuf;
  else if (format == "json") config.format = ExportFormat::Json;
  else return int32(env, kRefused);
  if (!read_resource(env, a.argv[2], config.resource)) return int32(env, kRefused);
  config.scope_name = a.str(3, kLimitDefault);
  config.scope_version = a.str(4, kLimitDefault);
  bool json_copy = false;
  napi_get_value_bool(env, a.argv[5], &json_copy);
  addon->source = std::make_unique<BatchSource>(std::move(engine), std::move(config), json_copy);
  return int32(env, kOk);
}

/** Closes this environment's consumer (and its hold on the engine): () → 0. */
napi_value JS_export_close(napi_env env, napi_callback_info info) {
  addon_of(env)->source.reset();
  return int32(env, kOk);
}

static napi_value buffer(napi_env env, const std::string& bytes) {
  napi_value out;
  void* data = nullptr;
  napi_create_buffer_copy(env, bytes.size(), bytes.data(), &data, &out);
  return out;
}

/**
 * Takes the next batch: (maxSpans, maxBytes) → [bytes, spanCount, json?], or null when no span waits (or no consumer
 * is open). The spans count against the engine's bound until they are settled.
 */
napi_value JS_export_take(napi_env env, napi_callback_info info) {
  Args<2> a(env, info);
  BatchSource* source = a.addon->source.get();
  napi_value out;
  if (source == nullptr) {
    napi_get_null(env, &out);
    return out;
  }
  uint32_t max_spans = a.u32(0);
  double max_bytes = a.f64(1);
  Batch batch = source->take(max_spans == 0 ? 512 : max_spans,
                             max_bytes >= 1 ? static_cast<size_t>(max_bytes) : std::numeric_limits<size_t>::max());
  if (batch.spans == 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, buffer(env, batch.bytes));
  napi_value count;
  napi_create_uint32(env, batch.spans, &count);
  napi_set_element(env, out, 1, count);
  if (!batch.json.empty()) napi_set_element(env, out, 2, buffer(env, batch.json));
  source->reuse(std::move(batch.bytes));
  return out;
}

/** Settles taken spans (exported or dropped): (count) → 0, kNotStarted without a consumer. */
napi_value JS_export_settle(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  BatchSource* source = a.addon->source.get();
  if (source == nullptr) return int32(env, kNotStarted);
  double count = a.f64(0);
  if (count >= 1) source->settle(static_cast<uint64_t>(count));
  return int32(env, kOk);
}

/** The consumer's view: () → [spans waiting to be taken, spans it dropped for lack of memory]; [0, 0] without one. */
napi_value JS_export_state(napi_env env, napi_callback_info info) {
  BatchSource* source = addon_of(env)->source.get();
  napi_value out, waiting, dropped;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, source == nullptr ? 0 : static_cast<double>(source->waiting()), &waiting);
  napi_create_double(env, source == nullptr ? 0 : static_cast<double>(source->dropped()), &dropped);
  napi_set_element(env, out, 0, waiting);
  napi_set_element(env, out, 1, dropped);
  return out;
}

}  // namespace oneagent
