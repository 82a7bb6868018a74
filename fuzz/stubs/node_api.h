// A stand-in for <node_api.h> so the fuzz harnesses compile native/strings.h without Node.
// Only what strings.h uses: napi_get_value_string_utf8, emulating V8's conversion of a JS string
// (UTF-16 code units) to UTF-8: lone surrogates become U+FFFD, and a buffer that is too small
// receives only whole characters (what Node 24 does, checked against the real addon), or, in the
// `split_pairs` mode, V8's older behaviour of writing a lead surrogate as U+FFFD when its pair
// does not fit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

typedef enum { napi_ok = 0, napi_invalid_arg = 1, napi_string_expected = 3 } napi_status;
typedef struct napi_env__* napi_env;

struct napi_value__ {
  bool is_string = true;
  bool split_pairs = false;
  std::u16string units;
};
typedef napi_value__* napi_value;

namespace fuzz_napi {

// UTF-8 of one code point into out (1-4 bytes); returns the byte count.
inline size_t encode(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// The whole string as UTF-8, lone surrogates replaced: what an unbounded conversion gives.
inline std::string to_utf8(const std::u16string& units) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t c = units[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    out.append(buf, encode(c, buf));
  }
  return out;
}

}  // namespace fuzz_napi

inline napi_status napi_get_value_string_utf8(napi_env, napi_value value, char* buf, size_t bufsize, size_t* result) {
  if (value == nullptr || !value->is_string) return napi_string_expected;
  const std::u16string& units = value->units;
  if (buf == nullptr) {
    if (result == nullptr) return napi_invalid_arg;
    *result = fuzz_napi::to_utf8(units).size();
    return napi_ok;
  }
  if (bufsize == 0) return napi_invalid_arg;  // Node would write buf[-1]; never asked for here
  const size_t capacity = bufsize - 1;
  size_t written = 0;
  char tmp[4];
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t c = units[i];
    size_t consumed = 1;
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      consumed = 2;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    size_t n = fuzz_napi::encode(c, tmp);
    if (written + n > capacity) {
      // Older V8 wrote a lead surrogate on its own (as U+FFFD) before finding out its trail did not fit.
      if (value->split_pairs && consumed == 2 && written + 3 <= capacity) written += fuzz_napi::encode(0xFFFD, buf + written);
      break;
    }
    for (size_t k = 0; k < n; ++k) buf[written + k] = tmp[k];
    written += n;
    i += consumed - 1;
  }
  buf[written] = '\0';
  if (result != nullptr) *result = written;
  return napi_ok;
}
