// Recycled span records. The JS thread takes a record per sampled span; whoever consumes it (the export thread,
// records_drain, a full ring) deletes it, and SpanRecord's destroying delete hands it back here instead of to
// malloc. Records allocated on one thread and freed on another made glibc's malloc the largest cost of span_start
// (no thread cache hit, arena locking, heap growth page faults); a recycled record also keeps the capacity of its
// attribute vector and strings, so copying a template's attributes allocates nothing.
#pragma once
#include <atomic>
#include <cstdint>

#include "span.h"

// Hints to start loading a line that will be written (or read) soon; nothing where the compiler has no such builtin.
#if defined(__GNUC__) || defined(__clang__)
#define ONEAGENT_PREFETCH_WRITE(p) __builtin_prefetch((p), 1)
#define ONEAGENT_PREFETCH_READ(p) __builtin_prefetch((p), 0)
#else
#define ONEAGENT_PREFETCH_WRITE(p) ((void)0)
#define ONEAGENT_PREFETCH_READ(p) ((void)0)
#endif

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
    // Records were last written on the consumer's thread, so each start would wait for its record's lines, above all
    // the attribute list it copies a template over. Fetched ahead instead: the record after next (its first lines),
    // and the next one's attribute list (its pointer is in a line fetched one start ago).
    if (local_ != nullptr) {
      if (SpanRecord* after = local_->next_free; after != nullptr) {
        ONEAGENT_PREFETCH_WRITE(after);
        ONEAGENT_PREFETCH_WRITE(reinterpret_cast<const char*>(after) + 64);
      }
      const char* attrs = reinterpret_cast<const char*>(local_->attrs.data());
      const size_t bytes = local_->attrs.size() * sizeof(Attr);
      for (size_t at = 0; at < bytes && at < 256; at += 64) ONEAGENT_PREFETCH_WRITE(attrs + at);
    }
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

  // Any thread: a list of records (linked through next_free, contents already reset) handed back at once, with one
  // exchange on the shared list instead of one per record.
  void release_list(SpanRecord* head, SpanRecord* tail, int64_t count) {
    if (idle_.load(std::memory_order_relaxed) >= limit_) {
      free_list(head);
      return;
    }
    idle_.fetch_add(count, std::memory_order_relaxed);
    tail->next_free = returned_.load(std::memory_order_relaxed);
    while (!returned_.compare_exchange_weak(tail->next_free, head, std::memory_order_release, std::memory_order_relaxed)) {
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

// Records a consumer is done with, collected and handed back to their pool together (RecordPool::release_list).
class RecordReturns {
 public:
  RecordReturns() = default;
  RecordReturns(const RecordReturns&) = delete;
  RecordReturns& operator=(const RecordReturns&) = delete;
  ~RecordReturns() { flush(); }

  // Takes ownership of r, as `delete r` would.
  void add(SpanRecord* r) {
    if (r->pool == nullptr) {
      RecordPool::destroy(r);
      return;
    }
    if (pool_ != r->pool) {
      flush();
      pool_ = r->pool;
    }
    r->recycle();
    r->next_free = head_;
    if (tail_ == nullptr) tail_ = r;
    head_ = r;
    ++count_;
  }

  void flush() {
    if (head_ != nullptr) pool_->release_list(head_, tail_, count_);
    head_ = tail_ = nullptr;
    count_ = 0;
  }

 private:
  RecordPool* pool_ = nullptr;
  SpanRecord* head_ = nullptr;
  SpanRecord* tail_ = nullptr;
  int64_t count_ = 0;
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
