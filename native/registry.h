// Engines by process-wide id. The environment that initialises an engine (the application's thread) produces into
// it; the export worker, another environment with its own Addon, finds it here and consumes from it. Shared
// ownership: an engine lives until both are done with it, whichever thread that is on.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "engine.h"

namespace oneagent {

class EngineRegistry {
 public:
  static uint32_t add(const std::shared_ptr<Engine>& engine) {
    std::lock_guard<std::mutex> lock(mutex());
    uint32_t id = ++next();
    engines()[id] = engine;
    return id;
  }
  static std::shared_ptr<Engine> find(uint32_t id) {
    std::lock_guard<std::mutex> lock(mutex());
    auto it = engines().find(id);
    return it == engines().end() ? nullptr : it->second.lock();
  }
  static void remove(uint32_t id) {
    std::lock_guard<std::mutex> lock(mutex());
    engines().erase(id);
  }

 private:
  // Function-local statics: one instance per process whatever the translation units, made on first use.
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static uint32_t& next() {
    static uint32_t n = 0;
    return n;
  }
  static std::unordered_map<uint32_t, std::weak_ptr<Engine>>& engines() {
    static std::unordered_map<uint32_t, std::weak_ptr<Engine>> map;
    return map;
  }
};

}  // namespace oneagent
