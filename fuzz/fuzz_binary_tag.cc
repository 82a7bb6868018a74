// parse_binary_tag on arbitrary bytes, against a reference reading of the W3C binary trace-context layout
// (version 0; field 0 trace id, 16 bytes; field 1 span id, 8 bytes; field 2 trace options, 1 byte), plus the
// round trips parse → format → parse and context → format → parse, and agreement with the string form.
#include "../native/tags.h"
#include "common.h"

using namespace oneagent;

namespace {

bool reference(const uint8_t* in, size_t n, TraceContext& out) {
  if (n < 29 || in[0] != 0 || in[1] != 0 || in[18] != 1 || in[27] != 2) return false;
  TraceContext ctx;
  for (int i = 0; i < 8; ++i) ctx.trace_id.hi = ctx.trace_id.hi << 8 | in[2 + i];
  for (int i = 0; i < 8; ++i) ctx.trace_id.lo = ctx.trace_id.lo << 8 | in[10 + i];
  for (int i = 0; i < 8; ++i) ctx.span_id = ctx.span_id << 8 | in[19 + i];
  ctx.flags = in[28];
  if (!ctx.valid()) return false;
  out = ctx;
  return true;
}

bool same(const TraceContext& a, const TraceContext& b) {
  return a.trace_id.hi == b.trace_id.hi && a.trace_id.lo == b.trace_id.lo && a.span_id == b.span_id && a.flags == b.flags;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TraceContext got, want;
  bool ok = parse_binary_tag(data, size, got);
  FUZZ_CHECK(ok == reference(data, size, want));
  if (ok) {
    FUZZ_CHECK(same(got, want));
    uint8_t bytes[kBinaryTagLength];
    format_binary_tag(got, bytes);
    FUZZ_CHECK(std::memcmp(bytes, data, kBinaryTagLength) == 0);  // the layout has one spelling
    // The string tag of the same context names the same ids.
    char text[kTraceparentLength];
    format_traceparent(got, text);
    TraceContext via_text;
    FUZZ_CHECK(parse_traceparent(text, kTraceparentLength, via_text) && same(via_text, got));
  }

  fz::Input in(data, size);
  TraceContext ctx;
  ctx.trace_id.hi = in.u64();
  ctx.trace_id.lo = in.u64();
  ctx.span_id = in.u64();
  ctx.flags = in.u8();
  uint8_t bytes[kBinaryTagLength];
  format_binary_tag(ctx, bytes);
  TraceContext back;
  bool parsed = parse_binary_tag(bytes, kBinaryTagLength, back);
  FUZZ_CHECK(parsed == ctx.valid());
  if (parsed) FUZZ_CHECK(same(back, ctx));
  // Truncated tags never parse.
  for (size_t n = 0; n < kBinaryTagLength; n += 7) FUZZ_CHECK(!parse_binary_tag(bytes, n, back));
  return 0;
}
