/*
 * Linked into the glibc prebuilds (scripts/platforms/prebuild-all.sh) so they load on glibc 2.17: the two glibc
 * symbols the engine needs that are newer than 2.17, each defined here with hidden visibility (so the module binds
 * to these and exports nothing), using glibc's own when the running glibc has it.
 *
 *   getrandom (glibc 2.25)                 native/ids.h seeds its id generator with it. Here: the system call
 *                                          (Linux >= 3.17; older kernels give ENOSYS and the engine falls back to
 *                                          time-based seeding, as it already handles).
 *   __cxa_thread_atexit_impl (glibc 2.18)  zig's libc++abi calls it for every thread_local with a destructor
 *                                          (native/strings.h: thread_local std::string). Here: glibc's when
 *                                          present (found with dlsym), else destructors kept per thread and run
 *                                          by a pthread key destructor when the thread exits, in reverse order.
 *
 * Both become unnecessary if the sources call syscall(SYS_getrandom, ...) and keep no thread_local with a
 * non-trivial destructor; check-binary.mjs then still proves that nothing newer than GLIBC_2.17 is imported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN ssize_t getrandom(void* buf, size_t len, unsigned flags) {
  return syscall(SYS_getrandom, buf, len, flags);
}

typedef void (*dtor_fn)(void*);
typedef int (*atexit_impl_fn)(dtor_fn, void*, void*);

struct dtor_entry {
  dtor_fn dtor;
  void* obj;
  struct dtor_entry* next;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atexit_impl_fn glibc_impl;
static pthread_key_t key;

/* Runs this thread's destructors, newest first; destructors that register more are run too. */
static void run_dtors(void* head) {
  struct dtor_entry* entry = head;
  while (entry != NULL) {
    pthread_setspecific(key, NULL);
    while (entry != NULL) {
      struct dtor_entry* next = entry->next;
      entry->dtor(entry->obj);
      free(entry);
      entry = next;
    }
    entry = pthread_getspecific(key);
  }
}

static void init(void) {
  glibc_impl = (atexit_impl_fn)dlsym(RTLD_DEFAULT, "__cxa_thread_atexit_impl");
  if (glibc_impl == NULL && pthread_key_create(&key, run_dtors) != 0) abort();
}

HIDDEN int __cxa_thread_atexit_impl(dtor_fn dtor, void* obj, void* dso_symbol) {
  pthread_once(&once, init);
  if (glibc_impl != NULL) return glibc_impl(dtor, obj, dso_symbol);
  struct dtor_entry* entry = malloc(sizeof *entry);
  if (entry == NULL) return -1;
  entry->dtor = dtor;
  entry->obj = obj;
  entry->next = pthread_getspecific(key);
  pthread_setspecific(key, entry);
  return 0;
}
