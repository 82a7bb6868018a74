// Reading JS strings into UTF-8 with a limit in code points, so a 1 MB string costs no more than its kept prefix.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <string>

#include "values.h"

namespace oneagent {

// Reads value (a JS string) keeping at most `limit` code points. Non-strings read as "" and return false.
// Invalid UTF-16 (lone surrogates) arrives as U+FFFD, which Node's conversion substitutes.
inline bool read_string(napi_env env, napi_value value, size_t limit, std::string& out, bool* truncated) {
  *truncated = false;
  // `limit` code points take at most limit * 4 bytes; room for one more whole code point (4 bytes) shows whether
  // the string goes on, and 1 for the NUL that N-API writes. N-API writes whole characters only, so with less
  // room (limit * 4 + 4 was used) a string of more than `limit` astral characters looked untruncated.
  size_t capacity = limit * 4 + 5;
  // Read into a buffer that only grows, then copy what was written: sizing `out` to the capacity would zero-fill
  // up to limit * 4 bytes on every call, most of them never written. Thread-local: workers load the addon too.
  thread_local std::string scratch;
  if (scratch.size() < capacity) scratch.resize(capacity);
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, scratch.data(), capacity, &length) != napi_ok) {
    out.clear();
    return false;
  }
  out.assign(scratch.data(), utf8_prefix(scratch.data(), length, limit, truncated));
  return true;
}

}  // namespace oneagent
