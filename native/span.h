// A finished (or finishing) span as the engine keeps it until it is exported or read.
#pragma once
#include <cstdint>
#include <new>
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

class RecordPool;

// Records are recycled across threads (pool.h), so span_start and span_end touch lines the export thread wrote
// last. Cache-line aligned, with everything start and end write (and the pool's link) in the first line.
struct alignas(64) SpanRecord {
  TraceId trace_id;
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  SpanRecord* next_free = nullptr;  // while idle in the pool
  uint32_t name = 0;                // interned
  uint8_t flags = 0;
  SpanKind kind = SpanKind::Internal;
  StatusCode status = StatusCode::Unset;
  std::vector<Attr> attrs;
  RecordPool* pool = nullptr;  // where `delete` returns the record; null: a plain heap record
  uint32_t dropped_attrs = 0;
  uint32_t dropped_events = 0;
  uint32_t dropped_links = 0;
  std::string name_text;  // set instead of `name` for names too varied to intern
  std::string trace_state;
  std::string status_message;
  std::vector<Event> events;
  std::vector<Link> links;

  // C++20 destroying delete (defined in pool.h): consumers keep writing `delete r`, and a pooled record goes back
  // to its pool, not yet destroyed, instead of to malloc.
  void operator delete(SpanRecord* r, std::destroying_delete_t);

  // Empties what the next start does not overwrite, on the consumer's thread, keeping small buffers' capacity.
  // attrs stays filled: the next start copy-assigns its template's attributes over it, reusing the strings.
  void recycle() {
    constexpr size_t kKeepAttrs = 16;
    constexpr size_t kKeepChars = 256;
    if (attrs.capacity() > kKeepAttrs) {
      std::vector<Attr>().swap(attrs);
    } else {
      for (Attr& a : attrs) {
        if (a.s.capacity() > kKeepChars) std::string().swap(a.s);
      }
    }
    for (std::string* s : {&name_text, &trace_state, &status_message}) {
      if (s->capacity() > kKeepChars) std::string().swap(*s);
      else s->clear();
    }
    if (events.capacity() > 4) std::vector<Event>().swap(events);
    else events.clear();
    if (links.capacity() > 4) std::vector<Link>().swap(links);
    else links.clear();
    status = StatusCode::Unset;
    dropped_attrs = 0;
    dropped_events = 0;
    dropped_links = 0;
  }
};

}  // namespace oneagent

// SpanRecord's destroying delete lives with the pool; included here so every `delete` of a record sees it.
#include "pool.h"
