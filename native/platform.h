// The two services the engine asks of the operating system, one definition per platform, so the sources build for
// Linux (glibc from 2.17, musl), macOS, Windows and WebAssembly (WASI) alike: random bytes to seed the id generator,
// and the wall clock that span times are in.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(_WIN32)
#include <chrono>
#elif defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#else  // macOS, WASI: getentropy(), up to 256 bytes
#include <sys/types.h>
#include <sys/random.h>

#include <ctime>
#endif

#if defined(_WIN32)
// RtlGenRandom, exported by advapi32.dll as SystemFunction036: declared here to keep <windows.h> out.
extern "C" __declspec(dllimport) unsigned char __stdcall SystemFunction036(void* buffer, unsigned long length);
#if defined(_MSC_VER)
#pragma comment(lib, "advapi32")
#endif
#endif

namespace oneagent {

// Fills buffer with `length` (at most 256) bytes from the OS's random source; false when it could not (the caller
// seeds from the clock instead).
inline bool fill_random(void* buffer, size_t length) {
#if defined(_WIN32)
  return SystemFunction036(buffer, static_cast<unsigned long>(length)) != 0;
#elif defined(__linux__)
#if defined(SYS_getrandom)
  // The system call itself, not glibc's getrandom() wrapper: that needs glibc 2.25, and the prebuilds run on 2.17.
  // Up to 256 bytes it returns them all, once the kernel's pool is ready; a signal before that is retried.
  for (int attempt = 0; attempt < 8; ++attempt) {
    long n = syscall(SYS_getrandom, buffer, length, 0);
    if (n == static_cast<long>(length)) return true;
    if (n >= 0 || errno != EINTR) return false;
  }
#endif
  return false;  // a kernel older than 3.17 (ENOSYS), or headers without the call
#else
  return getentropy(buffer, length) == 0;  // macOS 10.12+; WASI: the host's random_get
#endif
}

// Nanoseconds since the Unix epoch, from the wall clock (span start and end times, as OTLP has them).
inline int64_t wall_clock_ns() {
#if defined(_WIN32)
  // (MinGW has no clock_gettime without winpthreads; the system clock has 100 ns ticks there.)
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
#else
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
#endif
}

}  // namespace oneagent
