/*
 * Compile checks only (scripts/platforms/check-other-platforms.sh), never shipped: stands in for Linux's
 * <sys/random.h> on macOS and Windows, where getrandom() does not exist, so the rest of the engine can be checked.
 * The real fix belongs in native/ids.h (a portable seed: std::random_device, or getentropy / BCryptGenRandom).
 */
#pragma once
#include <stddef.h>
#if defined(__APPLE__)
#include_next <sys/random.h> /* getentropy(), up to 256 bytes */
static inline long getrandom(void* buf, size_t len, unsigned flags) {
  (void)flags;
  return getentropy(buf, len) == 0 ? (long)len : -1;
}
#elif defined(_WIN32)
/* RtlGenRandom, exported by advapi32.dll as SystemFunction036 (declared here to keep <windows.h> out). */
#ifdef __cplusplus
extern "C"
#endif
__declspec(dllimport) unsigned char __stdcall SystemFunction036(void* buf, unsigned long len);
static inline long getrandom(void* buf, size_t len, unsigned flags) {
  (void)flags;
  return SystemFunction036(buf, (unsigned long)len) ? (long)len : -1;
}
#endif
