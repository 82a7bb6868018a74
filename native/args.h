// Reading a binding's arguments and making its results: the one set of readers every binding file uses. Bindings
// take and return small integers and strings; these never throw and never leave a JS exception pending, so a
// malformed argument reads as 0, "" or "absent" and the engine's own checks answer it with a status.
#pragma once
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "addon.h"
#include "engine.h"
#include "strings.h"

namespace oneagent {

// The calling environment's Addon (each environment that loads the binary has its own).
inline Addon* addon_of(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<Addon*>(data);
}

// Up to N arguments; missing ones read as undefined.
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
  // A string argument cut to `limit` code points (see strings.h); "" for a non-string.
  std::string str(size_t i, size_t limit, bool* truncated = nullptr) const {
    std::string out;
    bool cut = false;
    read_string(env, argv[i], limit, out, &cut);
    if (truncated != nullptr) *truncated = cut;
    return out;
  }
  Engine* engine() const { return addon->engine.get(); }
};

inline napi_value int32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// Ids and tags are ASCII: latin1 makes a one-byte string without a UTF-8 decode.
inline napi_value latin1(napi_env env, const char* s, size_t length) {
  napi_value out;
  napi_create_string_latin1(env, s, length, &out);
  return out;
}

// Reads a string, number, bigint or boolean into attr, typed as OTLP types them (an integral number in the safe
// range is an int, any other number a double). False (attr untouched) for any other type.
inline bool read_attr_value(napi_env env, napi_value value, size_t limit, Attr& attr, bool* truncated) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  attr.i = 0;
  *truncated = false;
  switch (type) {
    case napi_string:
      read_string(env, value, limit == 0 ? size_t{kLimitDefault} : limit, attr.s, truncated);
      attr.type = AttrType::String;
      return true;
    case napi_number: {
      double d = 0;
      napi_get_value_double(env, value, &d);
      set_number(attr, d);
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

// Reads [key, value, limit, key, value, limit, ...] into out; a cut value adds the truncation marker.
inline void read_attributes(napi_env env, Engine& engine, napi_value array, std::vector<Attr>& out) {
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
    read_string(env, key_value, kLimitDefault, key, &truncated);
    uint32_t limit = 0;
    napi_get_value_uint32(env, limit_value, &limit);
    Attr attr;
    attr.key = engine.intern(key);
    if (!read_attr_value(env, value, limit, attr, &truncated)) continue;
    out.push_back(std::move(attr));
    if (truncated) out.push_back(truncation_marker(engine, out.back().key));
  }
}

// Whether value is a typed array of `type` with at least `min_length` elements; its data and length in the outs.
template <typename T>
inline bool typed_array(napi_env env, napi_value value, napi_typedarray_type type, size_t min_length, T** data,
                        size_t* length_out = nullptr) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return false;
  napi_typedarray_type actual;
  size_t length;
  void* raw;
  napi_get_typedarray_info(env, value, &actual, &length, &raw, nullptr, nullptr);
  if (actual != type || length < min_length) return false;
  *data = static_cast<T*>(raw);
  if (length_out != nullptr) *length_out = length;
  return true;
}

}  // namespace oneagent
