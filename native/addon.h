// Per-environment state: each Node environment (main thread or worker) that loads the addon gets one.
#pragma once
#include <node_api.h>

#include <memory>

#include "engine.h"
#include "exporter.h"

#ifndef ENGINE_VERSION
#define ENGINE_VERSION "0.1.0"
#endif

namespace oneagent {

struct Addon {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Exporter> exporter;  // stopped before the engine it reads from is destroyed
  uint32_t init_count = 0;
  napi_ref counters_ref = nullptr;  // keeps the shared counters array alive while the engine writes to it
};

}  // namespace oneagent
