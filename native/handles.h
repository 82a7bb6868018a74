// Generation-checked handles: a slot index plus a rolling generation, packed into a positive int32 so it
// crosses into JS as a small integer (a V8 Smi: no heap number per span). A handle whose slot was reused no longer
// matches, so use after end is detected instead of touching another span.
//
// What is guaranteed, and what is not: 18 bits of slot (262,143 open spans at most; slot 0 is never used) and 13 bits
// of generation, which skips 0, so a slot's handles repeat after 8,191 reuses. A slot is reused only once
// `reuse_delay` other slots were freed after it (the engine uses kReuseDelay, 16,384), so a handle stays detectably
// stale (kStaleHandle, never another span) until at least 8,191 x 16,384, over 134 million, other spans ended after
// its own span. After that it can name an unrelated span again: handles are small integers, not unforgeable ids.
// The delay is waived only when the table is full (262,143 slots created): then any free slot is reused at once.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace oneagent {

constexpr uint32_t kSlotBits = 18;
constexpr uint32_t kGenerationBits = 13;
static_assert(kSlotBits + kGenerationBits == 31, "2^31 - 1 is the largest handle");
constexpr uint32_t kMaxSlots = 1u << kSlotBits;  // slots 1 .. kMaxSlots - 1
constexpr uint32_t kSlotMask = kMaxSlots - 1;
constexpr uint32_t kGenerationMask = (1u << kGenerationBits) - 1;
// The engine's reuse delay. Its slots (SpanSlot, 112 bytes) cost about 1.8 MB once this many spans have ended.
constexpr uint32_t kReuseDelay = 16384;

inline uint32_t make_handle(uint32_t slot, uint32_t generation) { return (generation << kSlotBits) | slot; }
inline uint32_t handle_slot(uint32_t handle) { return handle & kSlotMask; }
inline uint32_t handle_generation(uint32_t handle) { return (handle >> kSlotBits) & kGenerationMask; }

// Slots are reused first-in first-out, and only once `reuse_delay` others are free, so an ended span
// stays resolvable (for children started late by forked fibers) while `reuse_delay` other spans end after it.
template <typename Slot>
class HandleTable {
 public:
  explicit HandleTable(uint32_t reuse_delay) : reuse_delay_(reuse_delay), first_generation_(next_first_generation()) {}

  // Returns 0 when every slot is in use.
  uint32_t allocate() {
    uint32_t index;
    if (free_.size() > reuse_delay_ || (count_ >= kMaxSlots - 1 && !free_.empty())) {
      index = free_.front();
      free_.pop_front();
      // The next slot to be reused was last touched `reuse_delay` spans ago: fetch it while this span starts.
#if defined(__GNUC__) || defined(__clang__)
      if (!free_.empty()) __builtin_prefetch(&at(free_.front()), 1);
#endif
    } else if (count_ < kMaxSlots - 1) {
      if ((count_ & (kChunkSize - 1)) == 0) {
        std::unique_ptr<Slot[]> chunk(new Slot[kChunkSize]);
        chunks_.push_back(std::move(chunk));  // if this throws, chunk is freed and nothing changed
      }
      index = ++count_;  // slot 0 is never used, so handle 0 means "none"
      at(index).generation = first_generation_;
    } else {
      return 0;
    }
    Slot& slot = at(index);
    slot.generation = (slot.generation + 1) & kGenerationMask;
    if (slot.generation == 0) slot.generation = 1;
    slot.live = true;
    ++live_;
    return make_handle(index, slot.generation);
  }

  // The slot for a handle whose generation still matches (live or released-but-not-reused), else null.
  Slot* find(uint32_t handle) {
    uint32_t index = handle_slot(handle);
    if (index == 0 || index > count_) return nullptr;
    Slot& slot = at(index);
    return slot.generation == handle_generation(handle) ? &slot : nullptr;
  }

  // The only step that can throw (std::bad_alloc growing the free list) comes first: then nothing has changed.
  void release(uint32_t handle) {
    Slot* slot = find(handle);
    if (slot == nullptr || !slot->live) return;
    free_.push_back(handle_slot(handle));
    slot->live = false;
    --live_;
  }

  uint32_t live() const { return live_; }

  template <typename F>
  void for_each_live(F&& f) {
    for (uint32_t i = 1; i <= count_; ++i) {
      Slot& slot = at(i);
      if (slot.live) f(make_handle(i, slot.generation), slot);
    }
  }

 private:
  // Slots live in fixed chunks that never move, so growing the table keeps every Slot& or pointer into a slot valid
  // (a parent's context or trace state, held by Engine::start while allocate() adds the child's slot). Indexing is
  // a shift and two loads; a std::deque of slots this large holds a few per block and costs far more per lookup.
  static constexpr uint32_t kChunkBits = 10;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  Slot& at(uint32_t index) {
    const uint32_t i = index - 1;
    return chunks_[i >> kChunkBits][i & (kChunkSize - 1)];
  }
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  uint32_t count_ = 0;  // slots created so far: indices 1..count_
  std::deque<uint32_t> free_;
  uint32_t reuse_delay_;
  // Each table (each engine the process creates, after a shutdown and a new init) numbers generations from its own
  // start, far from the previous tables', so a handle kept from an engine that was shut down is stale in the next
  // one instead of naming whichever span got the same slot.
  uint32_t first_generation_;
  static uint32_t next_first_generation() {
    static std::atomic<uint32_t> tables{0};
    return (tables.fetch_add(1, std::memory_order_relaxed) * 5063u) & kGenerationMask;
  }
  uint32_t live_ = 0;
};

}  // namespace oneagent
