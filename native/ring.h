// Bounded single-producer / single-consumer queue of finished spans. The JS thread produces;
// one consumer (the export thread, or the JS thread when draining for tests) takes them.
// Each side keeps a copy of the other side's index and reloads it only when the queue looks full (producer) or
// empty (consumer), so a push does not read the cache line the consumer keeps writing, and the reverse.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include "span.h"

namespace oneagent {

// The largest ring: 4,194,304 spans, 32 MiB of pointers (the records themselves are only allocated as spans end).
// engine_init refuses larger capacities; a ring constructed with one gets this many slots.
constexpr uint32_t kMaxRingCapacity = 1u << 22;

class SpanRing {
 public:
  explicit SpanRing(uint32_t capacity) : capacity_(round_up(capacity)), mask_(capacity_ - 1), slots_(new SpanRecord*[capacity_]) {}
  ~SpanRing() {
    SpanRecord* r;
    while ((r = pop()) != nullptr) delete r;
  }

  // Takes ownership; false (and the record is deleted) when full.
  bool push(SpanRecord* record) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_seen_ >= capacity_) {
      head_seen_ = head_.load(std::memory_order_acquire);
      if (tail - head_seen_ >= capacity_) {
        delete record;
        return false;
      }
    }
    slots_[tail & mask_] = record;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  SpanRecord* pop() {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_seen_) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (head == tail_seen_) return nullptr;
    }
    SpanRecord* r = slots_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return r;
  }

  // Consumer only: the record `ahead` places after the next pop would return (0: the next one itself), or null when
  // not that many wait (as far as the consumer last looked), so it can fetch records before it encodes them.
  SpanRecord* peek(uint64_t ahead) const {
    const uint64_t at = head_.load(std::memory_order_relaxed) + ahead;
    return at < tail_seen_ ? slots_[at & mask_] : nullptr;
  }

  uint64_t size() const { return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire); }

  // Producer only: what was queued at the producer's last look at the consumer's index, which it refreshes every
  // 64 pushes (an upper bound, late by what the consumer took since). For the shared counter, not for decisions.
  uint64_t size_estimate() {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    if ((tail & 63) == 0) head_seen_ = head_.load(std::memory_order_acquire);
    return tail - head_seen_;
  }
  uint32_t capacity() const { return capacity_; }

 private:
  static uint32_t round_up(uint32_t n) {
    uint32_t c = 16;
    while (c < n && c < kMaxRingCapacity) c <<= 1;
    return c;
  }
  const uint32_t capacity_;
  const uint32_t mask_;
  std::unique_ptr<SpanRecord*[]> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};  // the consumer's line
  uint64_t tail_seen_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};  // the producer's line
  uint64_t head_seen_ = 0;
};

}  // namespace oneagent
