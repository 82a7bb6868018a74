#include "export.h"

namespace oneagent {

BatchSource::BatchSource(std::shared_ptr<Engine> engine, EncoderConfig config, bool json_copy)
    : engine_(std::move(engine)), encoder_(engine_->strings(), config) {
  if (json_copy && config.format != ExportFormat::Json) {
    config.format = ExportFormat::Json;
    json_ = std::make_unique<BatchEncoder>(engine_->strings(), std::move(config));
  }
}

Batch BatchSource::take(uint32_t max_spans, size_t max_bytes) {
  Batch batch;
  try {
    encoder_.commit();  // the span that did not fit into the previous batch, if any
    if (json_) json_->commit();
    while (encoder_.count() < max_spans) {
      // Owned here: an exception while encoding still gives the record back to its pool.
      std::unique_ptr<SpanRecord> r(engine_->ring().pop());
      if (r == nullptr) break;
      size_t size = encoder_.stage(*r);
      if (json_) json_->stage(*r);
      r.reset();
      if (encoder_.count() > 0 && size > max_bytes) break;  // stays staged for the next batch
      encoder_.commit();
      if (json_) json_->commit();
    }
    batch.spans = encoder_.count();
    if (batch.spans == 0) return batch;
    batch.bytes = encoder_.take();
    if (json_) batch.json = json_->take();
    return batch;
  } catch (...) {
    // std::bad_alloc: what was taken and not handed over is dropped, counted, and settled so the bound frees it.
    const uint64_t lost = encoder_.count() + (encoder_.has_staged() ? 1 : 0);
    encoder_.reset();
    if (json_) json_->reset();
    dropped_ += lost;
    engine_->settle(lost);
    return Batch();
  }
}

}  // namespace oneagent
