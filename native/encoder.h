// Encodes batches of finished spans as one OTLP ExportTraceServiceRequest, in protobuf or in OTLP/JSON.
// Runs on the export thread: it reads only SpanRecords it owns and the append-only intern table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "intern.h"
#include "span.h"

namespace oneagent {

enum class ExportFormat : uint8_t { Protobuf, Json };

// A resource attribute; its key is a plain string because it never repeats per span.
struct ResourceAttr {
  std::string key;
  Attr value;  // value.key is unused
};

struct EncoderConfig {
  ExportFormat format = ExportFormat::Protobuf;
  std::vector<ResourceAttr> resource;
  std::string scope_name;
  std::string scope_version;
};

// Builds one request at a time. A span is first staged (encoded on its own) so the caller can see the
// batch size with it before committing, and a span that does not fit stays staged for the next batch.
class BatchEncoder {
 public:
  BatchEncoder(const InternTable& strings, EncoderConfig config);

  // Encodes r into the staging area (replacing what was staged); returns the request size with it committed.
  size_t stage(const SpanRecord& r);
  void commit();
  bool has_staged() const { return has_staged_; }
  uint32_t count() const { return count_; }
  // The complete request for the committed spans; the batch starts empty again (the staged span stays).
  std::string take() { return take(std::string()); }
  // The same, written into `buffer` (its contents replaced, its capacity reused).
  std::string take(std::string buffer);
  // Drops the committed and the staged spans (after an exception left the batch in an unknown state).
  void reset() {
    spans_.clear();
    staged_.clear();
    committed_ = 0;
    has_staged_ = false;
    count_ = 0;
  }

 private:
  // Size of the request around spans_bytes of (separated) spans.
  size_t request_size(size_t spans_bytes) const;

  const InternTable& strings_;
  ExportFormat format_;
  std::string resource_;  // protobuf: the framed Resource; JSON: everything before the first span
  std::string scope_;     // protobuf: the framed InstrumentationScope; JSON: unused
  // Committed spans, already framed (protobuf) or comma-separated (JSON). Protobuf: the staged span follows them
  // here, from committed_ on, written in place; JSON: it waits in staged_.
  std::string spans_;
  size_t committed_ = 0;
  std::string staged_;
  std::vector<const Attr*> group_;  // scratch for merging repeated keys
  bool has_staged_ = false;
  uint32_t count_ = 0;
};

}  // namespace oneagent
