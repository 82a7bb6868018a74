// Shared by the fuzz harnesses: a check that aborts (so libFuzzer keeps the input), strict UTF-8 validation,
// a strict JSON parser, a strict protobuf reader for the OTLP messages the encoder writes, and the expected
// (decoded) form of SpanRecords, so encoded output can be decoded independently and compared field by field.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../native/encoder.h"
#include "../native/intern.h"
#include "../native/span.h"

[[noreturn]] inline void fuzz_check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", what, file, line);
  std::abort();
}

// An expression, so it also works inside comma expressions.
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_check_failed(#cond, __FILE__, __LINE__))

namespace fz {

using namespace oneagent;

// ---- UTF-8 ----

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

// Code points of valid UTF-8: every byte that is not a continuation byte starts one.
inline size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Arbitrary bytes made valid UTF-8 (each invalid byte becomes U+FFFD), as every string that reaches the engine
// is: N-API converts JS strings with replacement, and the engine cuts them on code point boundaries only.
inline std::string sanitize_utf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    if (i + len <= s.size() && valid_utf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      append_utf8(out, 0xFFFD);
      ++i;
    }
  }
  return out;
}

// ---- JSON (RFC 8259, strict) ----

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool boolean = false;
  std::string text;  // a string's decoded value, or a number's literal
  std::vector<Json> items;         // an array's elements, or an object's member values
  std::vector<std::string> names;  // an object's member names, in order

  const Json* get(std::string_view key) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == key) return &items[i];
    }
    return nullptr;
  }
  const Json& at(std::string_view key) const {
    const Json* v = get(key);
    if (v == nullptr) std::fprintf(stderr, "missing JSON member \"%.*s\"\n", static_cast<int>(key.size()), key.data());
    FUZZ_CHECK(v != nullptr);
    return *v;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  // The whole input as one value; nullptr-free: any syntax error aborts with the position.
  Json parse() {
    Json v = value(0);
    ws();
    expect(pos_ == s_.size(), "trailing characters");
    return v;
  }

 private:
  void expect(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "invalid JSON (%s) at %zu of %zu: ...%.*s...\n", what, pos_, s_.size(),
                 static_cast<int>(std::min<size_t>(60, s_.size() - std::min(pos_, s_.size()))),
                 s_.data() + std::min(pos_, s_.size()));
    std::abort();
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  char peek() { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void literal(const char* word) {
    size_t n = std::strlen(word);
    expect(s_.substr(pos_, n) == word, "bad literal");
    pos_ += n;
  }
  Json value(int depth) {
    expect(depth < 64, "too deep");
    ws();
    Json v;
    char c = peek();
    if (c == '{') {
      v.type = Json::Object;
      ++pos_;
      ws();
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      while (true) {
        ws();
        expect(peek() == '"', "member name");
        std::string key = string();
        expect(v.get(key) == nullptr, "duplicate member name");
        ws();
        expect(peek() == ':', "colon");
        ++pos_;
        v.names.push_back(std::move(key));
        v.items.push_back(value(depth + 1));
        ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect(peek() == '}', "object end");
        ++pos_;
        return v;
      }
    }
    if (c == '[') {
      v.type = Json::Array;
      ++pos_;
      ws();
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      while (true) {
        v.items.push_back(value(depth + 1));
        ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect(peek() == ']', "array end");
        ++pos_;
        return v;
      }
    }
    if (c == '"') {
      v.type = Json::String;
      v.text = string();
      return v;
    }
    if (c == 't') {
      literal("true");
      v.type = Json::Bool;
      v.boolean = true;
      return v;
    }
    if (c == 'f') {
      literal("false");
      v.type = Json::Bool;
      return v;
    }
    if (c == 'n') {
      literal("null");
      return v;
    }
    v.type = Json::Number;
    v.text = number();
    return v;
  }
  std::string number() {
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    expect(peek() >= '0' && peek() <= '9', "digit");
    if (peek() == '0') {
      ++pos_;
    } else {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == '.') {
      ++pos_;
      expect(peek() >= '0' && peek() <= '9', "fraction digit");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      expect(peek() >= '0' && peek() <= '9', "exponent digit");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }
  uint32_t hex4() {
    expect(pos_ + 4 <= s_.size(), "short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      expect(d >= 0, "hex digit");
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    return v;
  }
  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    size_t run = pos_;
    while (true) {
      expect(pos_ < s_.size(), "unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out.append(s_.substr(run, pos_ - run));
        ++pos_;
        break;
      }
      expect(c >= 0x20, "raw control character in string");
      if (c != '\\') {
        ++pos_;
        continue;
      }
      out.append(s_.substr(run, pos_ - run));
      ++pos_;
      expect(pos_ < s_.size(), "escape at end");
      char e = s_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            expect(s_.substr(pos_, 2) == "\\u", "lead surrogate escape without its trail");
            pos_ += 2;
            uint32_t trail = hex4();
            expect(trail >= 0xDC00 && trail <= 0xDFFF, "bad trail surrogate escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (trail - 0xDC00);
          } else {
            expect(cp < 0xDC00 || cp > 0xDFFF, "lone trail surrogate escape");
          }
          append_utf8(out, cp);
          break;
        }
        default: expect(false, "unknown escape");
      }
      run = pos_;
    }
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---- protobuf (strict reader) ----

class PbReader {
 public:
  PbReader(std::string_view bytes) : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}
  bool done() const { return p_ == end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      FUZZ_CHECK(p_ < end_);
      uint8_t b = *p_++;
      if (i == 9) FUZZ_CHECK(b <= 1);  // a 64-bit varint has one bit left in its tenth byte
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    FUZZ_CHECK(false);
    return 0;
  }
  // The next field's number and wire type.
  std::pair<uint32_t, uint32_t> field() {
    uint64_t key = varint();
    FUZZ_CHECK((key >> 3) >= 1 && (key >> 3) < (1u << 29));
    return {static_cast<uint32_t>(key >> 3), static_cast<uint32_t>(key & 7)};
  }
  std::string_view bytes() {
    uint64_t n = varint();
    FUZZ_CHECK(n <= static_cast<uint64_t>(end_ - p_));  // length-delimited fields fit in their parent
    std::string_view out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }
  uint64_t fixed64() {
    FUZZ_CHECK(end_ - p_ >= 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    return v;
  }
  uint32_t fixed32() {
    FUZZ_CHECK(end_ - p_ >= 4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p_[i]) << (8 * i);
    p_ += 4;
    return v;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

enum : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// ---- the decoded form of a request, and what a SpanRecord should decode to ----

struct Value {
  AttrType type = AttrType::String;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;
};

struct KeyValues {
  std::string key;
  std::vector<Value> values;
  bool array = false;
};

struct DEvent {
  uint64_t time = 0;
  std::string name;
  std::vector<KeyValues> attrs;
};

struct DLink {
  std::string trace_id, span_id;
  std::vector<KeyValues> attrs;
  uint32_t flags = 0;
};

struct DSpan {
  std::string trace_id, span_id, parent_span_id, trace_state, name;
  uint32_t kind = 0;
  uint64_t start = 0, end = 0;
  std::vector<KeyValues> attrs;
  uint32_t dropped_attrs = 0;
  std::vector<DEvent> events;
  uint32_t dropped_events = 0;
  std::vector<DLink> links;
  uint32_t dropped_links = 0;
  std::string status_message;
  uint32_t status_code = 0;
  uint32_t flags = 0;
};

struct DRequest {
  std::vector<KeyValues> resource;
  std::string scope_name, scope_version;
  std::vector<DSpan> spans;
};

inline std::string raw_trace_id(const TraceId& id) {
  uint8_t b[16];
  store_be64(b, id.hi);
  store_be64(b + 8, id.lo);
  return std::string(reinterpret_cast<char*>(b), 16);
}

inline std::string raw_span_id(uint64_t id) {
  uint8_t b[8];
  store_be64(b, id);
  return std::string(reinterpret_cast<char*>(b), 8);
}

inline Value value_of(const Attr& a) {
  Value v;
  v.type = a.type;
  switch (a.type) {
    case AttrType::String: v.s = a.s; break;
    case AttrType::Int: v.i = a.i; break;
    case AttrType::Double: v.d = a.d; break;
    case AttrType::Bool: v.b = a.b; break;
  }
  return v;
}

// Repeated keys become one entry with every value in order (written here independently of the encoder).
inline std::vector<KeyValues> expected_attrs(const std::vector<Attr>& attrs, const InternTable& strings) {
  std::vector<KeyValues> out;
  std::vector<uint32_t> keys;
  for (const Attr& a : attrs) {
    size_t i = 0;
    while (i < keys.size() && keys[i] != a.key) ++i;
    if (i == keys.size()) {
      keys.push_back(a.key);
      out.push_back(KeyValues{strings.get(a.key), {}, false});
    }
    out[i].values.push_back(value_of(a));
  }
  for (auto& kv : out) kv.array = kv.values.size() > 1;
  return out;
}

inline DSpan expected_span(const SpanRecord& r, const InternTable& strings) {
  DSpan s;
  s.trace_id = raw_trace_id(r.trace_id);
  s.span_id = raw_span_id(r.span_id);
  if (r.parent_span_id != 0) s.parent_span_id = raw_span_id(r.parent_span_id);
  s.trace_state = r.trace_state;
  s.name = r.name_text.empty() ? strings.get(r.name) : r.name_text;
  s.kind = static_cast<uint32_t>(r.kind);
  s.start = static_cast<uint64_t>(r.start_ns);
  s.end = static_cast<uint64_t>(r.end_ns);
  s.attrs = expected_attrs(r.attrs, strings);
  s.dropped_attrs = r.dropped_attrs;
  for (const Event& e : r.events) s.events.push_back(DEvent{static_cast<uint64_t>(e.time_ns), strings.get(e.name), expected_attrs(e.attrs, strings)});
  s.dropped_events = r.dropped_events;
  for (const Link& l : r.links) {
    s.links.push_back(DLink{raw_trace_id(l.trace_id), raw_span_id(l.span_id), expected_attrs(l.attrs, strings), l.flags});
  }
  s.dropped_links = r.dropped_links;
  s.status_message = r.status_message;
  s.status_code = static_cast<uint32_t>(r.status);
  s.flags = r.flags;
  return s;
}

inline void check_same_value(const Value& a, const Value& b) {
  FUZZ_CHECK(a.type == b.type);
  switch (a.type) {
    case AttrType::String: FUZZ_CHECK(a.s == b.s); break;
    case AttrType::Int: FUZZ_CHECK(a.i == b.i); break;
    case AttrType::Bool: FUZZ_CHECK(a.b == b.b); break;
    case AttrType::Double:
      FUZZ_CHECK((std::isnan(a.d) && std::isnan(b.d)) || std::memcmp(&a.d, &b.d, sizeof a.d) == 0);
      break;
  }
}

inline void check_same_attrs(const std::vector<KeyValues>& a, const std::vector<KeyValues>& b) {
  FUZZ_CHECK(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    FUZZ_CHECK(a[i].key == b[i].key);
    FUZZ_CHECK(a[i].array == b[i].array);
    FUZZ_CHECK(a[i].values.size() == b[i].values.size());
    for (size_t k = 0; k < a[i].values.size(); ++k) check_same_value(a[i].values[k], b[i].values[k]);
    for (size_t k = 0; k < i; ++k) FUZZ_CHECK(a[k].key != a[i].key);  // OTLP forbids repeated keys
  }
}

inline void check_same_span(const DSpan& a, const DSpan& b) {
  FUZZ_CHECK(a.trace_id == b.trace_id);
  FUZZ_CHECK(a.span_id == b.span_id);
  FUZZ_CHECK(a.parent_span_id == b.parent_span_id);
  FUZZ_CHECK(a.trace_state == b.trace_state);
  FUZZ_CHECK(a.name == b.name);
  FUZZ_CHECK(a.kind == b.kind);
  FUZZ_CHECK(a.start == b.start);
  FUZZ_CHECK(a.end == b.end);
  check_same_attrs(a.attrs, b.attrs);
  FUZZ_CHECK(a.dropped_attrs == b.dropped_attrs);
  FUZZ_CHECK(a.events.size() == b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    FUZZ_CHECK(a.events[i].time == b.events[i].time);
    FUZZ_CHECK(a.events[i].name == b.events[i].name);
    check_same_attrs(a.events[i].attrs, b.events[i].attrs);
  }
  FUZZ_CHECK(a.dropped_events == b.dropped_events);
  FUZZ_CHECK(a.links.size() == b.links.size());
  for (size_t i = 0; i < a.links.size(); ++i) {
    FUZZ_CHECK(a.links[i].trace_id == b.links[i].trace_id);
    FUZZ_CHECK(a.links[i].span_id == b.links[i].span_id);
    FUZZ_CHECK(a.links[i].flags == b.links[i].flags);
    check_same_attrs(a.links[i].attrs, b.links[i].attrs);
  }
  FUZZ_CHECK(a.dropped_links == b.dropped_links);
  FUZZ_CHECK(a.status_message == b.status_message);
  FUZZ_CHECK(a.status_code == b.status_code);
  FUZZ_CHECK(a.flags == b.flags);
}

// ---- protobuf decoding of an ExportTraceServiceRequest; unknown fields and wrong wire types abort ----

inline void pb_string(PbReader& r, uint32_t wire, std::string& out, bool utf8) {
  FUZZ_CHECK(wire == kLen);
  out = std::string(r.bytes());
  if (utf8) FUZZ_CHECK(valid_utf8(out));  // proto3 `string` fields must be UTF-8, or receivers reject the batch
}

// One AnyValue; an ArrayValue's elements go to *array (which is null where arrays cannot appear).
inline Value pb_any(std::string_view bytes, bool utf8, std::vector<Value>* array, bool* is_array = nullptr) {
  PbReader r(bytes);
  Value v;
  int fields = 0;
  while (!r.done()) {
    auto [field, wire] = r.field();
    ++fields;
    switch (field) {
      case 1: v.type = AttrType::String; pb_string(r, wire, v.s, utf8); break;
      case 2: FUZZ_CHECK(wire == kVarint); v.type = AttrType::Bool; { uint64_t b = r.varint(); FUZZ_CHECK(b <= 1); v.b = b == 1; } break;
      case 3: FUZZ_CHECK(wire == kVarint); v.type = AttrType::Int; v.i = static_cast<int64_t>(r.varint()); break;
      case 4: {
        FUZZ_CHECK(wire == kFixed64);
        v.type = AttrType::Double;
        uint64_t bits = r.fixed64();
        std::memcpy(&v.d, &bits, sizeof bits);
        break;
      }
      case 5: {
        FUZZ_CHECK(wire == kLen && array != nullptr && is_array != nullptr);
        *is_array = true;
        PbReader a(r.bytes());
        while (!a.done()) {
          auto [f, w] = a.field();
          FUZZ_CHECK(f == 1 && w == kLen);
          array->push_back(pb_any(a.bytes(), utf8, nullptr));
        }
        break;
      }
      default: FUZZ_CHECK(false);
    }
  }
  FUZZ_CHECK(fields == 1);  // exactly one member of the oneof, even for zero values
  return v;
}

// The singular fields of one message seen so far. The encoder writes each at most once: a second copy is legal
// protobuf, but receivers would keep the last scalar or merge the messages, which is never what a record says.
struct Seen {
  uint64_t bits = 0;
  void once(uint32_t field) {
    FUZZ_CHECK(field < 64);
    if (bits >> field & 1) std::fprintf(stderr, "protobuf field %u written twice\n", field);
    FUZZ_CHECK((bits >> field & 1) == 0);
    bits |= uint64_t{1} << field;
  }
  bool has(uint32_t field) const { return field < 64 && (bits >> field & 1); }
};

// A uint32 count (dropped_*_count) or an enum (SpanKind, StatusCode) in [1, max]: proto3 leaves zero out, as the
// encoder does, so a present value is non-zero; a wider varint would be truncated by a receiver.
inline uint32_t pb_uint32(PbReader& r, uint32_t wire, uint64_t max = UINT32_MAX) {
  FUZZ_CHECK(wire == kVarint);
  uint64_t v = r.varint();
  FUZZ_CHECK(v != 0 && v <= max);
  return static_cast<uint32_t>(v);
}

inline KeyValues pb_key_value(std::string_view bytes, bool utf8) {
  PbReader r(bytes);
  KeyValues kv;
  int values = 0;
  Seen seen;
  while (!r.done()) {
    auto [field, wire] = r.field();
    if (field == 1) {
      seen.once(1);
      pb_string(r, wire, kv.key, utf8);
    } else {
      FUZZ_CHECK(field == 2 && wire == kLen);
      ++values;
      std::vector<Value> array;
      bool is_array = false;
      Value v = pb_any(r.bytes(), utf8, &array, &is_array);
      if (is_array) {
        kv.array = true;
        kv.values = std::move(array);
      } else {
        kv.values.push_back(std::move(v));
      }
    }
  }
  FUZZ_CHECK(values == 1);
  if (kv.array) FUZZ_CHECK(kv.values.size() >= 2);
  return kv;
}

// opentelemetry.proto.trace.v1.Span.Event: time_unix_nano 1, name 2, attributes 3 (dropped_attributes_count 4 is
// never written: events keep every attribute they are given).
inline DEvent pb_event(std::string_view bytes, bool utf8) {
  PbReader e(bytes);
  DEvent ev;
  Seen seen;
  while (!e.done()) {
    auto [f, w] = e.field();
    if (f != 3) seen.once(f);
    switch (f) {
      case 1: FUZZ_CHECK(w == kFixed64); ev.time = e.fixed64(); break;
      case 2: pb_string(e, w, ev.name, utf8); break;
      case 3: FUZZ_CHECK(w == kLen); ev.attrs.push_back(pb_key_value(e.bytes(), utf8)); break;
      default: FUZZ_CHECK(false);
    }
  }
  FUZZ_CHECK(seen.has(1));  // written even when 0
  return ev;
}

// Span.Link: trace_id 1, span_id 2, attributes 4, flags 6 (trace_state 3 and dropped_attributes_count 5 are never
// written: a link record has neither).
inline DLink pb_link(std::string_view bytes, bool utf8) {
  PbReader l(bytes);
  DLink link;
  Seen seen;
  while (!l.done()) {
    auto [f, w] = l.field();
    if (f != 4) seen.once(f);
    switch (f) {
      case 1: pb_string(l, w, link.trace_id, false); FUZZ_CHECK(link.trace_id.size() == 16); break;
      case 2: pb_string(l, w, link.span_id, false); FUZZ_CHECK(link.span_id.size() == 8); break;
      case 4: FUZZ_CHECK(w == kLen); link.attrs.push_back(pb_key_value(l.bytes(), utf8)); break;
      case 6: FUZZ_CHECK(w == kFixed32); link.flags = l.fixed32(); break;
      default: FUZZ_CHECK(false);
    }
  }
  FUZZ_CHECK(seen.has(1) && seen.has(2) && seen.has(6));
  return link;
}

// Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9,
// dropped_attributes_count 10, events 11, dropped_events_count 12, links 13, dropped_links_count 14, status 15,
// flags 16. Every field of the proto is known here; the encoder must write each the way the record says.
inline DSpan pb_span(std::string_view bytes, bool utf8) {
  PbReader r(bytes);
  DSpan s;
  Seen seen;
  while (!r.done()) {
    auto [field, wire] = r.field();
    if (field != 9 && field != 11 && field != 13) seen.once(field);  // the repeated ones may recur
    switch (field) {
      case 1: pb_string(r, wire, s.trace_id, false); FUZZ_CHECK(s.trace_id.size() == 16); break;
      case 2: pb_string(r, wire, s.span_id, false); FUZZ_CHECK(s.span_id.size() == 8); break;
      case 3: pb_string(r, wire, s.trace_state, utf8); FUZZ_CHECK(!s.trace_state.empty()); break;
      case 4: pb_string(r, wire, s.parent_span_id, false); FUZZ_CHECK(s.parent_span_id.size() == 8); break;
      case 5: pb_string(r, wire, s.name, utf8); FUZZ_CHECK(!s.name.empty()); break;
      case 6: s.kind = pb_uint32(r, wire, 5); break;  // SPAN_KIND_INTERNAL 1 .. SPAN_KIND_CONSUMER 5
      case 7: FUZZ_CHECK(wire == kFixed64); s.start = r.fixed64(); break;
      case 8: FUZZ_CHECK(wire == kFixed64); s.end = r.fixed64(); break;
      case 9: FUZZ_CHECK(wire == kLen); s.attrs.push_back(pb_key_value(r.bytes(), utf8)); break;
      case 10: s.dropped_attrs = pb_uint32(r, wire); break;
      case 11: FUZZ_CHECK(wire == kLen); s.events.push_back(pb_event(r.bytes(), utf8)); break;
      case 12: s.dropped_events = pb_uint32(r, wire); break;
      case 13: FUZZ_CHECK(wire == kLen); s.links.push_back(pb_link(r.bytes(), utf8)); break;
      case 14: s.dropped_links = pb_uint32(r, wire); break;
      case 15: {
        // Status: message 2, code 3 (field 1, deprecated_code, is never written).
        FUZZ_CHECK(wire == kLen);
        PbReader st(r.bytes());
        Seen st_seen;
        while (!st.done()) {
          auto [f, w] = st.field();
          st_seen.once(f);
          if (f == 2) pb_string(st, w, s.status_message, utf8), FUZZ_CHECK(!s.status_message.empty());
          else FUZZ_CHECK(f == 3), s.status_code = pb_uint32(st, w, 2);  // STATUS_CODE_OK 1, STATUS_CODE_ERROR 2
        }
        break;
      }
      case 16: FUZZ_CHECK(wire == kFixed32); s.flags = r.fixed32(); break;
      default:
        std::fprintf(stderr, "unknown Span field %u (wire type %u)\n", field, wire);
        FUZZ_CHECK(false);
    }
  }
  // Always written: the ids, both times (fixed64, even when 0), the status (possibly empty) and the flags.
  FUZZ_CHECK(seen.has(1) && seen.has(2) && seen.has(7) && seen.has(8) && seen.has(15) && seen.has(16));
  return s;
}

// Decodes one request with exactly one ResourceSpans holding one Resource and one ScopeSpans, which holds one
// InstrumentationScope, as the encoder writes them (schema_url, the scope's attributes and the dropped counts of
// Resource and scope are never written).
inline DRequest pb_request(std::string_view bytes, bool utf8) {
  DRequest out;
  PbReader r(bytes);
  int resource_spans = 0;
  while (!r.done()) {
    auto [field, wire] = r.field();
    FUZZ_CHECK(field == 1 && wire == kLen);
    ++resource_spans;
    PbReader rs(r.bytes());
    int resources = 0, scope_spans = 0;
    while (!rs.done()) {
      auto [f, w] = rs.field();
      FUZZ_CHECK(w == kLen);
      if (f == 1) {
        ++resources;
        PbReader res(rs.bytes());
        while (!res.done()) {
          auto [rf, rw] = res.field();
          FUZZ_CHECK(rf == 1 && rw == kLen);
          out.resource.push_back(pb_key_value(res.bytes(), utf8));
        }
      } else {
        FUZZ_CHECK(f == 2);
        ++scope_spans;
        PbReader ss(rs.bytes());
        int scopes = 0;
        while (!ss.done()) {
          auto [sf, sw] = ss.field();
          FUZZ_CHECK(sw == kLen);
          if (sf == 1) {
            ++scopes;
            PbReader scope(ss.bytes());
            Seen seen;
            while (!scope.done()) {
              auto [cf, cw] = scope.field();
              seen.once(cf);
              if (cf == 1) pb_string(scope, cw, out.scope_name, utf8);
              else FUZZ_CHECK(cf == 2), pb_string(scope, cw, out.scope_version, utf8);
            }
          } else {
            FUZZ_CHECK(sf == 2);
            out.spans.push_back(pb_span(ss.bytes(), utf8));
          }
        }
        FUZZ_CHECK(scopes == 1);  // written even when name and version are empty
      }
    }
    FUZZ_CHECK(resources == 1 && scope_spans == 1);
  }
  FUZZ_CHECK(resource_spans == 1);
  return out;
}

// ---- OTLP/JSON decoding ----

inline std::string json_hex_id(const Json& j, size_t bytes) {
  FUZZ_CHECK(j.type == Json::String && j.text.size() == bytes * 2);
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    auto nib = [](char c) {
      FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));  // lower-case hex, as OTLP/JSON asks
      return c <= '9' ? c - '0' : c - 'a' + 10;
    };
    out.push_back(static_cast<char>(nib(j.text[2 * i]) << 4 | nib(j.text[2 * i + 1])));
  }
  return out;
}

inline uint64_t json_int64_string(const Json& j) {
  FUZZ_CHECK(j.type == Json::String);
  const std::string& t = j.text;
  FUZZ_CHECK(!t.empty() && t.size() <= 20);
  size_t i = t[0] == '-' ? 1 : 0;
  FUZZ_CHECK(i < t.size());
  uint64_t magnitude = 0;
  for (; i < t.size(); ++i) {
    FUZZ_CHECK(t[i] >= '0' && t[i] <= '9');
    FUZZ_CHECK(magnitude <= (UINT64_MAX - 9) / 10);
    magnitude = magnitude * 10 + static_cast<uint64_t>(t[i] - '0');
  }
  if (t[0] == '-') {
    FUZZ_CHECK(magnitude <= (uint64_t{1} << 63));
    return ~magnitude + 1;  // two's complement of the magnitude: the int64 as uint64
  }
  FUZZ_CHECK(magnitude <= static_cast<uint64_t>(INT64_MAX));
  return magnitude;
}

// A uint32 or an enum as a JSON number: digits only (no sign, fraction or exponent), at most UINT32_MAX.
inline uint32_t json_uint(const Json& j) {
  FUZZ_CHECK(j.type == Json::Number && !j.text.empty() && j.text.size() <= 10);
  uint64_t v = 0;
  for (char c : j.text) {
    FUZZ_CHECK(c >= '0' && c <= '9');
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  FUZZ_CHECK(v <= UINT32_MAX);
  return static_cast<uint32_t>(v);
}

// An object whose members are all among `allowed` (the ones the encoder writes there): a misspelt or new member
// aborts, so the checker cannot fall behind the encoder unnoticed.
inline void json_members(const Json& j, std::initializer_list<std::string_view> allowed) {
  FUZZ_CHECK(j.type == Json::Object);
  for (const std::string& member : j.names) {
    bool ok = false;
    for (std::string_view k : allowed) ok = ok || member == k;
    if (!ok) std::fprintf(stderr, "unexpected JSON member \"%s\"\n", member.c_str());
    FUZZ_CHECK(ok);
  }
}

inline Value json_any(const Json& j, bool allow_array, std::vector<Value>* array, bool* is_array = nullptr) {
  FUZZ_CHECK(j.type == Json::Object && j.names.size() == 1);
  const std::string& name = j.names[0];
  const Json& v = j.items[0];
  Value out;
  if (name == "stringValue") {
    FUZZ_CHECK(v.type == Json::String);
    out.type = AttrType::String;
    out.s = v.text;
  } else if (name == "boolValue") {
    FUZZ_CHECK(v.type == Json::Bool);
    out.type = AttrType::Bool;
    out.b = v.boolean;
  } else if (name == "intValue") {
    out.type = AttrType::Int;
    out.i = static_cast<int64_t>(json_int64_string(v));
  } else if (name == "doubleValue") {
    out.type = AttrType::Double;
    if (v.type == Json::String) {
      FUZZ_CHECK(v.text == "NaN" || v.text == "Infinity" || v.text == "-Infinity");
      out.d = v.text == "NaN" ? NAN : v.text == "Infinity" ? INFINITY : -INFINITY;
    } else {
      FUZZ_CHECK(v.type == Json::Number);
      char* end = nullptr;
      out.d = std::strtod(v.text.c_str(), &end);
      FUZZ_CHECK(*end == '\0');
    }
  } else {
    FUZZ_CHECK(name == "arrayValue" && allow_array && array != nullptr && is_array != nullptr);
    *is_array = true;
    FUZZ_CHECK(v.type == Json::Object && v.names.size() == 1);
    const Json& values = v.at("values");
    FUZZ_CHECK(values.type == Json::Array);
    for (const Json& item : values.items) array->push_back(json_any(item, false, nullptr));
  }
  return out;
}

inline std::vector<KeyValues> json_attrs(const Json* j) {
  std::vector<KeyValues> out;
  if (j == nullptr) return out;
  FUZZ_CHECK(j->type == Json::Array && !j->items.empty());  // written only when not empty
  for (const Json& item : j->items) {
    FUZZ_CHECK(item.type == Json::Object && item.names.size() == 2);
    KeyValues kv;
    const Json& key = item.at("key");
    FUZZ_CHECK(key.type == Json::String);
    kv.key = key.text;
    std::vector<Value> array;
    bool is_array = false;
    Value v = json_any(item.at("value"), true, &array, &is_array);
    if (is_array) {
      FUZZ_CHECK(array.size() >= 2);
      kv.array = true;
      kv.values = std::move(array);
    } else {
      kv.values.push_back(std::move(v));
    }
    out.push_back(std::move(kv));
  }
  return out;
}

inline DSpan json_span(const Json& j) {
  json_members(j, {"traceId", "spanId", "traceState", "parentSpanId", "flags", "name", "kind", "startTimeUnixNano",
                   "endTimeUnixNano", "attributes", "droppedAttributesCount", "events", "droppedEventsCount", "links",
                   "droppedLinksCount", "status"});
  DSpan s;
  s.trace_id = json_hex_id(j.at("traceId"), 16);
  s.span_id = json_hex_id(j.at("spanId"), 8);
  if (const Json* ts = j.get("traceState")) FUZZ_CHECK(ts->type == Json::String && !ts->text.empty()), s.trace_state = ts->text;
  if (const Json* p = j.get("parentSpanId")) s.parent_span_id = json_hex_id(*p, 8);
  s.flags = json_uint(j.at("flags"));
  const Json& name = j.at("name");
  FUZZ_CHECK(name.type == Json::String);
  s.name = name.text;
  s.kind = json_uint(j.at("kind"));
  FUZZ_CHECK(s.kind >= 1 && s.kind <= 5);
  s.start = json_int64_string(j.at("startTimeUnixNano"));
  s.end = json_int64_string(j.at("endTimeUnixNano"));
  s.attrs = json_attrs(j.get("attributes"));
  if (const Json* d = j.get("droppedAttributesCount")) s.dropped_attrs = json_uint(*d), FUZZ_CHECK(s.dropped_attrs != 0);
  if (const Json* events = j.get("events")) {
    FUZZ_CHECK(events->type == Json::Array && !events->items.empty());
    for (const Json& e : events->items) {
      json_members(e, {"timeUnixNano", "name", "attributes"});
      DEvent ev;
      ev.time = json_int64_string(e.at("timeUnixNano"));
      FUZZ_CHECK(e.at("name").type == Json::String);
      ev.name = e.at("name").text;
      ev.attrs = json_attrs(e.get("attributes"));
      s.events.push_back(std::move(ev));
    }
  }
  if (const Json* d = j.get("droppedEventsCount")) s.dropped_events = json_uint(*d), FUZZ_CHECK(s.dropped_events != 0);
  if (const Json* links = j.get("links")) {
    FUZZ_CHECK(links->type == Json::Array && !links->items.empty());
    for (const Json& l : links->items) {
      json_members(l, {"traceId", "spanId", "attributes", "flags"});
      DLink link;
      link.trace_id = json_hex_id(l.at("traceId"), 16);
      link.span_id = json_hex_id(l.at("spanId"), 8);
      link.attrs = json_attrs(l.get("attributes"));
      link.flags = json_uint(l.at("flags"));
      s.links.push_back(std::move(link));
    }
  }
  if (const Json* d = j.get("droppedLinksCount")) s.dropped_links = json_uint(*d), FUZZ_CHECK(s.dropped_links != 0);
  const Json& status = j.at("status");
  json_members(status, {"message", "code"});
  if (const Json* m = status.get("message")) FUZZ_CHECK(m->type == Json::String && !m->text.empty()), s.status_message = m->text;
  if (const Json* c = status.get("code")) s.status_code = json_uint(*c), FUZZ_CHECK(s.status_code == 1 || s.status_code == 2);
  return s;
}

inline DRequest json_request(std::string_view text) {
  FUZZ_CHECK(valid_utf8(text));
  FUZZ_CHECK(text.find('\n') == std::string_view::npos);  // one request per line of the traces file
  Json root = JsonParser(text).parse();
  FUZZ_CHECK(root.type == Json::Object && root.names.size() == 1);
  const Json& rs = root.at("resourceSpans");
  FUZZ_CHECK(rs.type == Json::Array && rs.items.size() == 1);
  const Json& first = rs.items[0];
  json_members(first, {"resource", "scopeSpans"});
  DRequest out;
  const Json& resource = first.at("resource");
  json_members(resource, {"attributes"});
  const Json& attrs = resource.at("attributes");
  FUZZ_CHECK(attrs.type == Json::Array);
  if (!attrs.items.empty()) out.resource = json_attrs(&attrs);
  const Json& ss = first.at("scopeSpans");
  FUZZ_CHECK(ss.type == Json::Array && ss.items.size() == 1);
  json_members(ss.items[0], {"scope", "spans"});
  const Json& scope = ss.items[0].at("scope");
  json_members(scope, {"name", "version"});
  FUZZ_CHECK(scope.at("name").type == Json::String && scope.at("version").type == Json::String);
  out.scope_name = scope.at("name").text;
  out.scope_version = scope.at("version").text;
  const Json& spans = ss.items[0].at("spans");
  FUZZ_CHECK(spans.type == Json::Array);
  for (const Json& s : spans.items) out.spans.push_back(json_span(s));
  return out;
}

// Checks a request (either format) against the resource, scope and spans it should hold.
inline void check_request(std::string_view bytes, ExportFormat format, const EncoderConfig& config,
                          const std::vector<DSpan>& expected) {
  DRequest got = format == ExportFormat::Protobuf ? pb_request(bytes, true) : json_request(bytes);
  FUZZ_CHECK(got.scope_name == config.scope_name);
  FUZZ_CHECK(got.scope_version == config.scope_version);
  FUZZ_CHECK(got.resource.size() == config.resource.size());
  for (size_t i = 0; i < got.resource.size(); ++i) {
    FUZZ_CHECK(got.resource[i].key == config.resource[i].key);
    FUZZ_CHECK(!got.resource[i].array && got.resource[i].values.size() == 1);
    check_same_value(got.resource[i].values[0], value_of(config.resource[i].value));
  }
  FUZZ_CHECK(got.spans.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) check_same_span(got.spans[i], expected[i]);
}

// ---- reading fuzz input ----

// A small cursor over the fuzz input; reads past the end give zeros, so every input is a valid program.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ >= end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (static_cast<uint32_t>(u16()) << 16); }
  uint64_t u64() { return u32() | (static_cast<uint64_t>(u32()) << 32); }
  double f64() {
    uint64_t bits = u64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  // Up to max bytes, the length taken from the input.
  std::string bytes(size_t max) {
    size_t n = std::min<size_t>(u8() % (max + 1), left());
    std::string out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }
  // Valid UTF-8 text, sometimes long enough for multi-byte length varints and escapes.
  std::string text(size_t max) {
    uint8_t mode = u8();
    if (mode % 16 == 0) return std::string(u16() % 300 + 1, static_cast<char>(u8() % 0x20));  // control characters
    if (mode % 16 == 1) {
      std::string out;
      uint32_t cp = 0x10000 + u16();  // astral: 4 bytes each
      for (uint8_t n = u8(); n > 0; --n) append_utf8(out, cp);
      return out;
    }
    return sanitize_utf8(bytes(max));
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace fz
