// Finished spans as plain JS objects, for the strict test layer and the console sink (not the export path).
#pragma once
#include <napi.h>

#include "engine.h"

namespace oneagent {

Napi::Array drain_records(Napi::Env env, Engine& engine, uint32_t max);

}  // namespace oneagent
