// The WebAssembly engine's binding: one extern "C" export per function of the Addon interface (src/internal/addon.ts),
// over the same engine, encoder and export sources as the native addon, for src/internal/wasmAddon.ts to call. No
// Node-API, no threads, no registry: one engine per instance, exported on the calling thread (engine_id is 0).
//
// Numbers cross as i32 / f64 / i64, already coerced by the adapter as Node-API coerces them. Strings cross as UTF-8
// in a scratch region of this memory (ow_scratch), cut here to their limit in code points by the native rule, so a
// cut string is the same on both engines. Attribute and resource lists are serialized there by the adapter (see
// Reader). The counters and the published ids live in this memory (ow_counters, ow_ids): the adapter copies them to
// and from the arrays the TypeScript side passed to engine_init around each call that changes them.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "../encoder.h"
#include "../engine.h"
#include "../export.h"
#include "../status.h"
#include "../values.h"

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {
using namespace oneagent;

std::shared_ptr<Engine> g_engine;
uint32_t g_init_count = 0;
std::unique_ptr<BatchSource> g_source;
Batch g_batch;    // the last batch taken, read by the adapter before its next call
std::string g_out;  // other variable-length results (open spans, the version)
double g_counters[kCounterCount];
int32_t g_ids[kIdsCount];
double g_state[2];  // export_state's result
uint8_t* g_scratch = nullptr;
size_t g_scratch_size = 0;

// A string the adapter wrote into the scratch region, cut to `limit` code points.
std::string_view scratch_string(size_t offset, size_t length, size_t limit, bool* truncated = nullptr) {
  bool cut = false;
  const char* s = reinterpret_cast<const char*>(g_scratch) + offset;
  std::string_view out(s, utf8_prefix(s, length, limit, &cut));
  if (truncated != nullptr) *truncated = cut;
  return out;
}

// Reads what the adapter serialized into the scratch region, little-endian and unaligned: u32, f64, i64, u8, and
// strings as a u32 byte length and the UTF-8 bytes.
struct Reader {
  const uint8_t* p = g_scratch;
  uint32_t u32() { uint32_t v; memcpy(&v, p, 4); p += 4; return v; }
  double f64() { double v; memcpy(&v, p, 8); p += 8; return v; }
  int64_t i64() { int64_t v; memcpy(&v, p, 8); p += 8; return v; }
  uint8_t u8() { return *p++; }
  std::string_view str(size_t limit, bool* truncated = nullptr) {
    const uint32_t n = u32();
    const char* s = reinterpret_cast<const char*>(p);
    p += n;
    bool cut = false;
    std::string_view out(s, utf8_prefix(s, n, limit, &cut));
    if (truncated != nullptr) *truncated = cut;
    return out;
  }
};

// Value types of a serialized attribute (the adapter skips values of any other type, as read_attr_value does).
enum ValueType : uint8_t { kString = 0, kNumber = 1, kBigInt = 2, kBool = 3 };

// Reads a value of `type` into attr (a string cut to `limit`, 0 meaning kLimitDefault).
void read_value(Reader& r, uint8_t type, size_t limit, Attr& attr, bool* truncated) {
  attr.i = 0;
  *truncated = false;
  switch (type) {
    case kString:
      attr.type = AttrType::String;
      attr.s = r.str(limit == 0 ? size_t{kLimitDefault} : limit, truncated);
      break;
    case kNumber:
      set_number(attr, r.f64());
      break;
    case kBigInt:
      attr.type = AttrType::Int;
      attr.i = r.i64();
      break;
    default:
      attr.type = AttrType::Bool;
      attr.b = r.u8() != 0;
  }
}

// Reads a serialized [key, value, limit, ...] list: u32 count, then per attribute u8 type, u32 limit, the key, the
// value. A cut value adds the truncation marker (args.h's read_attributes).
void read_attributes(Reader& r, Engine& engine, std::vector<Attr>& out) {
  const uint32_t count = r.u32();
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t type = r.u8();
    const uint32_t limit = r.u32();
    Attr attr;
    attr.key = engine.intern(r.str(kLimitDefault));
    bool truncated;
    read_value(r, type, limit, attr, &truncated);
    out.push_back(std::move(attr));
    if (truncated) out.push_back(truncation_marker(engine, out.back().key));
  }
}

// Adds an attribute to a span, or with custom to its service call, marking a cut value (span_bindings.cc).
int32_t add_attribute(uint32_t handle, Attr&& attr, bool truncated, uint32_t custom) {
  Engine& engine = *g_engine;
  const uint32_t key = attr.key;
  const int32_t status =
      custom ? engine.service_attr(handle, std::move(attr)) : engine.add_attr(handle, std::move(attr));
  if (status == kOk && truncated) {
    Attr marker = truncation_marker(engine, key);
    custom ? engine.service_attr(handle, std::move(marker)) : engine.add_attr(handle, std::move(marker));
  }
  return status;
}

Attr keyed(uint32_t key) {
  Attr attr;
  attr.key = key;
  attr.i = 0;
  return attr;
}

}  // namespace

// ---- memory shared with the adapter ----

/** The scratch region, grown to at least `size` bytes: its address (it moves when it grows). */
EXPORT(ow_scratch) uint8_t* ow_scratch(uint32_t size) {
  if (size > g_scratch_size) {
    auto* grown = static_cast<uint8_t*>(realloc(g_scratch, size));
    if (grown == nullptr) __builtin_trap();  // as operator new does (new.cc): the adapter turns the engine off
    g_scratch = grown;
    g_scratch_size = size;
  }
  return g_scratch;
}
/** Where the engine keeps its counters (Counter) and the ids it publishes (IdsSlot), and how many of each. */
EXPORT(ow_counters) double* ow_counters() { return g_counters; }
EXPORT(ow_ids) int32_t* ow_ids() { return g_ids; }
EXPORT(ow_counter_count) uint32_t ow_counter_count() { return kCounterCount; }
EXPORT(ow_ids_count) uint32_t ow_ids_count() { return kIdsCount; }
/** export_state's [waiting, dropped], as two f64. */
EXPORT(ow_state) double* ow_state() { return g_state; }
/** The last variable-length result (open spans, the version): its address; its length is the call's result. */
EXPORT(ow_out) const char* ow_out() { return g_out.data(); }
/** The last batch taken: its protobuf or JSON bytes, and its OTLP/JSON copy (empty when none was asked for). */
EXPORT(ow_batch) const char* ow_batch() { return g_batch.bytes.data(); }
EXPORT(ow_batch_length) uint32_t ow_batch_length() { return static_cast<uint32_t>(g_batch.bytes.size()); }
EXPORT(ow_batch_json) const char* ow_batch_json() { return g_batch.json.data(); }
EXPORT(ow_batch_json_length) uint32_t ow_batch_json_length() { return static_cast<uint32_t>(g_batch.json.size()); }

// ---- lifecycle and shared tables (engine_bindings.cc) ----

/** "<version> <source hash>" into ow_out: its length. The ABI version is ow_abi's. */
EXPORT(ow_engine_version) int32_t ow_engine_version() {
  g_out = ENGINE_VERSION " " ENGINE_SOURCE_HASH;
  return static_cast<int32_t>(g_out.size());
}
EXPORT(ow_abi) int32_t ow_abi() { return kAbiVersion; }

/**
 * (ringCapacity, sampleRatio, maxAttributes, notParentBased) → 0, 2 already, -1 refused (a ring capacity that is
 * not 0 or an integer from 1 to 4,194,304; the adapter refuses malformed shared arrays and a ring of another type).
 * The counters continue from the values the adapter copied in, as the native engine continues the array it gets.
 */
EXPORT(ow_engine_init)
int32_t ow_engine_init(double ring, double ratio, uint32_t max_attributes, uint32_t not_parent_based) {
  if (g_engine) {
    g_init_count++;
    return 2;
  }
  if (!(ring >= 0 && ring <= kMaxRingCapacity) || std::trunc(ring) != ring) return kRefused;
  EngineOptions options;
  if (ring > 0) options.ring_capacity = static_cast<uint32_t>(ring);
  options.sample_ratio = ratio;
  if (max_attributes > 0) options.max_attributes = max_attributes;
  options.parent_based = not_parent_based == 0;
  g_engine = std::make_shared<Engine>(options, g_counters, g_ids);
  g_init_count = 1;
  return kOk;
}

/** Releases one initialisation; the last one drops the engine and its consumer. The remaining count. */
EXPORT(ow_engine_shutdown) int32_t ow_engine_shutdown() {
  if (!g_engine) return 0;
  if (--g_init_count > 0) return static_cast<int32_t>(g_init_count);
  g_source.reset();
  g_batch = Batch();
  g_engine.reset();
  return 0;
}

/** (length of the string in scratch) → its id, 0 when the table is full or there is no engine. */
EXPORT(ow_intern) int32_t ow_intern(uint32_t length) {
  if (!g_engine) return 0;
  const uint32_t id = g_engine->intern(scratch_string(0, length, kLimitDefault));
  return id == UINT32_MAX ? 0 : static_cast<int32_t>(id);
}

/** (kind, flags), scratch: the name, the attribute list → template id, or a negative status. */
EXPORT(ow_template_create) int32_t ow_template_create(uint32_t kind, uint32_t flags) {
  if (!g_engine) return kShutDown;
  Reader r;
  SpanTemplate t;
  t.name = g_engine->intern(r.str(kLimitDefault));
  t.kind = kind >= 1 && kind <= 5 ? static_cast<SpanKind>(kind) : SpanKind::Internal;
  t.flags = flags;
  read_attributes(r, *g_engine, t.attrs);
  return g_engine->template_create(std::move(t));
}

/** Open spans into ow_out, oldest first: per span u32 handle, u32 name length, i64 startNs, the name. Its length. */
EXPORT(ow_spans_open) int32_t ow_spans_open() {
  g_out.clear();
  if (!g_engine) return 0;
  g_engine->for_each_open([&](uint32_t handle, SpanSlot& slot) {
    if (slot.ended) return;
    const std::string& name = g_engine->strings().get(slot.name);
    const uint32_t length = static_cast<uint32_t>(name.size());
    char head[16];
    memcpy(head, &handle, 4);
    memcpy(head + 4, &length, 4);
    memcpy(head + 8, &slot.start_ns, 8);
    g_out.append(head, 16);
    g_out.append(name);
  });
  return static_cast<int32_t>(g_out.size());
}

// ---- spans (span_bindings.cc) ----

/** (parent, template, sampledRoot) → handle, 0 when not created by rule, or a negative status. */
EXPORT(ow_span_start) int32_t ow_span_start(uint32_t parent, uint32_t template_id, uint32_t sampled_root) {
  if (!g_engine) return kShutDown;
  if (parent == 0 && sampled_root == 1) return g_engine->start_sampled_root(template_id);
  return g_engine->start(parent, nullptr, std::string_view(), template_id);
}

/**
 * (parent, template, tag length, tag kind, tracestate length), scratch: the tag (kind 0 a string, 1 binary bytes,
 * 2 neither: it does not parse), then the tracestate → handle. A tag that does not parse starts a new trace, noted.
 */
EXPORT(ow_span_start_tagged)
int32_t ow_span_start_tagged(uint32_t parent, uint32_t template_id, uint32_t tag_length, uint32_t tag_kind,
                             uint32_t state_length) {
  if (!g_engine) return kShutDown;
  TraceContext remote;
  bool parsed = false;
  if (tag_kind == 1) {
    parsed = parse_binary_tag(g_scratch, tag_length, remote);
  } else if (tag_kind == 0) {
    const std::string_view tag = scratch_string(0, tag_length, 128);
    parsed = parse_traceparent(tag.data(), tag.size(), remote);
  }
  const std::string_view state = scratch_string(tag_length, state_length, 512);
  const int32_t handle =
      g_engine->start(parent, parsed ? &remote : nullptr, parsed ? state : std::string_view(), template_id);
  if (!parsed && handle >= 0) g_engine->note(kBadTag);
  return handle;
}

EXPORT(ow_span_end) int32_t ow_span_end(uint32_t handle) { return g_engine ? g_engine->end(handle) : kShutDown; }

/** Attributes, one export per value type: (handle, key id, value, ...; custom 1: the span's service call). */
EXPORT(ow_attr_number) int32_t ow_attr_number(uint32_t handle, uint32_t key, double value, uint32_t custom) {
  if (!g_engine) return kShutDown;
  Attr attr = keyed(key);
  set_number(attr, value);
  return add_attribute(handle, std::move(attr), false, custom);
}
EXPORT(ow_attr_bigint) int32_t ow_attr_bigint(uint32_t handle, uint32_t key, int64_t value, uint32_t custom) {
  if (!g_engine) return kShutDown;
  Attr attr = keyed(key);
  attr.type = AttrType::Int;
  attr.i = value;
  return add_attribute(handle, std::move(attr), false, custom);
}
EXPORT(ow_attr_bool) int32_t ow_attr_bool(uint32_t handle, uint32_t key, uint32_t value, uint32_t custom) {
  if (!g_engine) return kShutDown;
  Attr attr = keyed(key);
  attr.type = AttrType::Bool;
  attr.b = value != 0;
  return add_attribute(handle, std::move(attr), false, custom);
}
/** (handle, key id, length of the value in scratch, limit (0: the default), custom). */
EXPORT(ow_attr_string)
int32_t ow_attr_string(uint32_t handle, uint32_t key, uint32_t length, uint32_t limit, uint32_t custom) {
  if (!g_engine) return kShutDown;
  Attr attr = keyed(key);
  attr.type = AttrType::String;
  bool truncated;
  attr.s = scratch_string(0, length, limit == 0 ? size_t{kLimitDefault} : limit, &truncated);
  return add_attribute(handle, std::move(attr), truncated, custom);
}
/** A value of no attribute type: nothing is recorded (the TypeScript side validates types). */
EXPORT(ow_attr_none) int32_t ow_attr_none() { return g_engine ? kOk : kShutDown; }

/** (handle, type length, message length, stack length), scratch: the three strings back to back. */
EXPORT(ow_span_fail) int32_t ow_span_fail(uint32_t handle, uint32_t type_length, uint32_t message_length,
                                          uint32_t stack_length) {
  if (!g_engine) return kShutDown;
  std::string type(scratch_string(0, type_length, kLimitDefault));
  std::string message(scratch_string(type_length, message_length, kLimitLong));
  std::string stack(scratch_string(type_length + message_length, stack_length, 4 * kLimitLong));
  return g_engine->fail(handle, std::move(type), std::move(message), std::move(stack));
}

/** (handle, code 0|1|2, message length). */
EXPORT(ow_span_status) int32_t ow_span_status(uint32_t handle, uint32_t code, uint32_t length) {
  if (!g_engine) return kShutDown;
  if (code > 2) code = 2;
  std::string message(scratch_string(0, length, kLimitLong));
  return g_engine->set_status(handle, static_cast<StatusCode>(code), std::move(message));
}

/** (handle, name length). */
EXPORT(ow_span_name) int32_t ow_span_name(uint32_t handle, uint32_t length) {
  if (!g_engine) return kShutDown;
  return g_engine->set_name(handle, std::string(scratch_string(0, length, kLimitDefault)));
}

/** (handle, time ns, 0: now), scratch: the name, the attribute list. */
EXPORT(ow_span_event) int32_t ow_span_event(uint32_t handle, int64_t time_ns) {
  if (!g_engine) return kShutDown;
  Reader r;
  Event event;
  event.name = g_engine->intern(r.str(kLimitDefault));
  event.time_ns = time_ns > 0 ? time_ns : IdGenerator::clock_ns();
  read_attributes(r, *g_engine, event.attrs);
  return g_engine->add_event(handle, std::move(event));
}

/** (handle), scratch: the traceparent, the attribute list. */
EXPORT(ow_span_link) int32_t ow_span_link(uint32_t handle) {
  if (!g_engine) return kShutDown;
  Reader r;
  const std::string_view tag = r.str(128);
  TraceContext ctx;
  if (!parse_traceparent(tag.data(), tag.size(), ctx)) return kBadTag;
  Link link;
  link.trace_id = ctx.trace_id;
  link.span_id = ctx.span_id;
  link.flags = ctx.flags;
  read_attributes(r, *g_engine, link.attrs);
  return g_engine->add_link(handle, std::move(link));
}

/** The traceparent of an open span into scratch: 55, or a negative status. */
EXPORT(ow_span_tag) int32_t ow_span_tag(uint32_t handle) {
  if (!g_engine) return kShutDown;
  TraceContext ctx;
  const int32_t status = g_engine->context(handle, ctx);
  if (status != kOk) return status;
  format_traceparent(ctx, reinterpret_cast<char*>(g_scratch));
  return static_cast<int32_t>(kTraceparentLength);
}

/** The binary tag of an open span into scratch: 29, or a negative status. */
EXPORT(ow_span_tag_bytes) int32_t ow_span_tag_bytes(uint32_t handle) {
  if (!g_engine) return kShutDown;
  TraceContext ctx;
  const int32_t status = g_engine->context(handle, ctx);
  if (status != kOk) return status;
  format_binary_tag(ctx, g_scratch);
  return static_cast<int32_t>(kBinaryTagLength);
}

/** Publishes the context of a new unsampled root: 0, or kShutDown. */
EXPORT(ow_unsampled_root) int32_t ow_unsampled_root() {
  if (!g_engine) return kShutDown;
  g_engine->unsampled_root();
  return kOk;
}

/** A new span id as 16 hex digits into scratch: 16, or kShutDown. */
EXPORT(ow_span_id_hex) int32_t ow_span_id_hex() {
  if (!g_engine) return kShutDown;
  write_hex(reinterpret_cast<char*>(g_scratch), g_engine->new_span_id());
  return 16;
}

// ---- the export: the consumer side, on the calling thread (export_bindings.cc) ----

/**
 * (engineId (0: this instance's own), format 0 protobuf | 1 json | 2 neither, resource well-formed, jsonCopy),
 * scratch: u32 count, per entry u8 type, the key, the value; then the scope name and version → 0, kRefused, or
 * kShutDown when no such engine runs (any id but 0: an instance has no registry).
 */
EXPORT(ow_export_open) int32_t ow_export_open(uint32_t engine_id, uint32_t format, uint32_t resource_ok,
                                              uint32_t json_copy) {
  if (engine_id != 0 || !g_engine) return kShutDown;
  if (format > 1 || !resource_ok) return kRefused;
  EncoderConfig config;
  config.format = format == 1 ? ExportFormat::Json : ExportFormat::Protobuf;
  Reader r;
  const uint32_t count = r.u32();
  for (uint32_t i = 0; i < count; ++i) {
    ResourceAttr attr;
    const uint8_t type = r.u8();
    attr.key = r.str(kLimitDefault);
    attr.value.key = 0;
    bool truncated;
    read_value(r, type, kLimitLong, attr.value, &truncated);
    config.resource.push_back(std::move(attr));
  }
  config.scope_name = r.str(kLimitDefault);
  config.scope_version = r.str(kLimitDefault);
  g_source = std::make_unique<BatchSource>(g_engine, std::move(config), json_copy != 0);
  return kOk;
}

EXPORT(ow_export_close) int32_t ow_export_close() {
  g_source.reset();
  g_batch = Batch();
  return kOk;
}

/** (maxSpans (0: 512), maxBytes (< 1: no bound)) → the spans of the batch taken into ow_batch, 0 when none waits. */
EXPORT(ow_export_take) int32_t ow_export_take(uint32_t max_spans, double max_bytes) {
  g_batch.bytes.clear();
  g_batch.json.clear();
  if (g_source == nullptr) return 0;
  const double most = static_cast<double>(std::numeric_limits<size_t>::max());
  g_batch = g_source->take(max_spans == 0 ? 512 : max_spans,
                           max_bytes >= 1 && max_bytes < most ? static_cast<size_t>(max_bytes)
                                                              : std::numeric_limits<size_t>::max());
  return static_cast<int32_t>(g_batch.spans);
}

/** (count) → 0, kNotStarted without a consumer. */
EXPORT(ow_export_settle) int32_t ow_export_settle(double count) {
  if (g_source == nullptr) return kNotStarted;
  // (Clamped: a float-to-integer conversion out of range is undefined, and may trap in WebAssembly.)
  if (count >= 1) g_source->settle(count < 1.8446744073709552e19 ? static_cast<uint64_t>(count) : UINT64_MAX);
  return kOk;
}

/** [waiting, dropped] into ow_state; [0, 0] without a consumer. */
EXPORT(ow_export_state) void ow_export_state() {
  g_state[0] = g_source == nullptr ? 0 : static_cast<double>(g_source->waiting());
  g_state[1] = g_source == nullptr ? 0 : static_cast<double>(g_source->dropped());
}
