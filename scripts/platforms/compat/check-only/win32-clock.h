/*
 * Compile checks only (scripts/platforms/check-other-platforms.sh), never shipped: force-included into the win32
 * build, because zig 0.11's MinGW has no clock_gettime()/CLOCK_REALTIME (they come from winpthreads, which it does
 * not bundle) and native/ids.h uses them. The real fix belongs in native/ids.h (std::chrono::system_clock, or
 * timespec_get(&ts, TIME_UTC)).
 */
#pragma once
#include <time.h>
#ifndef CLOCK_REALTIME
#define CLOCK_REALTIME 0
#ifdef __cplusplus
extern "C"
#endif
__declspec(dllimport) void __stdcall GetSystemTimePreciseAsFileTime(unsigned long long* filetime);
static inline int clock_gettime(int clock, struct timespec* ts) {
  unsigned long long t; /* 100 ns since 1601-01-01 */
  (void)clock;
  GetSystemTimePreciseAsFileTime(&t);
  t -= 116444736000000000ULL;
  ts->tv_sec = (time_t)(t / 10000000ULL);
  ts->tv_nsec = (long)(t % 10000000ULL) * 100;
  return 0;
}
#endif
