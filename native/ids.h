// Trace and span identifiers: a xoshiro256** generator seeded once from the OS, and hex helpers.
#pragma once
#include <cstdint>
#include <cstring>

#include "platform.h"

namespace oneagent {

struct TraceId {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool valid() const { return hi != 0 || lo != 0; }
};

class IdGenerator {
 public:
  IdGenerator() {
    if (!fill_random(state_, sizeof state_)) {
      // The OS's random source cannot fail on any supported system (Linux >= 3.17); fall back to time-based seeding.
      uint64_t seed = static_cast<uint64_t>(clock_ns()) ^ reinterpret_cast<uintptr_t>(this);
      for (auto& s : state_) s = splitmix(seed);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  uint64_t span_id() {
    uint64_t id;
    while ((id = next()) == 0) {}
    return id;
  }

  TraceId trace_id() {
    TraceId id;
    do {
      id.hi = next();
      id.lo = next();
    } while (!id.valid());
    return id;
  }

  static int64_t clock_ns() { return wall_clock_ns(); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

inline void write_hex(char* out, uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = digits[value & 0xF];
    value >>= 4;
  }
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses exactly `digits` hex characters (at most 16); false on any non-hex character.
inline bool parse_hex(const char* in, int digits, uint64_t& out) {
  uint64_t value = 0;
  for (int i = 0; i < digits; ++i) {
    int v = hex_value(in[i]);
    if (v < 0) return false;
    value = (value << 4) | static_cast<uint64_t>(v);
  }
  out = value;
  return true;
}

inline void store_be64(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xFF);
    v >>= 8;
  }
}

inline uint64_t load_be64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

}  // namespace oneagent
