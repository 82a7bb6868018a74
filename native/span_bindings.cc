// Bindings for spans: start (from a parent handle or an incoming tag), what is recorded on an open span, its end,
// and its tags. Handles and key ids are small integers; a call on a span that is not open answers with a status.
// Every start publishes the new span's ids and start order (status.h, IdsSlot), which the JS side keeps.
#include "bindings.h"

#include "args.h"

namespace oneagent {

/**
 * Starts a span: (parent, template, sampledRoot?) → handle, 0 when not created by rule, or a negative status
 * (kStaleParent: the parent's slot was reused; start from its ids with span_start_tagged instead).
 * sampledRoot 1: a new root (parent 0) the caller decided to sample.
 */
napi_value JS_span_start(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  if (a.u32(0) == 0 && a.u32(2) == 1) return int32(env, engine->start_sampled_root(a.u32(1)));
  return int32(env, engine->start(a.u32(0), nullptr, std::string_view(), a.u32(1)));
}

/**
 * Starts a span under an incoming tag: (parent, template, tag string | Uint8Array, tracestate?) → handle. A tag that
 * does not parse starts a new trace (noted as kBadTag); the parent is only the local span the call runs in.
 */
napi_value JS_span_start_tagged(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  TraceContext remote;
  bool parsed = false;
  uint8_t* bytes = nullptr;
  size_t length = 0;
  if (typed_array(env, a.argv[2], napi_uint8_array, 0, &bytes, &length)) {
    parsed = parse_binary_tag(bytes, length, remote);
  } else {
    napi_valuetype type;
    napi_typeof(env, a.argv[2], &type);
    if (type == napi_string) {
      std::string tag = a.str(2, 128);
      parsed = parse_traceparent(tag.data(), tag.size(), remote);
    }
  }
  std::string state = a.str(3, 512);
  int32_t handle = engine->start(a.u32(0), parsed ? &remote : nullptr, parsed ? state : std::string_view(), a.u32(1));
  if (!parsed && handle >= 0) engine->note(kBadTag);
  return int32(env, handle);
}

/** Ends a span: (handle) → status. */
napi_value JS_span_end(napi_env env, napi_callback_info info) {
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
napi_value JS_span_attr(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  return int32(env, add_attribute(a, false));
}

/** Adds a custom request attribute to the span's service call: (handle, key id, value, limit?) → status. */
napi_value JS_span_service_attr(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  return int32(env, add_attribute(a, true));
}

/** Marks a span failed with an exception event: (handle, type, message, stack) → status. */
napi_value JS_span_fail(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  return int32(env, a.engine()->fail(a.u32(0), a.str(1, kLimitDefault), a.str(2, kLimitLong), a.str(3, 4 * kLimitLong)));
}

/** Sets the span status without an exception event: (handle, code 0|1|2, message) → status. */
napi_value JS_span_status(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  uint32_t code = a.u32(1);
  if (code > 2) code = 2;
  return int32(env, a.engine()->set_status(a.u32(0), static_cast<StatusCode>(code), a.str(2, kLimitLong)));
}

/** Renames a span, for names too varied to intern: (handle, name) → status. */
napi_value JS_span_name(napi_env env, napi_callback_info info) {
  Args<2> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  return int32(env, a.engine()->set_name(a.u32(0), a.str(1, kLimitDefault)));
}

/** Adds an event: (handle, name, time ns bigint, [key, value, limit, ...]) → status. */
napi_value JS_span_event(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  Event event;
  event.name = engine->intern(a.str(1, kLimitDefault));
  bool lossless;
  event.time_ns = 0;
  if (napi_get_value_bigint_int64(env, a.argv[2], &event.time_ns, &lossless) != napi_ok || event.time_ns <= 0) {
    event.time_ns = IdGenerator::clock_ns();
  }
  read_attributes(env, *engine, a.argv[3], event.attrs);
  return int32(env, engine->add_event(a.u32(0), std::move(event)));
}

/** Links a span to another span's context: (handle, traceparent, [key, value, limit, ...]) → status. */
napi_value JS_span_link(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  Engine* engine = a.engine();
  if (!engine) return int32(env, kShutDown);
  std::string tag = a.str(1, 128);
  TraceContext ctx;
  if (!parse_traceparent(tag.data(), tag.size(), ctx)) return int32(env, kBadTag);
  Link link;
  link.trace_id = ctx.trace_id;
  link.span_id = ctx.span_id;
  link.flags = ctx.flags;
  read_attributes(env, *engine, a.argv[2], link.attrs);
  return int32(env, engine->add_link(a.u32(0), std::move(link)));
}

/** The span's W3C traceparent: (handle) → string, or a negative status when the span is not open. */
napi_value JS_span_tag(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  TraceContext ctx;
  int32_t status = a.engine()->context(a.u32(0), ctx);
  if (status != kOk) return int32(env, status);
  char buf[kTraceparentLength];
  format_traceparent(ctx, buf);
  return latin1(env, buf, kTraceparentLength);
}

/** The span's binary trace-context tag: (handle) → Uint8Array, or a negative status when the span is not open. */
napi_value JS_span_tag_bytes(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  TraceContext ctx;
  int32_t status = a.engine()->context(a.u32(0), ctx);
  if (status != kOk) return int32(env, status);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, kBinaryTagLength);
  format_binary_tag(ctx, out.Data());
  return out;
}

/** Makes the context of a new unsampled root (a trace id the ratio leaves out) and publishes it: () → status. */
napi_value JS_unsampled_root(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  a.engine()->unsampled_root();
  return int32(env, kOk);
}

/** A new span id as 16 hex digits (the engine's generator, far cheaper than building one in JS), or a status. */
napi_value JS_span_id_hex(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  if (!a.engine()) return int32(env, kShutDown);
  char buf[16];
  write_hex(buf, a.engine()->new_span_id());
  return latin1(env, buf, 16);
}

}  // namespace oneagent
