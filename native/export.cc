#include "export.h"

#include "guard.h"

namespace oneagent {

namespace {

// Records were written on the application's thread, so encoding one would wait for each of its lines: they are
// fetched ahead instead, after each pop: the record after next (its fixed fields), and the next one's attribute list
// (its pointer is in a line fetched at the previous pop).
void fetch_ahead(SpanRing& ring) {
  if (SpanRecord* after = ring.peek(1); after != nullptr) {
    const char* p = reinterpret_cast<const char*>(after);
    for (size_t at = 0; at < sizeof(SpanRecord); at += 64) ONEAGENT_PREFETCH_READ(p + at);
  }
  if (SpanRecord* next = ring.peek(0); next != nullptr) {
    const char* attrs = reinterpret_cast<const char*>(next->attrs.data());
    const size_t bytes = next->attrs.size() * sizeof(Attr);
    for (size_t at = 0; at < bytes && at < 512; at += 64) ONEAGENT_PREFETCH_READ(attrs + at);
  }
}

}  // namespace

BatchSource::BatchSource(std::shared_ptr<Engine> engine, EncoderConfig config, bool json_copy)
    : engine_(std::move(engine)), encoder_(engine_->strings(), config) {
  if (json_copy && config.format != ExportFormat::Json) {
    config.format = ExportFormat::Json;
    json_ = std::make_unique<BatchEncoder>(engine_->strings(), std::move(config));
  }
}

Batch BatchSource::take(uint32_t max_spans, size_t max_bytes) {
  Batch batch;
  // The records encoded, handed back to the engine's pool together when the batch is done (or on the way out).
  RecordReturns done;
  ONEAGENT_TRY {
    encoder_.commit();  // the span that did not fit into the previous batch, if any
    if (json_) json_->commit();
    while (encoder_.count() < max_spans) {
      // Owned here: an exception while encoding still gives the record back to its pool.
      std::unique_ptr<SpanRecord> r(engine_->ring().pop());
      if (r == nullptr) break;
      fetch_ahead(engine_->ring());
      size_t size = encoder_.stage(*r);
      if (json_) json_->stage(*r);
      done.add(r.release());
      if (encoder_.count() > 0 && size > max_bytes) break;  // stays staged for the next batch
      encoder_.commit();
      if (json_) json_->commit();
    }
    batch.spans = encoder_.count();
    if (batch.spans == 0) return batch;
    batch.bytes = encoder_.take(std::move(spare_));
    if (json_) batch.json = json_->take();
    return batch;
  } ONEAGENT_CATCH_ALL {
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
