#include "exporter.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace oneagent {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Bounds the encoded batches waiting for the JS thread; past it, spans wait in the (bounded) ring instead.
constexpr size_t kQueueSize = 64;
// The engine does not signal pushes, so a filling ring is noticed by polling its size this often.
constexpr milliseconds kPoll{10};

// Batch buffers the JS thread is done with, for the next batches: a fresh 64 KB+ string per batch, freed on another
// thread, cost the export thread an allocation, page faults and the allocator's arena lock for every batch.
class BufferPool {
 public:
  std::string acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return std::string();
    std::string buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }
  void release(std::string&& buffer) {
    // Kept only while few are idle, and not the rare huge ones (a batch is capped by bytes, not by spans alone).
    if (buffer.capacity() > (1u << 20)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < kKept) free_.push_back(std::move(buffer));
  }

 private:
  static constexpr size_t kKept = 8;
  std::mutex mutex_;
  std::vector<std::string> free_;
};

// One call of the JS callback: a batch, or (bytes empty) the completion of flush `seq`.
struct Delivery {
  std::string bytes;
  std::string console;  // the OTLP/JSON copy for the console view, when asked for
  uint32_t spans = 0;
  uint64_t seq = 0;
  std::shared_ptr<BufferPool> pool;  // where bytes go back once JS is done with them
};

static void recycle(Delivery* d) {
  if (d->pool) d->pool->release(std::move(d->bytes));
  delete d;
}

static void free_delivery(napi_env, void*, void* hint) { recycle(static_cast<Delivery*>(hint)); }

// Runs on the JS thread; env is null when the function is torn down with calls still queued.
static void call_js(napi_env env, napi_value callback, void*, void* data) {
  auto* d = static_cast<Delivery*>(data);
  if (env == nullptr || callback == nullptr) {
    delete d;
    return;
  }
  napi_value args[3], undefined;
  napi_get_undefined(env, &undefined);
  size_t argc = 2;
  if (!d->console.empty()) {
    napi_create_buffer_copy(env, d->console.size(), d->console.data(), nullptr, &args[2]);
    argc = 3;
  }
  if (d->bytes.empty()) {
    napi_get_null(env, &args[0]);
    napi_create_double(env, static_cast<double>(d->seq), &args[1]);
    delete d;
  } else {
    napi_create_uint32(env, d->spans, &args[1]);
    // Hand the encoded bytes over without a copy where the runtime allows external buffers.
    if (napi_create_external_buffer(env, d->bytes.size(), d->bytes.data(), free_delivery, d, &args[0]) != napi_ok) {
      napi_create_buffer_copy(env, d->bytes.size(), d->bytes.data(), nullptr, &args[0]);
      recycle(d);
    }
  }
  napi_call_function(env, undefined, callback, argc, args, nullptr);
}

std::unique_ptr<Exporter> Exporter::start(napi_env env, napi_value on_batch, Engine& engine, ExportConfig config,
                                          napi_status* status) {
  napi_value name;
  napi_create_string_utf8(env, "effect-oneagent export", NAPI_AUTO_LENGTH, &name);
  napi_threadsafe_function tsfn;
  *status = napi_create_threadsafe_function(env, on_batch, nullptr, name, kQueueSize, 1, nullptr, nullptr, nullptr,
                                            call_js, &tsfn);
  if (*status != napi_ok) return nullptr;
  // Pending exports must never keep the process alive; flushing on exit is the caller's decision.
  napi_unref_threadsafe_function(env, tsfn);
  std::unique_ptr<Exporter> exporter;
  try {
    exporter.reset(new Exporter(engine, std::move(config), tsfn));
  } catch (...) {
    napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
    throw;
  }
  // std::system_error when no thread can be started: the exporter, never started, releases tsfn as it is destroyed.
  exporter->thread_ = std::thread(&Exporter::run, exporter.get());
  return exporter;
}

Exporter::Exporter(Engine& engine, ExportConfig config, napi_threadsafe_function tsfn)
    : engine_(engine),
      config_(std::move(config)),
      encoder_(engine.strings(), config_.encoder),
      buffers_(std::make_shared<BufferPool>()),
      tsfn_(tsfn) {
  if (config_.console_json && config_.encoder.format != ExportFormat::Json) {
    EncoderConfig json = config_.encoder;
    json.format = ExportFormat::Json;
    console_ = std::make_unique<BatchEncoder>(engine.strings(), std::move(json));
  }
}

Exporter::~Exporter() { stop(false); }

uint64_t Exporter::flush() {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seq = ++flush_requested_;
  }
  wake_.notify_one();
  return seq;
}

void Exporter::stop(bool deliver) {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    deliver_on_stop_ = deliver;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  // Queued calls still reach JS after a release; an abort (env cleanup) frees them without calling.
  if (!tsfn_closed_) napi_release_threadsafe_function(tsfn_, deliver ? napi_tsfn_release : napi_tsfn_abort);
}

ExportStats Exporter::stats() const {
  return {spans_encoded_.load(), batches_delivered_.load(), spans_dropped_.load(), bytes_delivered_.load()};
}

void Exporter::run() {
  const milliseconds interval{std::max<uint32_t>(config_.interval_ms, 1)};
  const Clock::duration poll = std::min(milliseconds(kPoll), interval);
  // Wake before the timer once the ring holds a batch, or is half full when it is smaller than a batch: waiting for
  // the timer, a small ring would drop at the ring the spans it cannot hold.
  const uint64_t early = std::max<uint64_t>(1, std::min<uint64_t>(config_.max_batch_spans, engine_.ring().capacity() / 2));
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (!backlog_.empty()) {
      // The callback queue was full: try again after a poll step; new spans wait in the ring meanwhile.
      wake_.wait_for(lock, poll, [this] { return stopping_.load(); });
    } else {
      const Clock::time_point deadline = Clock::now() + interval;
      while (!stopping_ && flush_requested_ == announced_ && engine_.ring().size() < early) {
        const Clock::time_point now = Clock::now();
        if (now >= deadline) break;
        wake_.wait_for(lock, std::min(poll, deadline - now));
      }
    }
    const bool stopping = stopping_;
    const bool active = !stopping || deliver_on_stop_;
    const uint64_t target = flush_requested_;
    lock.unlock();
    bool failed = false;
    if (active) {
      try {
        round(target, stopping);
      } catch (...) {
        // An exception on this thread would terminate the process. std::bad_alloc while encoding: the spans taken
        // from the ring and not yet handed over are dropped (and counted), and the next round starts clean.
        discard_unsent();
        failed = true;
      }
    }
    lock.lock();
    if (stopping) break;
    // Out of memory: wait a poll step rather than retrying at once (a pending flush would not let the loop wait).
    if (failed) wake_.wait_for(lock, poll, [this] { return stopping_.load(); });
  }
  for (Delivery* d : backlog_) delete d;  // only left when stopping without delivery
  backlog_.clear();
}

// Exports what is in the ring now, in batches, then announces flush `target`. Spans that producers add
// meanwhile wait for the next round, so a busy producer cannot keep the thread from sleeping.
void Exporter::round(uint64_t target, bool stopping) {
  if (!send_backlog(stopping)) return;
  SpanRing& ring = engine_.ring();
  uint64_t budget = ring.size();
  while (true) {
    encoder_.commit();  // the span that did not fit into the previous batch, if any
    while (budget > 0 && encoder_.count() < config_.max_batch_spans) {
      // Owned here: an exception (std::bad_alloc) while encoding still gives the record back to its pool.
      std::unique_ptr<SpanRecord> r(ring.pop());
      if (r == nullptr) break;
      --budget;
      ++unsent_;
      size_t size = encoder_.stage(*r);
      if (console_) {
        console_->stage(*r);
        console_->commit();
      }
      r.reset();
      if (encoder_.count() > 0 && size > config_.max_batch_bytes) break;
      encoder_.commit();
    }
    uint32_t spans = encoder_.count();
    if (spans == 0) break;
    std::unique_ptr<Delivery> d(new Delivery());
    d->bytes = encoder_.take(buffers_->acquire());
    if (console_ && console_->count() > 0) d->console = console_->take();
    d->pool = buffers_;
    d->spans = spans;
    backlog_.push_back(d.get());
    d.release();
    spans_encoded_ += spans;
    unsent_ -= spans;
    // A full queue ends the round early; the next round's budget covers what this one left behind.
    if (!send_backlog(stopping)) return;
  }
  if (target != announced_) {
    std::unique_ptr<Delivery> d(new Delivery());
    d->seq = target;
    backlog_.push_back(d.get());
    d.release();
    announced_ = target;
    send_backlog(stopping);
  }
}

void Exporter::discard_unsent() {
  spans_encoded_ += unsent_;  // out of the ring...
  spans_dropped_ += unsent_;  // ...and not delivered
  unsent_ = 0;
  encoder_.reset();
  if (console_) console_->reset();
}

// Queues the backlog for the JS thread without blocking; false when the callback queue is full. While stopping
// (the JS thread waits in join and cannot empty the queue) or once N-API is closing, what does not fit is dropped.
bool Exporter::send_backlog(bool stopping) {
  while (!backlog_.empty()) {
    Delivery* d = backlog_.front();
    const uint32_t spans = d->spans;  // d belongs to the JS thread once queued
    const size_t bytes = d->bytes.size();
    napi_status status = tsfn_closed_ ? napi_closing : napi_call_threadsafe_function(tsfn_, d, napi_tsfn_nonblocking);
    if (status == napi_queue_full && !stopping) return false;
    backlog_.pop_front();
    if (status == napi_ok) {
      if (spans > 0) {  // completions are not batches
        batches_delivered_ += 1;
        bytes_delivered_ += bytes;
      }
      continue;
    }
    if (status == napi_closing) tsfn_closed_ = true;
    spans_dropped_ += spans;
    delete d;
  }
  return true;
}

}  // namespace oneagent
