// What both bindings (the Node-API one and the WebAssembly one) do alike with the values they are given: no
// Node-API here, so a cut string or a typed number is the same on both engines.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "engine.h"

// Set by the builds (binding.gyp, scripts/platforms/prebuild-all.sh, scripts/build-wasm.sh); these only serve a
// build by hand.
#ifndef ENGINE_VERSION
#define ENGINE_VERSION "0.1.0"
#endif
#ifndef ENGINE_SOURCE_HASH
#define ENGINE_SOURCE_HASH "unknown"
#endif

namespace oneagent {

// The version of the Addon interface (src/internal/addon.ts) both engines implement.
constexpr uint32_t kAbiVersion = 2;

// Number of bytes of the first `limit` code points of s[0..length), and whether there were more.
inline size_t utf8_prefix(const char* s, size_t length, size_t limit, bool* truncated) {
  size_t count = 0;
  for (size_t i = 0; i < length; ++i) {
    // Every byte that is not a continuation byte (10xxxxxx) starts a code point.
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == limit) {
        *truncated = true;
        return i;
      }
      ++count;
    }
  }
  *truncated = false;
  return length;
}

// A number typed as OTLP types it: an integral number in the safe range is an int, any other a double.
inline void set_number(Attr& attr, double d) {
  if (std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0) {
    attr.type = AttrType::Int;
    attr.i = static_cast<int64_t>(d);
  } else {
    attr.type = AttrType::Double;
    attr.d = d;
  }
}

// The attribute that marks a cut value: `oneagent.truncated` = the key whose value was cut.
inline Attr truncation_marker(Engine& engine, uint32_t key) {
  Attr marker;
  marker.key = engine.intern("oneagent.truncated");
  marker.type = AttrType::String;
  marker.i = 0;
  marker.s = engine.strings().get(key);
  return marker;
}

}  // namespace oneagent
