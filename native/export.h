// The consumer side of an engine: finished spans taken out of its ring as encoded OTLP batches, on whichever thread
// asks (the export worker, or the application's thread for the test layer). Nothing is encoded until a batch is
// asked for, so a slow target leaves spans in the ring, under the engine's bound, instead of in a queue of batches.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "encoder.h"
#include "engine.h"

namespace oneagent {

struct Batch {
  std::string bytes;  // one ExportTraceServiceRequest; empty when no span was waiting
  std::string json;   // the same spans as OTLP/JSON, when a copy was asked for (the console view)
  uint32_t spans = 0;
};

class BatchSource {
 public:
  // json_copy: also encode every batch as OTLP/JSON (only meaningful with the protobuf format).
  BatchSource(std::shared_ptr<Engine> engine, EncoderConfig config, bool json_copy);

  // Encodes up to max_spans spans, and at most max_bytes of them unless a single span is larger. A span that does not
  // fit stays staged for the next batch. std::bad_alloc: the spans taken so far are dropped (and settled), none lost
  // uncounted.
  Batch take(uint32_t max_spans, size_t max_bytes);
  // Hands a batch's bytes back once they were copied out, so the next batch is written into the same buffer.
  void reuse(std::string&& bytes) { spare_ = std::move(bytes); }
  // Spans taken out of the ring and done with (exported or dropped): room under the engine's bound again.
  void settle(uint64_t spans) { engine_->settle(spans); }
  // Spans waiting in the ring, and staged here.
  uint64_t waiting() const { return engine_->ring().size() + (encoder_.has_staged() ? 1 : 0); }
  // Spans taken out of the ring and dropped here because memory ran out.
  uint64_t dropped() const { return dropped_; }
  const Engine* engine() const { return engine_.get(); }

 private:
  std::shared_ptr<Engine> engine_;
  BatchEncoder encoder_;
  std::unique_ptr<BatchEncoder> json_;
  std::string spare_;  // the last batch's buffer, when it was handed back
  uint64_t dropped_ = 0;
};

}  // namespace oneagent
