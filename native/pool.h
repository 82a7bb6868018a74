// Recycled span records. The JS thread takes a record per sampled span; whoever consumes it (the export thread,
// records_drain, a full ring) deletes it, and SpanRecord's destroying delete hands it back here instead of to
// malloc. Records allocated on one thread and freed on another made glibc's malloc the largest cost of span_start
// (no thread cache hit, arena locking, heap growth page faults); a recycled record also keeps the capacity of its
// attribute vector and strings, so copying a template's attributes allocates nothing.
#pragma once
#include <atomic>
#include <cstdint>

#include "span.h"

namespace oneagent {

class RecordPool {
 public:
  // Keeps at most `limit` idle records; beyond that, returned records are freed.
  explicit RecordPool(uint32_t limit) : limit_(limit) {}
  ~RecordPool() {
    free_list(local_);
    free_list(returned_.exchange(nullptr, std::memory_order_acquire));
  }
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  // JS thread only: the single consumer of the returned list, which it takes whole, so there is no ABA.
  SpanRecord* acquire() {
    if (local_ == nullptr) {
      local_ = returned_.exchange(nullptr, std::memory_order_acquire);
      if (local_ == nullptr) {
        auto* r = new SpanRecord();
        r->pool = this;
        return r;
      }
    }
    SpanRecord* r = local_;
    local_ = r->next_free;
    // The idle count is settled in steps, so the JS thread touches the shared counter once per 256 records.
    if (++taken_ == 256) {
      idle_.fetch_sub(taken_, std::memory_order_relaxed);
      taken_ = 0;
    }
    return r;
  }

  // Any thread. Called by SpanRecord's destroying delete; the record's contents are already reset.
  void release(SpanRecord* r) {
    if (idle_.load(std::memory_order_relaxed) >= limit_) {
      destroy(r);
      return;
    }
    idle_.fetch_add(1, std::memory_order_relaxed);
    r->next_free = returned_.load(std::memory_order_relaxed);
    while (!returned_.compare_exchange_weak(r->next_free, r, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }

  static void destroy(SpanRecord* r) {
    r->~SpanRecord();
    ::operator delete(r, std::align_val_t(alignof(SpanRecord)));
  }

 private:
  static void free_list(SpanRecord* r) {
    while (r != nullptr) {
      SpanRecord* next = r->next_free;
      destroy(r);
      r = next;
    }
  }

  const int64_t limit_;
  SpanRecord* local_ = nullptr;  // JS thread only
  int64_t taken_ = 0;            // JS thread only
  alignas(64) std::atomic<SpanRecord*> returned_{nullptr};
  std::atomic<int64_t> idle_{0};
};

inline void SpanRecord::operator delete(SpanRecord* r, std::destroying_delete_t) {
  if (r->pool == nullptr) {
    RecordPool::destroy(r);
    return;
  }
  r->recycle();
  r->pool->release(r);
}

}  // namespace oneagent
