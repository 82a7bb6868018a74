// String truncation: utf8_prefix on arbitrary bytes, and read_string (JS string → UTF-8 with a limit in code
// points) over an emulation of N-API's conversion (stubs/node_api.h). A kept prefix must be valid UTF-8, hold
// exactly min(limit, length) code points of the full conversion, and report truncation exactly when the
// string was longer than the limit.
#include "../native/strings.h"
#include "common.h"

using namespace oneagent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fz::Input in(data, size);
  size_t limit = in.u8() % 80;  // small limits, and (second byte even) around the real 250
  if ((in.u8() & 1) == 0) limit += 186;
  const bool split_pairs = in.u8() & 1;
  const uint8_t* rest = data + std::min<size_t>(size, 3);
  const size_t n = size - std::min<size_t>(size, 3);

  // 1. utf8_prefix on raw bytes (valid or not): never past the end, never more than `limit` code points.
  {
    std::string bytes(reinterpret_cast<const char*>(rest), n);
    bool truncated = true;
    size_t kept = utf8_prefix(bytes.data(), bytes.size(), limit, &truncated);
    FUZZ_CHECK(kept <= bytes.size());
    size_t starts = 0, all = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      bool start = (static_cast<unsigned char>(bytes[i]) & 0xC0) != 0x80;
      all += start;
      if (i < kept) starts += start;
    }
    FUZZ_CHECK(starts <= limit);
    FUZZ_CHECK(truncated == (all > limit));
    FUZZ_CHECK(!truncated || kept < bytes.size());
    // The cut is on a code point boundary, so valid input stays valid.
    if (fz::valid_utf8(bytes)) {
      FUZZ_CHECK(fz::valid_utf8(std::string_view(bytes).substr(0, kept)));
      FUZZ_CHECK(fz::code_points(std::string_view(bytes).substr(0, kept)) == std::min(limit, all));
    }
  }

  // 2. read_string on the same bytes taken as UTF-16 code units (lone surrogates included).
  {
    napi_value__ value;
    value.split_pairs = split_pairs;
    for (size_t i = 0; i + 1 < n; i += 2) value.units.push_back(static_cast<char16_t>(rest[i] | rest[i + 1] << 8));
    const std::string full = fuzz_napi::to_utf8(value.units);
    std::string out = "garbage";
    bool truncated = false;
    FUZZ_CHECK(read_string(nullptr, &value, limit, out, &truncated));
    const size_t total = fz::code_points(full);
    FUZZ_CHECK(fz::valid_utf8(out));
    FUZZ_CHECK(full.compare(0, out.size(), out) == 0);  // a prefix of the whole conversion
    FUZZ_CHECK(fz::code_points(out) == std::min(limit, total));
    if (truncated != (total > limit)) {
      std::fprintf(stderr, "read_string: %zu code points, limit %zu, truncated=%d\n", total, limit, truncated);
    }
    FUZZ_CHECK(truncated == (total > limit));  // a truncation is always visible on the span

    // Non-strings read as "" and false.
    napi_value__ number;
    number.is_string = false;
    FUZZ_CHECK(!read_string(nullptr, &number, limit, out, &truncated) && out.empty() && !truncated);
  }
  return 0;
}
