// The OTLP encoder on random span data, in both formats: SpanRecords built from the fuzz input are batched the
// way the export thread batches them (stage, commit while under the byte budget, take), and every request is
// decoded by an independent strict decoder (common.h) and compared field by field with the records. Also checks
// that the size stage() predicts is the size take() produces, and that JSON is valid UTF-8 on one line.
#include "common.h"

using namespace oneagent;

namespace {

Attr make_attr(fz::Input& in, uint32_t key_limit) {
  Attr a;
  a.key = key_limit == 0 ? 0 : in.u8() % key_limit;  // ids from intern(), so one id per distinct key
  a.i = 0;
  switch (in.u8() % 4) {
    case 0:
      a.type = AttrType::String;
      a.s = in.text(200);
      break;
    case 1:
      a.type = AttrType::Int;
      a.i = static_cast<int64_t>(in.u64());
      break;
    case 2: {
      a.type = AttrType::Double;
      static const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 5e-324, 1.7976931348623157e308, 0.1};
      uint8_t pick = in.u8();
      a.d = pick < 64 ? specials[pick % 8] : in.f64();
      break;
    }
    default:
      a.type = AttrType::Bool;
      a.b = in.u8() & 1;
  }
  return a;
}

std::vector<Attr> make_attrs(fz::Input& in, uint32_t key_limit, size_t max) {
  std::vector<Attr> out;
  for (size_t n = in.u8() % (max + 1); n > 0 && !in.empty(); --n) out.push_back(make_attr(in, key_limit));
  return out;
}

// The fields of an aggregate, counted (T{f, f, ...} with as many f as it has fields, as Boost.PFR does).
struct AnyField {
  template <typename T>
  operator T&() const;
};
template <typename T, typename... F>
constexpr size_t field_count() {
  if constexpr (requires { T{F{}..., AnyField{}}; }) return field_count<T, F..., AnyField>();
  else return sizeof...(F);
}

// make_record() fills every field of a record (but the pool's next_free and pool), event and link, and common.h
// (expected_span, the protobuf and JSON decoders) checks each one the encoder writes. A field added to span.h stops the build here until both know it:
// the engine harness met dropped_links_count in the encoder's output before this harness ever wrote one.
static_assert(field_count<SpanRecord>() == 20, "SpanRecord changed: fill the new field in make_record() and check it in common.h");
static_assert(field_count<Event>() == 3, "Event changed: fill the new field in make_record() and check it in common.h");
static_assert(field_count<Link>() == 4, "Link changed: fill the new field in make_record() and check it in common.h");

SpanRecord make_record(fz::Input& in, InternTable& strings) {
  const uint32_t keys = strings.size();
  SpanRecord r;
  r.trace_id.hi = in.u64();
  r.trace_id.lo = in.u64();
  r.span_id = in.u64();
  r.parent_span_id = in.u8() & 1 ? in.u64() : 0;
  r.flags = in.u8();
  r.kind = static_cast<SpanKind>(in.u8() % 5 + 1);
  r.status = static_cast<StatusCode>(in.u8() % 3);
  r.name = in.u8() % (keys + 2);  // sometimes beyond the table: reads as ""
  if (in.u8() % 4 == 0) r.name_text = in.text(300);
  r.start_ns = static_cast<int64_t>(in.u64());
  r.end_ns = static_cast<int64_t>(in.u64());
  if (in.u8() % 3 == 0) r.trace_state = in.text(100);
  if (in.u8() % 2 == 0) r.status_message = in.text(200);
  r.attrs = make_attrs(in, keys, 12);
  r.dropped_attrs = in.u8() % 4 == 0 ? in.u32() : 0;
  for (size_t n = in.u8() % 4; n > 0; --n) r.events.push_back(Event{in.u8() % keys, static_cast<int64_t>(in.u64()), make_attrs(in, keys, 4)});
  r.dropped_events = in.u8() % 4 == 0 ? in.u32() : 0;
  for (size_t n = in.u8() % 3; n > 0; --n) {
    Link l;
    l.trace_id = {in.u64(), in.u64()};
    l.span_id = in.u64();
    l.flags = in.u8();
    l.attrs = make_attrs(in, keys, 3);
    r.links.push_back(std::move(l));
  }
  r.dropped_links = in.u8() % 4 == 0 ? in.u32() : 0;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fz::Input in(data, size);
  InternTable strings;
  for (size_t n = in.u8() % 12; n > 0; --n) strings.intern(in.text(64));

  EncoderConfig config;
  config.scope_name = in.text(40);
  config.scope_version = in.text(20);
  for (size_t n = in.u8() % 5; n > 0; --n) {
    ResourceAttr ra;
    ra.key = in.text(30);
    ra.value = make_attr(in, 1);
    bool repeated = false;
    for (const auto& other : config.resource) repeated = repeated || other.key == ra.key;  // keys come from a Map
    if (!repeated) config.resource.push_back(std::move(ra));
  }
  const size_t max_bytes = 64 + in.u16() * 4;
  const uint32_t max_spans = in.u8() % 8 + 1;
  std::vector<SpanRecord> records;
  size_t count = in.u8() % 10 + 1;
  do records.push_back(make_record(in, strings));
  while (--count > 0 && !in.empty());

  for (ExportFormat format : {ExportFormat::Protobuf, ExportFormat::Json}) {
    EncoderConfig c = config;
    c.format = format;
    BatchEncoder encoder(strings, c);
    std::vector<fz::DSpan> batch;
    size_t predicted = 0, delivered = 0;
    bool known = true;  // whether `predicted` was computed against the batch as it is now
    const bool restage = in.u8() & 1;
    auto take = [&] {
      std::string request = encoder.take();
      if (known && request.size() != predicted) std::fprintf(stderr, "format %d: take() gave %zu bytes, stage() said %zu (%u spans)\n", int(format), request.size(), predicted, unsigned(batch.size()));
      if (known) FUZZ_CHECK(request.size() == predicted);  // the size stage() announced
      fz::check_request(request, format, c, batch);
      delivered += batch.size();
      batch.clear();
    };
    // The export thread's loop (exporter.cc, Exporter::round): a span that does not fit stays staged and is
    // committed into the next batch, as staged (the exporter) or staged again (the same bytes, so a known size).
    for (const SpanRecord& r : records) {
      size_t size = encoder.stage(r);
      FUZZ_CHECK(encoder.has_staged());
      fz::DSpan expected = fz::expected_span(r, strings);
      bool size_known = true;
      if (encoder.count() > 0 && (size > max_bytes || encoder.count() >= max_spans)) {
        take();
        FUZZ_CHECK(encoder.count() == 0 && encoder.has_staged());
        if (restage) size = encoder.stage(r);
        else size_known = false;
      }
      encoder.commit();
      FUZZ_CHECK(!encoder.has_staged());
      batch.push_back(std::move(expected));
      predicted = size;
      known = size_known;
    }
    take();
    FUZZ_CHECK(delivered == records.size());
    // An empty batch is still a well-formed request.
    BatchEncoder empty(strings, c);
    fz::check_request(empty.take(), format, c, {});
  }
  return 0;
}
