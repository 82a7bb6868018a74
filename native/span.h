// A finished (or finishing) span as the engine keeps it until it is exported or read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ids.h"

namespace oneagent {

// OpenTelemetry SpanKind values, so the encoder writes them as they are.
enum class SpanKind : uint8_t { Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5 };
// OpenTelemetry status codes.
enum class StatusCode : uint8_t { Unset = 0, Ok = 1, Error = 2 };
enum class AttrType : uint8_t { String = 0, Int = 1, Double = 2, Bool = 3 };

struct Attr {
  uint32_t key;  // interned
  AttrType type;
  union {
    int64_t i;
    double d;
    bool b;
  };
  std::string s;
};

struct Event {
  uint32_t name;  // interned
  int64_t time_ns;
  std::vector<Attr> attrs;
};

struct Link {
  TraceId trace_id;
  uint64_t span_id;
  uint8_t flags;
  std::vector<Attr> attrs;
};

struct SpanRecord {
  TraceId trace_id;
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;
  uint8_t flags = 0;
  SpanKind kind = SpanKind::Internal;
  StatusCode status = StatusCode::Unset;
  uint32_t name = 0;      // interned
  std::string name_text;  // set instead of `name` for names too varied to intern
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  std::string trace_state;
  std::string status_message;
  std::vector<Attr> attrs;
  std::vector<Event> events;
  std::vector<Link> links;
  uint32_t dropped_attrs = 0;
  uint32_t dropped_events = 0;
};

}  // namespace oneagent
