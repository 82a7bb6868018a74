// Strings that repeat (span names, services, methods, attribute keys) are stored once and referred to by id.
// Append-only and chunked so the export thread can read ids below the published count while JS appends.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oneagent {

class InternTable {
 public:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr uint32_t kMaxChunks = 1024;  // 4M distinct strings

  InternTable() { intern(""); }  // id 0 is the empty string

  // Returns the id of s, or UINT32_MAX when the table is full.
  uint32_t intern(std::string_view s) {
    auto it = ids_.find(std::string(s));
    if (it != ids_.end()) return it->second;
    uint32_t id = count_.load(std::memory_order_relaxed);
    uint32_t chunk = id >> kChunkBits;
    if (chunk >= kMaxChunks) return UINT32_MAX;
    if (!chunks_[chunk]) chunks_[chunk].reset(new std::string[kChunkSize]);
    chunks_[chunk][id & (kChunkSize - 1)] = std::string(s);
    ids_.emplace(std::string(s), id);
    count_.store(id + 1, std::memory_order_release);
    return id;
  }

  // Safe from any thread for ids handed out before.
  const std::string& get(uint32_t id) const {
    static const std::string empty;
    if (id >= count_.load(std::memory_order_acquire)) return empty;
    return chunks_[id >> kChunkBits][id & (kChunkSize - 1)];
  }

  uint32_t size() const { return count_.load(std::memory_order_acquire); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  std::unique_ptr<std::string[]> chunks_[kMaxChunks];
  std::atomic<uint32_t> count_{0};
};

}  // namespace oneagent
