// W3C trace-context tags: the `traceparent` string form and the binary form of the same ids.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "ids.h"

namespace oneagent {

struct TraceContext {
  TraceId trace_id;
  uint64_t span_id = 0;
  uint8_t flags = 0;
  bool valid() const { return trace_id.valid() && span_id != 0; }
  bool sampled() const { return (flags & 1) != 0; }
};

constexpr size_t kTraceparentLength = 55;
constexpr size_t kBinaryTagLength = 29;

// Writes "00-<trace>-<span>-<flags>" (55 characters) into out.
void format_traceparent(const TraceContext& ctx, char* out);
// Accepts version 00 exactly and higher versions by their 00 prefix, as the W3C spec asks.
bool parse_traceparent(const char* in, size_t length, TraceContext& out);
void format_binary_tag(const TraceContext& ctx, uint8_t* out);
bool parse_binary_tag(const uint8_t* in, size_t length, TraceContext& out);

}  // namespace oneagent
