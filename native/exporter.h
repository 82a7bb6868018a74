// The export thread: the single consumer of the engine's span ring. It encodes batches off the JS thread and
// hands the bytes to a JS callback through a thread-safe function; it never touches JS values itself.
//
// Protocol with the JS callback `onBatch(bytes, n)`:
//   - onBatch(Buffer, spanCount[, json]): one encoded ExportTraceServiceRequest holding spanCount spans, and with
//     console_json the same spans as an OTLP/JSON request (for the console view; not size-limited).
//   - onBatch(null, seq): flush `seq` (a number returned by exporter_flush) is complete: every span that was in
//     the ring when that flush was requested has been delivered before this call (or counted as dropped).
//     Completions are cumulative: (null, 7) also completes flushes 1..6, which may get no call of their own.
// Calls arrive in order on the JS thread. Nothing ever blocks: when the callback queue (64 calls) is full, the
// refused call is kept and offered again every poll step while further spans wait in the ring, so a slow JS
// thread backs up into the ring, whose overflow the engine counts (kCounterDroppedRing).
// stop() delivers what is left, but drops (and counts) what the full queue refuses, because the JS thread is
// waiting for the join; callers that need everything flush and await the completion first. In the environment
// cleanup hook nothing is delivered.
#pragma once
#include <node_api.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "encoder.h"
#include "engine.h"

namespace oneagent {

struct ExportConfig {
  EncoderConfig encoder;
  uint32_t max_batch_spans = 512;
  size_t max_batch_bytes = 4u << 20;
  uint32_t interval_ms = 1000;
  // Also encode every batch as OTLP/JSON for the console view (only meaningful with the protobuf format).
  bool console_json = false;
};

struct ExportStats {
  uint64_t spans_encoded;
  uint64_t batches_delivered;
  uint64_t spans_dropped;  // encoded but not delivered: the callback queue was full at stop, or the env closing
  uint64_t bytes_delivered;
};

struct Delivery;    // one call of the JS callback (exporter.cc)
class BufferPool;  // batch buffers coming back from the JS thread (exporter.cc)

class Exporter {
 public:
  // Wraps on_batch in a thread-safe function and starts the thread; null (status set) when N-API refuses.
  static std::unique_ptr<Exporter> start(napi_env env, napi_value on_batch, Engine& engine, ExportConfig config,
                                         napi_status* status);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Asks for everything queued now to be exported; returns the sequence number its completion will carry.
  uint64_t flush();
  // Joins the thread and releases the callback. deliver == false (env cleanup) drops what is queued. Idempotent.
  void stop(bool deliver);
  bool running() const { return !stopped_; }
  ExportStats stats() const;

 private:
  Exporter(Engine& engine, ExportConfig config, napi_threadsafe_function tsfn);
  void run();
  void round(uint64_t target, bool stopping);
  bool send_backlog(bool stopping);
  // After an exception in round(): drops (and counts) the spans taken from the ring but not handed over.
  void discard_unsent();

  Engine& engine_;
  const ExportConfig config_;
  BatchEncoder encoder_;  // export thread only
  std::unique_ptr<BatchEncoder> console_;  // export thread only; the JSON copy for the console view, if asked
  // Shared with the deliveries, whose Buffers the JS thread may collect after this exporter is gone.
  std::shared_ptr<BufferPool> buffers_;
  napi_threadsafe_function tsfn_;
  // Export thread only (stop() reads them after the join):
  bool tsfn_closed_ = false;                  // N-API said the env is closing
  std::deque<Delivery*> backlog_;             // refused by the full callback queue, in order
  uint64_t announced_ = 0;                    // the last flush whose completion was queued
  uint64_t unsent_ = 0;                       // taken from the ring, not yet in a queued batch (spans_encoded_)
  std::thread thread_;
  bool stopped_ = false;  // JS thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};  // written under mutex_, read without it by the wait predicates
  bool deliver_on_stop_ = true;
  uint64_t flush_requested_ = 0;

  std::atomic<uint64_t> spans_encoded_{0};
  std::atomic<uint64_t> batches_delivered_{0};
  std::atomic<uint64_t> spans_dropped_{0};
  std::atomic<uint64_t> bytes_delivered_{0};
};

}  // namespace oneagent
