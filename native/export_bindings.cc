// The Node-API surface of the export thread: exporter_start / _flush / _stop / _stats. The protocol of the
// batch callback is described at the top of exporter.h.
#include <cmath>
#include <limits>

#include "args.h"
#include "bindings.h"
#include "exporter.h"

namespace oneagent {

// A string, number or boolean as an attribute value, typed as span_attr types them.
static bool read_value(Napi::Value v, Attr& out) {
  out.i = 0;
  if (v.IsString()) {
    out.type = AttrType::String;
    out.s = v.As<Napi::String>().Utf8Value();
  } else if (v.IsBoolean()) {
    out.type = AttrType::Bool;
    out.b = v.As<Napi::Boolean>().Value();
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0) {
      out.type = AttrType::Int;
      out.i = static_cast<int64_t>(d);
    } else {
      out.type = AttrType::Double;
      out.d = d;
    }
  } else {
    return false;
  }
  return true;
}

static bool read_option(Napi::Object o, const char* name, std::string& out) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return true;
  if (!v.IsString()) return false;
  out = v.As<Napi::String>().Utf8Value();
  return true;
}

// A positive number option, or the default when absent; fractions are cut and huge values capped.
template <typename T>
static bool read_count(Napi::Object o, const char* name, T& out) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return true;
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1)) return false;
  out = d >= static_cast<double>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max() : static_cast<T>(d);
  return true;
}

static bool read_config(Napi::Object c, ExportConfig& out) {
  std::string format;
  if (!read_option(c, "format", format)) return false;
  if (format == "protobuf") out.encoder.format = ExportFormat::Protobuf;
  else if (format == "json") out.encoder.format = ExportFormat::Json;
  else return false;
  Napi::Value resource = c.Get("resource");
  if (resource.IsArray()) {
    Napi::Array entries = resource.As<Napi::Array>();
    for (uint32_t i = 0; i < entries.Length(); ++i) {
      Napi::Value entry = entries.Get(i);
      if (!entry.IsArray()) return false;
      Napi::Array pair = entry.As<Napi::Array>();
      Napi::Value key = pair.Get(0u);
      ResourceAttr attr;
      attr.value.key = 0;
      if (!key.IsString() || !read_value(pair.Get(1u), attr.value)) return false;
      attr.key = key.As<Napi::String>().Utf8Value();
      out.encoder.resource.push_back(std::move(attr));
    }
  } else if (!resource.IsUndefined()) {
    return false;
  }
  Napi::Value console = c.Get("consoleJson");
  if (console.IsBoolean()) out.console_json = console.As<Napi::Boolean>().Value();
  else if (!console.IsUndefined()) return false;
  return read_option(c, "scopeName", out.encoder.scope_name) &&
         read_option(c, "scopeVersion", out.encoder.scope_version) &&
         read_count(c, "maxBatchSpans", out.max_batch_spans) && read_count(c, "maxBatchBytes", out.max_batch_bytes) &&
         read_count(c, "intervalMs", out.interval_ms);
}

/**
 * Starts the export thread: (config, onBatch(bytes | null, spanCount | flushSeq, json?)) → 0, or -1 / -9 / -10 / -13,
 * or -14 when memory or a thread could not be had.
 */
napi_value JS_exporter_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Addon* addon = addon_of(env);
  if (!addon->engine) return int32(env, kShutDown);
  if (addon->exporter && addon->exporter->running()) return int32(env, kAlreadyStarted);
  if (argc < 2) return int32(env, kRefused);
  Napi::Value config(env, argv[0]);
  Napi::Value callback(env, argv[1]);
  ExportConfig options;
  if (!config.IsObject() || !callback.IsFunction() || !read_config(config.As<Napi::Object>(), options)) {
    Napi::Env(env).GetAndClearPendingException();  // a throwing getter in config counts as malformed
    return int32(env, kRefused);
  }
  addon->exporter.reset();  // a stopped exporter kept for its stats
  napi_status status;
  addon->exporter = Exporter::start(env, argv[1], *addon->engine, std::move(options), &status);
  if (!addon->exporter) return int32(env, kNoCallback);
  return int32(env, kOk);
}

/** Requests an export of everything queued now: () → flush sequence number (≥ 1) that onBatch(null, seq) confirms, or -12. */
napi_value JS_exporter_flush(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  if (!addon->exporter || !addon->exporter->running()) return int32(env, kNotStarted);
  napi_value out;
  napi_create_double(env, static_cast<double>(addon->exporter->flush()), &out);
  return out;
}

/** Exports what is queued (without waiting for room in the callback queue), joins the thread: () → 0, or -12. */
napi_value JS_exporter_stop(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  if (!addon->exporter || !addon->exporter->running()) return int32(env, kNotStarted);
  addon->exporter->stop(true);
  return int32(env, kOk);
}

/** Counters of the current or last exporter: () → [spansEncoded, batchesDelivered, spansDropped, bytesDelivered]. */
napi_value JS_exporter_stats(napi_env env, napi_callback_info info) {
  Addon* addon = addon_of(env);
  ExportStats s = addon->exporter ? addon->exporter->stats() : ExportStats{0, 0, 0, 0};
  double values[] = {static_cast<double>(s.spans_encoded), static_cast<double>(s.batches_delivered),
                     static_cast<double>(s.spans_dropped), static_cast<double>(s.bytes_delivered)};
  napi_value out;
  napi_create_array_with_length(env, 4, &out);
  for (uint32_t i = 0; i < 4; ++i) {
    napi_value v;
    napi_create_double(env, values[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

}  // namespace oneagent
