// parse_traceparent on arbitrary bytes, against an independent reference parser of W3C trace-context
// `traceparent` (with the engine's documented leniency: surrounding spaces and tabs), plus the round trips
// parse → format → parse and context → format → parse.
#include "../native/tags.h"
#include "common.h"

using namespace oneagent;

namespace {

bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

uint64_t hex_at(const char* s, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 4 | static_cast<uint64_t>(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
  return v;
}

// https://www.w3.org/TR/trace-context/#traceparent-header-field-values
bool reference(std::string_view in, TraceContext& out) {
  while (!in.empty() && (in.front() == ' ' || in.front() == '\t')) in.remove_prefix(1);
  while (!in.empty() && (in.back() == ' ' || in.back() == '\t')) in.remove_suffix(1);
  if (in.size() < 55) return false;
  for (size_t i = 0; i < 55; ++i) {
    bool dash = i == 2 || i == 35 || i == 52;
    if (dash ? in[i] != '-' : !lower_hex(in[i])) return false;
  }
  uint64_t version = hex_at(in.data(), 2);
  if (version == 0xff) return false;
  if (version == 0 && in.size() != 55) return false;  // version 00 has nothing after the flags
  if (version != 0 && in.size() > 55 && in[55] != '-') return false;  // later versions may append "-..."
  TraceContext ctx;
  ctx.trace_id.hi = hex_at(in.data() + 3, 16);
  ctx.trace_id.lo = hex_at(in.data() + 19, 16);
  ctx.span_id = hex_at(in.data() + 36, 16);
  ctx.flags = static_cast<uint8_t>(hex_at(in.data() + 53, 2));
  if (!ctx.trace_id.valid() || ctx.span_id == 0) return false;  // all-zero ids are invalid
  out = ctx;
  return true;
}

bool same(const TraceContext& a, const TraceContext& b) {
  return a.trace_id.hi == b.trace_id.hi && a.trace_id.lo == b.trace_id.lo && a.span_id == b.span_id && a.flags == b.flags;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  TraceContext sentinel;
  sentinel.trace_id = {0x1234, 0x5678};
  sentinel.span_id = 0x9abc;
  sentinel.flags = 0x5a;

  TraceContext got = sentinel, want = sentinel;
  bool ok = parse_traceparent(text, size, got);
  bool ref = reference(std::string_view(text, size), want);
  if (ok != ref) std::fprintf(stderr, "parse_traceparent says %d, the reference %d\n", ok, ref);
  FUZZ_CHECK(ok == ref);
  FUZZ_CHECK(same(got, want));  // equal on success, and `out` untouched on failure
  if (ok) {
    char formatted[kTraceparentLength];
    format_traceparent(got, formatted);
    TraceContext again;
    FUZZ_CHECK(parse_traceparent(formatted, kTraceparentLength, again) && same(again, got));
    FUZZ_CHECK(formatted[0] == '0' && formatted[1] == '0');  // we always write version 00
  }

  // Any context with non-zero ids survives format → parse; a zero id never parses.
  fz::Input in(data, size);
  TraceContext ctx;
  ctx.trace_id.hi = in.u64();
  ctx.trace_id.lo = in.u64();
  ctx.span_id = in.u64();
  ctx.flags = in.u8();
  char formatted[kTraceparentLength + 8];
  format_traceparent(ctx, formatted);
  TraceContext back;
  bool parsed = parse_traceparent(formatted, kTraceparentLength, back);
  FUZZ_CHECK(parsed == ctx.valid());
  if (parsed) FUZZ_CHECK(same(back, ctx));
  // A later version with extra fields keeps the 00 prefix's meaning.
  formatted[1] = '1';
  std::memcpy(formatted + kTraceparentLength, "-abcdef", 7);
  parsed = parse_traceparent(formatted, kTraceparentLength + 7, back);
  FUZZ_CHECK(parsed == ctx.valid());
  if (parsed) FUZZ_CHECK(same(back, ctx));
  return 0;
}
