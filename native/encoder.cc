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

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

void put_varint(char* out, uint64_t v) {
  while (v >= 0x80) *out++ = static_cast<char>((v & 0x7F) | 0x80), v >>= 7;
  *out = static_cast<char>(v);
}

void varint(std::string& o, uint64_t v) {
  char buf[10];
  put_varint(buf, v);
  o.append(buf, varint_size(v));
}

void tag(std::string& o, uint32_t field, uint32_t wire) { varint(o, (field << 3) | wire); }

void fixed64(std::string& o, uint32_t field, uint64_t v) {
  tag(o, field, kFixed64);
  for (int i = 0; i < 8; ++i) o.push_back(static_cast<char>(v >> (8 * i)));
}

void fixed32(std::string& o, uint32_t field, uint32_t v) {
  tag(o, field, kFixed32);
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<char>(v >> (8 * i)));
}

void bytes(std::string& o, uint32_t field, const void* data, size_t n) {
  tag(o, field, kLengthDelimited);
  varint(o, n);
  o.append(static_cast<const char*>(data), n);
}

// proto3 leaves zeros and empty strings out; so do we, except inside a oneof where presence carries meaning.
void uint_field(std::string& o, uint32_t field, uint64_t v) {
  if (v == 0) return;
  tag(o, field, kVarint);
  varint(o, v);
}

void string(std::string& o, uint32_t field, std::string_view s) {
  if (!s.empty()) bytes(o, field, s.data(), s.size());
}

void trace_id(std::string& o, uint32_t field, const TraceId& id) {
  uint8_t buf[16];
  store_be64(buf, id.hi);
  store_be64(buf + 8, id.lo);
  bytes(o, field, buf, 16);
}

void span_id(std::string& o, uint32_t field, uint64_t id) {
  uint8_t buf[8];
  store_be64(buf, id);
  bytes(o, field, buf, 8);
}

// Nested messages reserve one length byte and widen it afterwards when the body is 128 bytes or more,
// which avoids sizing every message twice.
size_t open(std::string& o, uint32_t field) {
  tag(o, field, kLengthDelimited);
  o.push_back(0);
  return o.size();
}

void close(std::string& o, size_t body) {
  size_t length = o.size() - body;
  size_t width = varint_size(length);
  if (width > 1) o.insert(body, width - 1, '\0');
  put_varint(&o[body - 1], length);
}

void pb_any(std::string& o, uint32_t field, const Attr& a) {
  size_t m = open(o, field);
  switch (a.type) {
    case AttrType::String:
      bytes(o, kAnyString, a.s.data(), a.s.size());
      break;
    case AttrType::Bool:
      tag(o, kAnyBool, kVarint);
      varint(o, a.b ? 1 : 0);
      break;
    case AttrType::Int:
      tag(o, kAnyInt, kVarint);
      varint(o, static_cast<uint64_t>(a.i));
      break;
    case AttrType::Double: {
      uint64_t bits;
      std::memcpy(&bits, &a.d, sizeof bits);
      fixed64(o, kAnyDouble, bits);
      break;
    }
  }
  close(o, m);
}

void pb_key_value(std::string& o, uint32_t field, std::string_view key, const Group& values) {
  size_t kv = open(o, field);
  string(o, kKeyValueKey, key);
  if (values.size() == 1) {
    pb_any(o, kKeyValueValue, *values[0]);
  } else {
    size_t value = open(o, kKeyValueValue);
    size_t array = open(o, kAnyArray);
    for (const Attr* a : values) pb_any(o, kArrayValues, *a);
    close(o, array);
    close(o, value);
  }
  close(o, kv);
}

void pb_attrs(std::string& o, uint32_t field, const std::vector<Attr>& attrs, const InternTable& strings, Group& g) {
  for_each_key(attrs, g, [&](uint32_t key, const Group& values) { pb_key_value(o, field, strings.get(key), values); });
}

std::string_view span_name(const SpanRecord& r, const InternTable& strings) {
  return r.name_text.empty() ? std::string_view(strings.get(r.name)) : std::string_view(r.name_text);
}

void pb_span(std::string& o, const SpanRecord& r, const InternTable& strings, Group& g) {
  size_t span = open(o, kScopeSpansSpans);
  trace_id(o, kSpanTraceId, r.trace_id);
  span_id(o, kSpanSpanId, r.span_id);
  string(o, kSpanTraceState, r.trace_state);
  if (r.parent_span_id != 0) span_id(o, kSpanParentSpanId, r.parent_span_id);
  string(o, kSpanName, span_name(r, strings));
  uint_field(o, kSpanKind, static_cast<uint64_t>(r.kind));
  fixed64(o, kSpanStart, static_cast<uint64_t>(r.start_ns));
  fixed64(o, kSpanEnd, static_cast<uint64_t>(r.end_ns));
  pb_attrs(o, kSpanAttributes, r.attrs, strings, g);
  uint_field(o, kSpanDroppedAttributes, r.dropped_attrs);
  for (const Event& e : r.events) {
    size_t event = open(o, kSpanEvents);
    fixed64(o, kEventTime, static_cast<uint64_t>(e.time_ns));
    string(o, kEventName, strings.get(e.name));
    pb_attrs(o, kEventAttributes, e.attrs, strings, g);
    close(o, event);
  }
  uint_field(o, kSpanDroppedEvents, r.dropped_events);
  for (const Link& l : r.links) {
    size_t link = open(o, kSpanLinks);
    trace_id(o, kLinkTraceId, l.trace_id);
    span_id(o, kLinkSpanId, l.span_id);
    pb_attrs(o, kLinkAttributes, l.attrs, strings, g);
    fixed32(o, kLinkFlags, l.flags);
    close(o, link);
  }
  uint_field(o, kSpanDroppedLinks, r.dropped_links);
  size_t status = open(o, kSpanStatus);
  string(o, kStatusMessage, r.status_message);
  uint_field(o, kStatusCode, static_cast<uint64_t>(r.status));
  close(o, status);
  // Only the W3C flags: the is-remote bits stay unset because the record does not know whether the parent was remote.
  fixed32(o, kSpanFlags, r.flags);
  close(o, span);
}

// ---- OTLP/JSON ----

void json_string(std::string& o, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  o.push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
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
    size_t resource = open(resource_, kResourceSpansResource);
    for (const ResourceAttr& a : config.resource) {
      one[0] = &a.value;
      pb_key_value(resource_, kResourceAttributes, a.key, one);
    }
    close(resource_, resource);
    size_t scope = open(scope_, kScopeSpansScope);
    string(scope_, kScopeName, config.scope_name);
    string(scope_, kScopeVersion, config.scope_version);
    close(scope_, scope);
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
  staged_.clear();
  if (format_ == ExportFormat::Protobuf) pb_span(staged_, r, strings_, group_);
  else json_span(staged_, r, strings_, group_);
  has_staged_ = true;
  bool comma = format_ == ExportFormat::Json && count_ > 0;
  return request_size(spans_.size() + (comma ? 1 : 0) + staged_.size());
}

void BatchEncoder::commit() {
  if (!has_staged_) return;
  if (format_ == ExportFormat::Json && count_ > 0) spans_.push_back(',');
  spans_.append(staged_);
  has_staged_ = false;
  count_++;
}

std::string BatchEncoder::take(std::string buffer) {
  std::string out = std::move(buffer);
  out.clear();
  out.reserve(request_size(spans_.size()));
  if (format_ == ExportFormat::Json) {
    out.append(resource_).append(spans_).append(kJsonTail);
  } else {
    size_t scope_spans = scope_.size() + spans_.size();
    size_t resource_spans = resource_.size() + 1 + varint_size(scope_spans) + scope_spans;
    tag(out, kRequestResourceSpans, kLengthDelimited);
    varint(out, resource_spans);
    out.append(resource_);
    tag(out, kResourceSpansScopeSpans, kLengthDelimited);
    varint(out, scope_spans);
    out.append(scope_).append(spans_);
  }
  spans_.clear();
  count_ = 0;
  return out;
}

}  // namespace oneagent
