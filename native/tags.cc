#include "tags.h"

namespace oneagent {

void format_traceparent(const TraceContext& ctx, char* out) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  write_hex(out + 3, ctx.trace_id.hi);
  write_hex(out + 19, ctx.trace_id.lo);
  out[35] = '-';
  write_hex(out + 36, ctx.span_id);
  out[52] = '-';
  static const char digits[] = "0123456789abcdef";
  out[53] = digits[ctx.flags >> 4];
  out[54] = digits[ctx.flags & 0xF];
}

bool parse_traceparent(const char* in, size_t length, TraceContext& out) {
  // Surrounding whitespace is tolerated because header values often carry it.
  while (length > 0 && (*in == ' ' || *in == '\t')) ++in, --length;
  while (length > 0 && (in[length - 1] == ' ' || in[length - 1] == '\t')) --length;
  if (length < kTraceparentLength) return false;
  uint64_t version;
  if (!parse_hex(in, 2, version) || version == 0xff) return false;
  if (version == 0 && length != kTraceparentLength) return false;
  if (version != 0 && length > kTraceparentLength && in[kTraceparentLength] != '-') return false;
  if (in[2] != '-' || in[35] != '-' || in[52] != '-') return false;
  TraceContext ctx;
  uint64_t flags;
  if (!parse_hex(in + 3, 16, ctx.trace_id.hi) || !parse_hex(in + 19, 16, ctx.trace_id.lo) ||
      !parse_hex(in + 36, 16, ctx.span_id) || !parse_hex(in + 53, 2, flags)) {
    return false;
  }
  // Upper-case hex is invalid per W3C; parse_hex accepts it, so reject it here.
  for (size_t i = 0; i < kTraceparentLength; ++i) {
    if (in[i] >= 'A' && in[i] <= 'F') return false;
  }
  ctx.flags = static_cast<uint8_t>(flags);
  if (!ctx.valid()) return false;
  out = ctx;
  return true;
}

void format_binary_tag(const TraceContext& ctx, uint8_t* out) {
  out[0] = 0;  // version
  out[1] = 0;  // field 0: trace id
  store_be64(out + 2, ctx.trace_id.hi);
  store_be64(out + 10, ctx.trace_id.lo);
  out[18] = 1;  // field 1: span id
  store_be64(out + 19, ctx.span_id);
  out[27] = 2;  // field 2: trace options
  out[28] = ctx.flags;
}

bool parse_binary_tag(const uint8_t* in, size_t length, TraceContext& out) {
  if (length < kBinaryTagLength || in[0] != 0 || in[1] != 0 || in[18] != 1 || in[27] != 2) return false;
  TraceContext ctx;
  ctx.trace_id.hi = load_be64(in + 2);
  ctx.trace_id.lo = load_be64(in + 10);
  ctx.span_id = load_be64(in + 19);
  ctx.flags = in[28];
  if (!ctx.valid()) return false;
  out = ctx;
  return true;
}

}  // namespace oneagent
