#include "encoder.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

namespace oneagent {

namespace {

// Field numbers from opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1).
enum : uint32_t {
  kRequestResourceSpans = 1,
  kResourceSpansResource = 1, kResourceSpansScopeSpans = 2,
  kResourceAttributes = 1,
  kScopeSpansScope = 1, kScopeSpansSpans = 2,
  kScopeName = 1, kScopeVersion = 2,
  kSpanTraceId = 1, kSpanSpanId = 2, kSpanTraceState = 3, kSpanParentSpanId = 4, kSpanName = 5, kSpanKind = 6,
  kSpanStart = 7, kSpanEnd = 8, kSpanAttributes = 9, kSpanDroppedAttributes = 10, kSpanEvents = 11,
  kSpanDroppedEvents = 12, kSpanLinks = 13, kSpanDroppedLinks = 14, kSpanStatus = 15, kSpanFlags = 16,
  kEventTime = 1, kEventName = 2, kEventAttributes = 3,
  kLinkTraceId = 1, kLinkSpanId = 2, kLinkAttributes = 4, kLinkFlags = 6,
  kStatusMessage = 2, kStatusCode = 3,
  kKeyValueKey = 1, kKeyValueValue = 2,
  kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5,
  kArrayValues = 1,
};
enum : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

using Group = std::vector<const Attr*>;

// Attributes with the same key become one KeyValue holding all values in order, so repeated custom request
// attributes survive (OTLP forbids duplicate keys). Lists are short (bounded by max_attributes), so O(n²) is fine.
template <typename F>
void for_each_key(const std::vector<Attr>& attrs, Group& group, F&& f) {
  for (size_t i = 0; i < attrs.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = attrs[j].key == attrs[i].key;
    if (seen) continue;
    group.clear();
    group.push_back(&attrs[i]);
    for (size_t j = i + 1; j < attrs.size(); ++j) {
      if (attrs[j].key == attrs[i].key) group.push_back(&attrs[j]);
    }
    f(attrs[i].key, group);
  }
}

// ---- protobuf wire format ----

constexpr size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

std::string_view span_name(const SpanRecord& r, const InternTable& strings) {
  return r.name_text.empty() ? std::string_view(strings.get(r.name)) : std::string_view(r.name_text);
}

// ---- sized first and written once ----
// A span is most of every request, so it is written in two passes without a single append: its exact size first
// (every nested length is known before it is written, so nothing is moved to widen a length), then its bytes through
// a pointer into room reserved for them. The resource and the scope are written the same way, once per consumer.

// A field with a one-byte tag (fields 1 to 15) and a length-delimited payload of n bytes.
constexpr size_t delimited(size_t n) { return 1 + varint_size(n) + n; }

inline void w_varint(char*& p, uint64_t v) {
  while (v >= 0x80) *p++ = static_cast<char>((v & 0x7F) | 0x80), v >>= 7;
  *p++ = static_cast<char>(v);
}

// Appends, for the request's two outer headers (BatchEncoder::take), whose lengths are known only then.
void varint(std::string& o, uint64_t v) {
  char buf[10];
  char* p = buf;
  w_varint(p, v);
  o.append(buf, static_cast<size_t>(p - buf));
}

void tag(std::string& o, uint32_t field, uint32_t wire) { varint(o, (field << 3) | wire); }

// The tag of a field below 16: one byte.
inline void w_tag(char*& p, uint32_t field, uint32_t wire) { *p++ = static_cast<char>((field << 3) | wire); }

inline void w_delimited(char*& p, uint32_t field, size_t n) {
  w_tag(p, field, kLengthDelimited);
  w_varint(p, n);
}

inline void w_bytes(char*& p, uint32_t field, const void* data, size_t n) {
  w_delimited(p, field, n);
  std::memcpy(p, data, n);
  p += n;
}

inline void w_string(char*& p, uint32_t field, std::string_view s) {
  if (!s.empty()) w_bytes(p, field, s.data(), s.size());
}

inline void w_le64(char*& p, uint64_t v) {
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(v >> (8 * i));
}

inline void w_le32(char*& p, uint32_t v) {
  for (int i = 0; i < 4; ++i) *p++ = static_cast<char>(v >> (8 * i));
}

inline void w_uint(char*& p, uint32_t field, uint64_t v) {
  if (v == 0) return;
  w_tag(p, field, kVarint);
  w_varint(p, v);
}

inline size_t uint_size(uint64_t v) { return v == 0 ? 0 : 1 + varint_size(v); }
inline size_t string_size(std::string_view s) { return s.empty() ? 0 : delimited(s.size()); }

inline void w_id16(char*& p, uint32_t field, const TraceId& id) {
  w_tag(p, field, kLengthDelimited);
  *p++ = 16;
  store_be64(reinterpret_cast<uint8_t*>(p), id.hi);
  store_be64(reinterpret_cast<uint8_t*>(p) + 8, id.lo);
  p += 16;
}

inline void w_id8(char*& p, uint32_t field, uint64_t id) {
  w_tag(p, field, kLengthDelimited);
  *p++ = 8;
  store_be64(reinterpret_cast<uint8_t*>(p), id);
  p += 8;
}

// AnyValue's body.
inline size_t any_body(const Attr& a) {
  switch (a.type) {
    case AttrType::String: return delimited(a.s.size());
    case AttrType::Bool: return 2;
    case AttrType::Int: return 1 + varint_size(static_cast<uint64_t>(a.i));
    case AttrType::Double: return 9;
  }
  return 0;
}

inline void w_any(char*& p, uint32_t field, const Attr& a) {
  w_delimited(p, field, any_body(a));
  switch (a.type) {
    case AttrType::String:
      w_bytes(p, kAnyString, a.s.data(), a.s.size());
      break;
    case AttrType::Bool:
      w_tag(p, kAnyBool, kVarint);
      *p++ = a.b ? 1 : 0;
      break;
    case AttrType::Int:
      w_tag(p, kAnyInt, kVarint);
      w_varint(p, static_cast<uint64_t>(a.i));
      break;
    case AttrType::Double: {
      uint64_t bits;
      std::memcpy(&bits, &a.d, sizeof bits);
      w_tag(p, kAnyDouble, kFixed64);
      w_le64(p, bits);
      break;
    }
  }
}

// Whether two attributes share a key (then they are written as one KeyValue with an array value, for_each_key).
inline bool repeats_key(const std::vector<Attr>& attrs) {
  for (size_t i = 1; i < attrs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (attrs[j].key == attrs[i].key) return true;
    }
  }
  return false;
}

// The body of a KeyValue, and the array value inside it when there are several values.
inline size_t array_body(const Group& values) {
  size_t n = 0;
  for (const Attr* a : values) n += delimited(any_body(*a));
  return n;
}

inline size_t kv_body(std::string_view key, const Group& values) {
  const size_t value = values.size() == 1 ? any_body(*values[0]) : delimited(array_body(values));
  return string_size(key) + delimited(value);
}

inline size_t kv_body(std::string_view key, const Attr& a) { return string_size(key) + delimited(any_body(a)); }

inline void w_kv(char*& p, uint32_t field, std::string_view key, const Attr& a) {
  w_delimited(p, field, kv_body(key, a));
  w_string(p, kKeyValueKey, key);
  w_any(p, kKeyValueValue, a);
}

inline void w_kv(char*& p, uint32_t field, std::string_view key, const Group& values) {
  if (values.size() == 1) return w_kv(p, field, key, *values[0]);
  w_delimited(p, field, kv_body(key, values));
  w_string(p, kKeyValueKey, key);
  const size_t array = array_body(values);
  w_delimited(p, kKeyValueValue, delimited(array));
  w_delimited(p, kAnyArray, array);
  for (const Attr* a : values) w_any(p, kArrayValues, *a);
}

// Every KeyValue of a list, each a field `field`: the size, then the bytes.
size_t attrs_size(const std::vector<Attr>& attrs, const InternTable& strings, Group& g) {
  size_t n = 0;
  if (!repeats_key(attrs)) {
    for (const Attr& a : attrs) n += delimited(kv_body(strings.get(a.key), a));
    return n;
  }
  for_each_key(attrs, g, [&](uint32_t key, const Group& values) { n += delimited(kv_body(strings.get(key), values)); });
  return n;
}

void w_attrs(char*& p, uint32_t field, const std::vector<Attr>& attrs, const InternTable& strings, Group& g) {
  if (!repeats_key(attrs)) {
    for (const Attr& a : attrs) w_kv(p, field, strings.get(a.key), a);
    return;
  }
  for_each_key(attrs, g, [&](uint32_t key, const Group& values) { w_kv(p, field, strings.get(key), values); });
}

inline size_t event_body(const Event& e, const InternTable& strings, Group& g) {
  return 9 + string_size(strings.get(e.name)) + attrs_size(e.attrs, strings, g);
}

inline size_t link_body(const Link& l, const InternTable& strings, Group& g) {
  return 18 + 10 + attrs_size(l.attrs, strings, g) + 5;
}

inline size_t status_body(const SpanRecord& r) {
  return string_size(r.status_message) + uint_size(static_cast<uint64_t>(r.status));
}

// The body of a Span message: everything between its length and its end.
size_t span_body(const SpanRecord& r, const InternTable& strings, Group& g) {
  size_t n = 18 + 10 + string_size(r.trace_state) + (r.parent_span_id != 0 ? 10 : 0) +
             string_size(span_name(r, strings)) + uint_size(static_cast<uint64_t>(r.kind)) + 9 + 9 +
             attrs_size(r.attrs, strings, g) + uint_size(r.dropped_attrs) + uint_size(r.dropped_events) +
             uint_size(r.dropped_links) + delimited(status_body(r)) + 6;  // flags: field 16, a two-byte tag
  for (const Event& e : r.events) n += delimited(event_body(e, strings, g));
  for (const Link& l : r.links) n += delimited(link_body(l, strings, g));
  return n;
}

// Writes the Span message (field kScopeSpansSpans) whose body is `body` bytes; p must have room for all of it.
void w_span(char*& p, const SpanRecord& r, size_t body, const InternTable& strings, Group& g) {
  w_delimited(p, kScopeSpansSpans, body);
  w_id16(p, kSpanTraceId, r.trace_id);
  w_id8(p, kSpanSpanId, r.span_id);
  w_string(p, kSpanTraceState, r.trace_state);
  if (r.parent_span_id != 0) w_id8(p, kSpanParentSpanId, r.parent_span_id);
  w_string(p, kSpanName, span_name(r, strings));
  w_uint(p, kSpanKind, static_cast<uint64_t>(r.kind));
  w_tag(p, kSpanStart, kFixed64);
  w_le64(p, static_cast<uint64_t>(r.start_ns));
  w_tag(p, kSpanEnd, kFixed64);
  w_le64(p, static_cast<uint64_t>(r.end_ns));
  w_attrs(p, kSpanAttributes, r.attrs, strings, g);
  w_uint(p, kSpanDroppedAttributes, r.dropped_attrs);
  for (const Event& e : r.events) {
    w_delimited(p, kSpanEvents, event_body(e, strings, g));
    w_tag(p, kEventTime, kFixed64);
    w_le64(p, static_cast<uint64_t>(e.time_ns));
    w_string(p, kEventName, strings.get(e.name));
    w_attrs(p, kEventAttributes, e.attrs, strings, g);
  }
  w_uint(p, kSpanDroppedEvents, r.dropped_events);
  for (const Link& l : r.links) {
    w_delimited(p, kSpanLinks, link_body(l, strings, g));
    w_id16(p, kLinkTraceId, l.trace_id);
    w_id8(p, kLinkSpanId, l.span_id);
    w_attrs(p, kLinkAttributes, l.attrs, strings, g);
    w_tag(p, kLinkFlags, kFixed32);
    w_le32(p, l.flags);
  }
  w_uint(p, kSpanDroppedLinks, r.dropped_links);
  w_delimited(p, kSpanStatus, status_body(r));
  w_string(p, kStatusMessage, r.status_message);
  w_uint(p, kStatusCode, static_cast<uint64_t>(r.status));
  // Only the W3C flags: the is-remote bits stay unset because the record does not know whether the parent was remote.
  w_varint(p, (kSpanFlags << 3) | kFixed32);
  w_le32(p, r.flags);
}

// ---- OTLP/JSON ----

void json_string(std::string& o, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  o.push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0xE2) continue;
    if (c == 0xE2) {
      // U+2028 and U+2029 are valid in JSON strings, but line readers (node:readline, editors) split lines at them:
      // escaped, each batch stays one line of the file.
      if (i + 2 >= s.size() || static_cast<unsigned char>(s[i + 1]) != 0x80 ||
          (static_cast<unsigned char>(s[i + 2]) & 0xFE) != 0xA8) {
        continue;
      }
      o.append(s.data() + run, i - run);
      o.append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += 2;
      run = i + 1;
      continue;
    }
    o.append(s.data() + run, i - run);
    run = i + 1;
    o.push_back('\\');
    switch (c) {
      case '"': o.push_back('"'); break;
      case '\\': o.push_back('\\'); break;
      case '\n': o.push_back('n'); break;
      case '\r': o.push_back('r'); break;
      case '\t': o.push_back('t'); break;
      case '\b': o.push_back('b'); break;
      case '\f': o.push_back('f'); break;
      default:
        o.append("u00");
        o.push_back(hex[c >> 4]);
        o.push_back(hex[c & 0xF]);
    }
  }
  o.append(s.data() + run, s.size() - run);
  o.push_back('"');
}

template <typename T>
void json_number(std::string& o, T v) {
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, result.ptr);
}

// proto3 JSON writes 64-bit integers as strings, because JSON numbers lose precision past 2^53.
template <typename T>
void json_int64_string(std::string& o, T v) {
  o.push_back('"');
  json_number(o, v);
  o.push_back('"');
}

void json_hex_trace(std::string& o, const TraceId& id) {
  char buf[34];
  buf[0] = buf[33] = '"';
  write_hex(buf + 1, id.hi);
  write_hex(buf + 17, id.lo);
  o.append(buf, 34);
}

void json_hex_span(std::string& o, uint64_t id) {
  char buf[18];
  buf[0] = buf[17] = '"';
  write_hex(buf + 1, id);
  o.append(buf, 18);
}

void json_any(std::string& o, const Attr& a) {
  switch (a.type) {
    case AttrType::String:
      o.append("{\"stringValue\":");
      json_string(o, a.s);
      break;
    case AttrType::Bool:
      o.append(a.b ? "{\"boolValue\":true" : "{\"boolValue\":false");
      break;
    case AttrType::Int:
      o.append("{\"intValue\":");
      json_int64_string(o, a.i);
      break;
    case AttrType::Double:
      o.append("{\"doubleValue\":");
      // JSON has no NaN or Infinity; the proto3 JSON mapping spells them as these strings.
      if (std::isnan(a.d)) o.append("\"NaN\"");
      else if (std::isinf(a.d)) o.append(a.d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      else json_number(o, a.d);
      break;
  }
  o.push_back('}');
}

void json_key_value(std::string& o, std::string_view key, const Group& values) {
  o.append("{\"key\":");
  json_string(o, key);
  o.append(",\"value\":");
  if (values.size() == 1) {
    json_any(o, *values[0]);
  } else {
    o.append("{\"arrayValue\":{\"values\":[");
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) o.push_back(',');
      json_any(o, *values[i]);
    }
    o.append("]}}");
  }
  o.push_back('}');
}

// Writes `,"attributes":[...]` (nothing when empty).
void json_attrs(std::string& o, const std::vector<Attr>& attrs, const InternTable& strings, Group& g) {
  if (attrs.empty()) return;
  o.append(",\"attributes\":[");
  bool first = true;
  for_each_key(attrs, g, [&](uint32_t key, const Group& values) {
    if (!first) o.push_back(',');
    first = false;
    json_key_value(o, strings.get(key), values);
  });
  o.push_back(']');
}

void json_field(std::string& o, const char* name) {
  o.append(",\"");
  o.append(name);
  o.append("\":");
}

// Writes `,"name":n` unless n is 0, as proto3 JSON leaves defaults out.
void json_count(std::string& o, const char* name, uint32_t n) {
  if (n == 0) return;
  json_field(o, name);
  json_number(o, n);
}

void json_span(std::string& o, const SpanRecord& r, const InternTable& strings, Group& g) {
  o.append("{\"traceId\":");
  json_hex_trace(o, r.trace_id);
  json_field(o, "spanId");
  json_hex_span(o, r.span_id);
  if (!r.trace_state.empty()) {
    json_field(o, "traceState");
    json_string(o, r.trace_state);
  }
  if (r.parent_span_id != 0) {
    json_field(o, "parentSpanId");
    json_hex_span(o, r.parent_span_id);
  }
  json_field(o, "flags");
  json_number(o, static_cast<uint32_t>(r.flags));
  json_field(o, "name");
  json_string(o, span_name(r, strings));
  json_field(o, "kind");
  json_number(o, static_cast<int>(r.kind));
  json_field(o, "startTimeUnixNano");
  json_int64_string(o, r.start_ns);
  json_field(o, "endTimeUnixNano");
  json_int64_string(o, r.end_ns);
  json_attrs(o, r.attrs, strings, g);
  json_count(o, "droppedAttributesCount", r.dropped_attrs);
  if (!r.events.empty()) {
    json_field(o, "events");
    o.push_back('[');
    for (size_t i = 0; i < r.events.size(); ++i) {
      const Event& e = r.events[i];
      if (i > 0) o.push_back(',');
      o.append("{\"timeUnixNano\":");
      json_int64_string(o, e.time_ns);
      json_field(o, "name");
      json_string(o, strings.get(e.name));
      json_attrs(o, e.attrs, strings, g);
      o.push_back('}');
    }
    o.push_back(']');
  }
  json_count(o, "droppedEventsCount", r.dropped_events);
  if (!r.links.empty()) {
    json_field(o, "links");
    o.push_back('[');
    for (size_t i = 0; i < r.links.size(); ++i) {
      const Link& l = r.links[i];
      if (i > 0) o.push_back(',');
      o.append("{\"traceId\":");
      json_hex_trace(o, l.trace_id);
      json_field(o, "spanId");
      json_hex_span(o, l.span_id);
      json_attrs(o, l.attrs, strings, g);
      json_field(o, "flags");
      json_number(o, static_cast<uint32_t>(l.flags));
      o.push_back('}');
    }
    o.push_back(']');
  }
  json_count(o, "droppedLinksCount", r.dropped_links);
  json_field(o, "status");
  o.push_back('{');
  bool has_message = !r.status_message.empty();
  if (has_message) {
    o.append("\"message\":");
    json_string(o, r.status_message);
  }
  if (r.status != StatusCode::Unset) {
    o.append(has_message ? ",\"code\":" : "\"code\":");
    json_number(o, static_cast<int>(r.status));
  }
  o.append("}}");
}

constexpr std::string_view kJsonTail = "]}]}]}";

}  // namespace

BatchEncoder::BatchEncoder(const InternTable& strings, EncoderConfig config)
    : strings_(strings), format_(config.format) {
  Group one(1);
  if (format_ == ExportFormat::Protobuf) {
    // Sized, then written in place, as the spans are.
    size_t attributes = 0;
    for (const ResourceAttr& a : config.resource) attributes += delimited(kv_body(a.key, a.value));
    resource_.resize(delimited(attributes));
    char* p = resource_.data();
    w_delimited(p, kResourceSpansResource, attributes);
    for (const ResourceAttr& a : config.resource) w_kv(p, kResourceAttributes, a.key, a.value);
    const size_t scope = string_size(config.scope_name) + string_size(config.scope_version);
    scope_.resize(delimited(scope));
    p = scope_.data();
    w_delimited(p, kScopeSpansScope, scope);
    w_string(p, kScopeName, config.scope_name);
    w_string(p, kScopeVersion, config.scope_version);
    return;
  }
  resource_ = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  for (size_t i = 0; i < config.resource.size(); ++i) {
    if (i > 0) resource_.push_back(',');
    one[0] = &config.resource[i].value;
    json_key_value(resource_, config.resource[i].key, one);
  }
  resource_.append("]},\"scopeSpans\":[{\"scope\":{\"name\":");
  json_string(resource_, config.scope_name);
  resource_.append(",\"version\":");
  json_string(resource_, config.scope_version);
  resource_.append("},\"spans\":[");
}

size_t BatchEncoder::request_size(size_t spans_bytes) const {
  if (format_ == ExportFormat::Json) return resource_.size() + spans_bytes + kJsonTail.size();
  size_t scope_spans = scope_.size() + spans_bytes;
  size_t resource_spans = resource_.size() + 1 + varint_size(scope_spans) + scope_spans;
  return 1 + varint_size(resource_spans) + resource_spans;
}

size_t BatchEncoder::stage(const SpanRecord& r) {
  if (format_ == ExportFormat::Protobuf) {
    // Written in place after the committed spans; a span staged before and not committed is replaced.
    spans_.resize(committed_);
    const size_t body = span_body(r, strings_, group_);
    const size_t size = delimited(body);
    spans_.resize(committed_ + size);
    char* p = spans_.data() + committed_;
    w_span(p, r, body, strings_, group_);
    has_staged_ = true;
    return request_size(spans_.size());
  }
  staged_.clear();
  json_span(staged_, r, strings_, group_);
  has_staged_ = true;
  bool comma = count_ > 0;
  return request_size(spans_.size() + (comma ? 1 : 0) + staged_.size());
}

void BatchEncoder::commit() {
  if (!has_staged_) return;
  if (format_ == ExportFormat::Protobuf) {
    committed_ = spans_.size();
  } else {
    if (count_ > 0) spans_.push_back(',');
    spans_.append(staged_);
  }
  has_staged_ = false;
  count_++;
}

std::string BatchEncoder::take(std::string buffer) {
  std::string out = std::move(buffer);
  out.clear();
  if (format_ == ExportFormat::Json) {
    out.reserve(request_size(spans_.size()));
    out.append(resource_).append(spans_).append(kJsonTail);
    spans_.clear();
  } else {
    const std::string_view spans(spans_.data(), committed_);
    out.reserve(request_size(spans.size()));
    size_t scope_spans = scope_.size() + spans.size();
    size_t resource_spans = resource_.size() + 1 + varint_size(scope_spans) + scope_spans;
    tag(out, kRequestResourceSpans, kLengthDelimited);
    varint(out, resource_spans);
    out.append(resource_);
    tag(out, kResourceSpansScopeSpans, kLengthDelimited);
    varint(out, scope_spans);
    out.append(scope_).append(spans);
    // A staged span stays, as the first of the next batch.
    spans_.erase(0, committed_);
    committed_ = 0;
  }
  count_ = 0;
  return out;
}

}  // namespace oneagent
