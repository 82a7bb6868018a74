// Every JS-callable function of the binary, one declaration each; native/addon.cc lists them in its export table.
// Each is defined, with a one-line description, in the binding file of its concern.
#pragma once
#include <node_api.h>

namespace oneagent {

// engine_bindings.cc: lifecycle and shared tables
napi_value JS_engine_init(napi_env env, napi_callback_info info);
napi_value JS_engine_shutdown(napi_env env, napi_callback_info info);
napi_value JS_engine_version(napi_env env, napi_callback_info info);
napi_value JS_intern(napi_env env, napi_callback_info info);
napi_value JS_template_create(napi_env env, napi_callback_info info);
napi_value JS_spans_open(napi_env env, napi_callback_info info);

// span_bindings.cc: spans
napi_value JS_span_start(napi_env env, napi_callback_info info);
napi_value JS_span_start_tagged(napi_env env, napi_callback_info info);
napi_value JS_span_end(napi_env env, napi_callback_info info);
napi_value JS_span_attr(napi_env env, napi_callback_info info);
napi_value JS_span_service_attr(napi_env env, napi_callback_info info);
napi_value JS_span_fail(napi_env env, napi_callback_info info);
napi_value JS_span_status(napi_env env, napi_callback_info info);
napi_value JS_span_name(napi_env env, napi_callback_info info);
napi_value JS_span_event(napi_env env, napi_callback_info info);
napi_value JS_span_link(napi_env env, napi_callback_info info);
napi_value JS_span_tag(napi_env env, napi_callback_info info);
napi_value JS_span_tag_bytes(napi_env env, napi_callback_info info);
napi_value JS_unsampled_root(napi_env env, napi_callback_info info);
napi_value JS_span_id_hex(napi_env env, napi_callback_info info);

// export_bindings.cc: the consumer side, batches taken and settled
napi_value JS_engine_id(napi_env env, napi_callback_info info);
napi_value JS_export_open(napi_env env, napi_callback_info info);
napi_value JS_export_close(napi_env env, napi_callback_info info);
napi_value JS_export_take(napi_env env, napi_callback_info info);
napi_value JS_export_settle(napi_env env, napi_callback_info info);
napi_value JS_export_state(napi_env env, napi_callback_info info);

}  // namespace oneagent
