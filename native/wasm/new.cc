// Allocation in the WebAssembly build, where there are no exceptions.
//
// libc++ built without exceptions makes `operator new` return nullptr when malloc fails (it cannot throw
// std::bad_alloc), and in wasm address 0 is ordinary memory: the engine would write through null into its own data.
// These replacements trap instead (`unreachable`) before anything is written. The adapter (src/internal/wasmAddon.ts)
// catches the trap and turns the engine off for good: a trap can stop the engine halfway through a change, where
// the native engine's std::bad_alloc would have unwound it cleanly.
#include <cstdint>
#include <cstdlib>
#include <new>

static void* allocate(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) __builtin_trap();
  return p;
}
static void* allocate_aligned(std::size_t size, std::align_val_t align) {
  std::size_t a = static_cast<std::size_t>(align);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = std::aligned_alloc(a, (size + a - 1) / a * a);
  if (p == nullptr) __builtin_trap();
  return p;
}
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) { return allocate_aligned(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) { return allocate_aligned(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

// malloc (wasi-libc's dlmalloc) takes memory through sbrk in 64 KiB steps, one memory.grow each, and in Node a
// memory.grow past ~64 MiB costs 0.3-1 ms (Deno and Bun ~1-5 us): a growing heap paid that per 64 KiB. This sbrk
// (linked with -Wl,--wrap=sbrk, so malloc calls it instead of libc's) grows the memory by a quarter of its size at
// least (1 MiB minimum) and hands out the rest on later calls. It also keeps under a limit the adapter may set
// (ow_memory_limit), so a test can run the engine out of memory.
static uintptr_t memory_limit = 0;  // bytes; 0: only what memory.grow allows (4 GiB)

/** Bounds the memory this instance grows to, in bytes (0: no bound but WebAssembly's). */
extern "C" __attribute__((export_name("ow_memory_limit"))) void ow_memory_limit(uint32_t bytes) {
  memory_limit = bytes;
}

extern "C" void* __wrap_sbrk(intptr_t increment) {
  constexpr uintptr_t kPage = 65536;
  static uintptr_t brk = 0;
  const uintptr_t end = __builtin_wasm_memory_size(0) * kPage;
  if (brk == 0) brk = end;
  if (increment == 0) return reinterpret_cast<void*>(brk);
  if (increment < 0 || increment % kPage != 0) __builtin_trap();  // dlmalloc never shrinks, and asks in pages
  const uintptr_t need = static_cast<uintptr_t>(increment);
  if (end - brk < need) {
    const uintptr_t missing = (need - (end - brk) + kPage - 1) / kPage;
    uintptr_t step = end / kPage / 4;
    if (step < 16) step = 16;
    if (step < missing) step = missing;
    const uintptr_t pages_left =
        memory_limit == 0 ? UINTPTR_MAX : memory_limit > end ? (memory_limit - end) / kPage : 0;
    if (step > pages_left) step = missing;
    // (Failure without errno: dlmalloc only looks at the result, and errno is thread-local storage, which a
    // module built with bulk memory but no threads cannot have.)
    if (missing > pages_left || (__builtin_wasm_memory_grow(0, step) == SIZE_MAX &&
                                 (step == missing || __builtin_wasm_memory_grow(0, missing) == SIZE_MAX))) {
      return reinterpret_cast<void*>(-1);
    }
  }
  void* old = reinterpret_cast<void*>(brk);
  brk += need;
  return old;
}
