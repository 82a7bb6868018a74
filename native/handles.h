// Generation-checked handles: a slot index plus a rolling generation, packed into a positive int32 so it
// crosses into JS as a small integer. A handle whose slot was reused no longer matches, so use after end
// is detected instead of touching another span.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

namespace oneagent {

constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kMaxSlots = 1u << kSlotBits;
constexpr uint32_t kSlotMask = kMaxSlots - 1;
constexpr uint32_t kGenerationMask = 0x7FF;  // 11 bits: 2^31 - 1 is the largest handle

inline uint32_t make_handle(uint32_t slot, uint32_t generation) { return (generation << kSlotBits) | slot; }
inline uint32_t handle_slot(uint32_t handle) { return handle & kSlotMask; }
inline uint32_t handle_generation(uint32_t handle) { return (handle >> kSlotBits) & kGenerationMask; }

// Slots are reused first-in first-out, and only once `reuse_delay` others are free, so an ended span
// stays resolvable (for children started late by forked fibers) for as long as possible.
template <typename Slot>
class HandleTable {
 public:
  explicit HandleTable(uint32_t reuse_delay) : reuse_delay_(reuse_delay) {}

  // Returns 0 when every slot is in use.
  uint32_t allocate() {
    uint32_t index;
    if (free_.size() > reuse_delay_ || (slots_.size() >= kMaxSlots - 1 && !free_.empty())) {
      index = free_.front();
      free_.pop_front();
    } else if (slots_.size() < kMaxSlots - 1) {
      slots_.emplace_back();
      index = static_cast<uint32_t>(slots_.size());  // slot 0 is never used, so handle 0 means "none"
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
    if (index == 0 || index > slots_.size()) return nullptr;
    Slot& slot = at(index);
    return slot.generation == handle_generation(handle) ? &slot : nullptr;
  }

  void release(uint32_t handle) {
    Slot* slot = find(handle);
    if (slot == nullptr || !slot->live) return;
    slot->live = false;
    --live_;
    free_.push_back(handle_slot(handle));
  }

  uint32_t live() const { return live_; }

  template <typename F>
  void for_each_live(F&& f) {
    for (uint32_t i = 1; i <= slots_.size(); ++i) {
      Slot& slot = at(i);
      if (slot.live) f(make_handle(i, slot.generation), slot);
    }
  }

 private:
  Slot& at(uint32_t index) { return slots_[index - 1]; }
  // A deque, not a vector: growing it never moves existing slots, so a Slot& or a pointer into a slot (a parent's
  // context or trace state, held by Engine::start while allocate() adds the child's slot) stays valid.
  std::deque<Slot> slots_;
  std::deque<uint32_t> free_;
  uint32_t reuse_delay_;
  uint32_t live_ = 0;
};

}  // namespace oneagent
