/*
 * A stand-in libstdc++.so.6 for running Bun's musl builds (npm @oven/bun-linux-*-musl) in a Debian musl
 * rootfs, which has no musl libstdc++. Verification tooling only: it is never shipped, and the prebuilds
 * themselves link libc++ statically and need no libstdc++ at all.
 *
 * Bun imports 45 symbols from libstdc++ (all unversioned): listed by `readelf --dyn-syms` minus what musl's
 * libc.so defines. This file implements exactly those with the semantics of GCC's libstdc++ (same object
 * layouts, since Bun's inline code touches the same structures): red-black tree rebalancing on
 * _Rb_tree_node_base {color, parent, left, right} with the header-node conventions, the hashtable's
 * _Prime_rehash_policy, std::list hooks, condition_variable over pthread_cond_t, steady_clock, call_once's
 * TLS slots, static-local guards, and the error paths (which abort: Bun is built without exceptions).
 * Written in C with the C++ (Itanium-mangled) names as asm labels; member functions take `this` first.
 *
 *   zig cc -target x86_64-linux-musl -shared -fPIC -O2 -Wl,-soname,libstdc++.so.6 -o libstdc++.so.6 this.c
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))
#define NAME(mangled) __asm__(mangled)

static _Noreturn void die(const char* what, const char* detail) {
  fprintf(stderr, "libstdc++ shim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  abort();
}

/* ---- error paths: Bun is built with -fno-exceptions, so libstdc++ would terminate here too ---- */
EXPORT void throw_bad_alloc(void) NAME("_ZSt17__throw_bad_allocv");
void throw_bad_alloc(void) { die("std::bad_alloc", NULL); }
EXPORT void throw_logic_error(const char* m) NAME("_ZSt19__throw_logic_errorPKc");
void throw_logic_error(const char* m) { die("std::logic_error", m); }
EXPORT void throw_length_error(const char* m) NAME("_ZSt20__throw_length_errorPKc");
void throw_length_error(const char* m) { die("std::length_error", m); }
EXPORT void throw_system_error(int e) NAME("_ZSt20__throw_system_errori");
void throw_system_error(int e) { die("std::system_error", strerror(e)); }
EXPORT void throw_bad_function_call(void) NAME("_ZSt25__throw_bad_function_callv");
void throw_bad_function_call(void) { die("std::bad_function_call", NULL); }
EXPORT void throw_bad_array_new_length(void) NAME("_ZSt28__throw_bad_array_new_lengthv");
void throw_bad_array_new_length(void) { die("std::bad_array_new_length", NULL); }
EXPORT void throw_out_of_range_fmt(const char* fmt, ...) NAME("_ZSt24__throw_out_of_range_fmtPKcz");
void throw_out_of_range_fmt(const char* fmt, ...) { die("std::out_of_range", fmt); }
EXPORT void glibcxx_assert_fail(const char* file, int line, const char* fn, const char* cond)
  NAME("_ZSt21__glibcxx_assert_failPKciS0_S0_");
void glibcxx_assert_fail(const char* file, int line, const char* fn, const char* cond) {
  fprintf(stderr, "%s:%d: %s: assertion '%s' failed\n", file, line, fn, cond);
  abort();
}
EXPORT void cxa_pure_virtual(void) NAME("__cxa_pure_virtual");
void cxa_pure_virtual(void) { die("pure virtual method called", NULL); }
EXPORT void cxa_bad_typeid(void) NAME("__cxa_bad_typeid");
void cxa_bad_typeid(void) { die("std::bad_typeid", NULL); }
/* Bun's type_info vtables are libstdc++'s; a faithful __dynamic_cast would call their __do_dyncast slot.
   Nothing reached it in these runs; if something does, say so loudly instead of guessing. */
EXPORT void* dynamic_cast_(const void* p, const void* src, const void* dst, ptrdiff_t hint) NAME("__dynamic_cast");
void* dynamic_cast_(const void* p, const void* src, const void* dst, ptrdiff_t hint) {
  die("__dynamic_cast is not implemented by this shim", NULL);
}
/* Bun copies (R_*_COPY) the vtables of the three __cxxabiv1 class_type_info kinds from libstdc++: 88
   bytes each (offset-to-top, type_info, 9 virtual slots). Only the RTTI machinery above would call through
   them, so every slot reports and aborts. */
static void rtti_virtual(void) { die("a __cxxabiv1 type_info virtual method was called", NULL); }
#define RTTI_VTABLE(mangled, var)                                                                 \
  EXPORT void* const var[11] NAME(mangled);                                                       \
  void* const var[11] = {0, 0, (void*)rtti_virtual, (void*)rtti_virtual, (void*)rtti_virtual,     \
                         (void*)rtti_virtual, (void*)rtti_virtual, (void*)rtti_virtual,           \
                         (void*)rtti_virtual, (void*)rtti_virtual, (void*)rtti_virtual};
RTTI_VTABLE("_ZTVN10__cxxabiv117__class_type_infoE", class_type_info_vtable)
RTTI_VTABLE("_ZTVN10__cxxabiv120__si_class_type_infoE", si_class_type_info_vtable)
RTTI_VTABLE("_ZTVN10__cxxabiv121__vmi_class_type_infoE", vmi_class_type_info_vtable)

EXPORT char* cxa_demangle(const char* name, char* buf, size_t* n, int* status) NAME("__cxa_demangle");
char* cxa_demangle(const char* name, char* buf, size_t* n, int* status) {
  if (status) *status = -2; /* "not a valid mangled name": callers then print the raw name */
  return NULL;
}

/* ---- std::terminate / handlers ---- */
typedef void (*handler_t)(void);
static handler_t terminate_handler;
EXPORT handler_t set_terminate(handler_t h) NAME("_ZSt13set_terminatePFvvE");
handler_t set_terminate(handler_t h) { return __atomic_exchange_n(&terminate_handler, h, __ATOMIC_ACQ_REL); }
EXPORT void terminate(void) NAME("_ZSt9terminatev");
void terminate(void) {
  handler_t h = __atomic_load_n(&terminate_handler, __ATOMIC_ACQUIRE);
  if (h) h();
  abort();
}
EXPORT handler_t get_new_handler(void) NAME("_ZSt15get_new_handlerv");
handler_t get_new_handler(void) { return NULL; }

/* ---- static-local guards (Itanium ABI: byte 0 = done; byte 1 = in progress here) ---- */
static pthread_mutex_t guard_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t guard_cond = PTHREAD_COND_INITIALIZER;
EXPORT int cxa_guard_acquire(uint64_t* g) NAME("__cxa_guard_acquire");
int cxa_guard_acquire(uint64_t* g) {
  unsigned char* b = (unsigned char*)g;
  if (__atomic_load_n(&b[0], __ATOMIC_ACQUIRE)) return 0;
  pthread_mutex_lock(&guard_mutex);
  for (;;) {
    if (b[0]) { pthread_mutex_unlock(&guard_mutex); return 0; }
    if (!b[1]) { b[1] = 1; pthread_mutex_unlock(&guard_mutex); return 1; }
    pthread_cond_wait(&guard_cond, &guard_mutex);
  }
}
EXPORT void cxa_guard_release(uint64_t* g) NAME("__cxa_guard_release");
void cxa_guard_release(uint64_t* g) {
  unsigned char* b = (unsigned char*)g;
  pthread_mutex_lock(&guard_mutex);
  b[1] = 0;
  __atomic_store_n(&b[0], 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&guard_cond);
  pthread_mutex_unlock(&guard_mutex);
}

/* ---- std::call_once: the caller stores the callable in these TLS slots, then pthread_once(__once_proxy) ---- */
EXPORT __thread void* once_callable NAME("_ZSt15__once_callable");
__thread void* once_callable;
EXPORT __thread void (*once_call)(void) NAME("_ZSt11__once_call");
__thread void (*once_call)(void);
EXPORT void once_proxy(void) NAME("__once_proxy");
void once_proxy(void) { once_call(); }

/* ---- std::condition_variable: one pthread_cond_t; unique_lock<mutex> is {mutex* device; bool owns} ---- */
EXPORT void cv_ctor(pthread_cond_t* cv) NAME("_ZNSt18condition_variableC1Ev");
void cv_ctor(pthread_cond_t* cv) { pthread_cond_init(cv, NULL); }
EXPORT void cv_dtor(pthread_cond_t* cv) NAME("_ZNSt18condition_variableD1Ev");
void cv_dtor(pthread_cond_t* cv) { pthread_cond_destroy(cv); }
EXPORT void cv_wait(pthread_cond_t* cv, pthread_mutex_t** lock) NAME("_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE");
void cv_wait(pthread_cond_t* cv, pthread_mutex_t** lock) { pthread_cond_wait(cv, *lock); }
EXPORT void cv_notify_one(pthread_cond_t* cv) NAME("_ZNSt18condition_variable10notify_oneEv");
void cv_notify_one(pthread_cond_t* cv) { pthread_cond_signal(cv); }
EXPORT void cv_notify_all(pthread_cond_t* cv) NAME("_ZNSt18condition_variable10notify_allEv");
void cv_notify_all(pthread_cond_t* cv) { pthread_cond_broadcast(cv); }

/* ---- std::chrono::steady_clock::now(): a time_point holding int64 nanoseconds ---- */
EXPORT int64_t steady_now(void) NAME("_ZNSt6chrono3_V212steady_clock3nowEv");
int64_t steady_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- std::_Hash_bytes (std::hash<string>): any good 64-bit hash; this is MurmurHash64A ---- */
EXPORT size_t hash_bytes(const void* p, size_t len, size_t seed) NAME("_ZSt11_Hash_bytesPKvmm");
size_t hash_bytes(const void* p, size_t len, size_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const unsigned char* s = p;
  uint64_t h = seed ^ (len * m);
  for (; len >= 8; s += 8, len -= 8) {
    uint64_t k;
    memcpy(&k, s, 8);
    k *= m; k ^= k >> 47; k *= m;
    h ^= k; h *= m;
  }
  if (len) {
    uint64_t k = 0;
    for (size_t i = 0; i < len; i++) k |= (uint64_t)s[i] << (8 * i);
    h ^= k; h *= m;
  }
  h ^= h >> 47; h *= m; h ^= h >> 47;
  return h;
}

/* ---- std::__detail::_List_node_base {next, prev} ---- */
typedef struct list_node { struct list_node* next; struct list_node* prev; } list_node;
EXPORT void list_hook(list_node* self, list_node* pos) NAME("_ZNSt8__detail15_List_node_base7_M_hookEPS0_");
void list_hook(list_node* self, list_node* pos) {
  self->next = pos;
  self->prev = pos->prev;
  pos->prev->next = self;
  pos->prev = self;
}
EXPORT void list_unhook(list_node* self) NAME("_ZNSt8__detail15_List_node_base9_M_unhookEv");
void list_unhook(list_node* self) {
  self->prev->next = self->next;
  self->next->prev = self->prev;
}

/* ---- std::__detail::_Prime_rehash_policy {float max_load_factor; size_t next_resize} ---- */
typedef struct { float max_load; size_t next_resize; } rehash_policy;
typedef struct { _Bool rehash; size_t buckets; } rehash_answer; /* std::pair<bool, size_t>, returned in registers */

static int is_prime(size_t n) {
  if (n < 2) return 0;
  for (size_t d = 2; d * d <= n; d++)
    if (n % d == 0) return 0;
  return 1;
}
static size_t floor_to_size(double x) { return x >= 18446744073709551615.0 ? (size_t)-1 : (size_t)x; }

EXPORT size_t next_bkt(rehash_policy* self, size_t n) NAME("_ZNKSt8__detail20_Prime_rehash_policy11_M_next_bktEm");
size_t next_bkt(rehash_policy* self, size_t n) {
  static const unsigned char fast[] = {2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13};
  if (n < sizeof fast) {
    if (n == 0) return 1; /* first allocation with no hint: next_resize stays 0 */
    self->next_resize = floor_to_size(fast[n] * (double)self->max_load);
    return fast[n];
  }
  size_t p = n | 1;
  while (!is_prime(p)) p += 2;
  self->next_resize = floor_to_size(p * (double)self->max_load);
  return p;
}
EXPORT rehash_answer need_rehash(rehash_policy* self, size_t n_bkt, size_t n_elt, size_t n_ins)
  NAME("_ZNKSt8__detail20_Prime_rehash_policy14_M_need_rehashEmmm");
rehash_answer need_rehash(rehash_policy* self, size_t n_bkt, size_t n_elt, size_t n_ins) {
  rehash_answer no = {0, 0};
  if (n_elt + n_ins <= self->next_resize) return no;
  size_t wanted = n_elt + n_ins;
  if (self->next_resize == 0 && wanted < 11) wanted = 11;
  double min_bkts = wanted / (double)self->max_load;
  if (min_bkts >= (double)n_bkt) {
    size_t a = floor_to_size(min_bkts) + 1, b = n_bkt * 2;
    rehash_answer yes = {1, next_bkt(self, a > b ? a : b)};
    return yes;
  }
  self->next_resize = floor_to_size(n_bkt * (double)self->max_load);
  return no;
}

/* ---- std::_Rb_tree_node_base {color (0 red, 1 black), parent, left, right}; the header node has
   parent = root, left = leftmost, right = rightmost, and is red ---- */
typedef struct rb { int color; struct rb* parent; struct rb* left; struct rb* right; } rb;
enum { RED = 0, BLACK = 1 };

EXPORT rb* rb_increment(rb* x) NAME("_ZSt18_Rb_tree_incrementPSt18_Rb_tree_node_base");
rb* rb_increment(rb* x) {
  if (x->right) {
    x = x->right;
    while (x->left) x = x->left;
  } else {
    rb* y = x->parent;
    while (x == y->right) { x = y; y = y->parent; }
    if (x->right != y) x = y; /* not the header's self-loop of a one-node tree */
  }
  return x;
}
EXPORT rb* rb_decrement(rb* x) NAME("_ZSt18_Rb_tree_decrementPSt18_Rb_tree_node_base");
rb* rb_decrement(rb* x) {
  if (x->color == RED && x->parent->parent == x) { /* the header (end()): go to rightmost */
    x = x->right;
  } else if (x->left) {
    rb* y = x->left;
    while (y->right) y = y->right;
    x = y;
  } else {
    rb* y = x->parent;
    while (x == y->left) { x = y; y = y->parent; }
    x = y;
  }
  return x;
}

static void rotate_left(rb* x, rb** root) {
  rb* y = x->right;
  x->right = y->left;
  if (y->left) y->left->parent = x;
  y->parent = x->parent;
  if (x == *root) *root = y;
  else if (x == x->parent->left) x->parent->left = y;
  else x->parent->right = y;
  y->left = x;
  x->parent = y;
}
static void rotate_right(rb* x, rb** root) {
  rb* y = x->left;
  x->left = y->right;
  if (y->right) y->right->parent = x;
  y->parent = x->parent;
  if (x == *root) *root = y;
  else if (x == x->parent->right) x->parent->right = y;
  else x->parent->left = y;
  y->right = x;
  x->parent = y;
}

EXPORT void rb_insert(_Bool left, rb* x, rb* p, rb* header)
  NAME("_ZSt29_Rb_tree_insert_and_rebalancebPSt18_Rb_tree_node_baseS0_RS_");
void rb_insert(_Bool left, rb* x, rb* p, rb* header) {
  rb** root = &header->parent;
  x->parent = p;
  x->left = x->right = NULL;
  x->color = RED;
  if (left) {
    p->left = x;
    if (p == header) { header->parent = x; header->right = x; }
    else if (p == header->left) header->left = x;
  } else {
    p->right = x;
    if (p == header->right) header->right = x;
  }
  while (x != *root && x->parent->color == RED) {
    rb* xpp = x->parent->parent;
    if (x->parent == xpp->left) {
      rb* y = xpp->right;
      if (y && y->color == RED) {
        x->parent->color = BLACK; y->color = BLACK; xpp->color = RED; x = xpp;
      } else {
        if (x == x->parent->right) { x = x->parent; rotate_left(x, root); }
        x->parent->color = BLACK; xpp->color = RED; rotate_right(xpp, root);
      }
    } else {
      rb* y = xpp->left;
      if (y && y->color == RED) {
        x->parent->color = BLACK; y->color = BLACK; xpp->color = RED; x = xpp;
      } else {
        if (x == x->parent->left) { x = x->parent; rotate_right(x, root); }
        x->parent->color = BLACK; xpp->color = RED; rotate_left(xpp, root);
      }
    }
  }
  (*root)->color = BLACK;
}

EXPORT rb* rb_erase(rb* z, rb* header) NAME("_ZSt28_Rb_tree_rebalance_for_erasePSt18_Rb_tree_node_baseRS_");
rb* rb_erase(rb* z, rb* header) {
  rb** root = &header->parent;
  rb** leftmost = &header->left;
  rb** rightmost = &header->right;
  rb* y = z;
  rb* x = NULL;
  rb* x_parent = NULL;
  if (y->left == NULL) x = y->right;
  else if (y->right == NULL) x = y->left;
  else { y = y->right; while (y->left) y = y->left; x = y->right; }
  if (y != z) { /* z has two children: its successor y takes its place */
    z->left->parent = y;
    y->left = z->left;
    if (y != z->right) {
      x_parent = y->parent;
      if (x) x->parent = y->parent;
      y->parent->left = x;
      y->right = z->right;
      z->right->parent = y;
    } else {
      x_parent = y;
    }
    if (*root == z) *root = y;
    else if (z->parent->left == z) z->parent->left = y;
    else z->parent->right = y;
    y->parent = z->parent;
    int c = y->color; y->color = z->color; z->color = c;
    y = z; /* the node that leaves the tree */
  } else {
    x_parent = y->parent;
    if (x) x->parent = y->parent;
    if (*root == z) *root = x;
    else if (z->parent->left == z) z->parent->left = x;
    else z->parent->right = x;
    if (*leftmost == z) {
      if (z->right == NULL) *leftmost = z->parent;
      else { rb* m = x; while (m->left) m = m->left; *leftmost = m; }
    }
    if (*rightmost == z) {
      if (z->left == NULL) *rightmost = z->parent;
      else { rb* m = x; while (m->right) m = m->right; *rightmost = m; }
    }
  }
  if (y->color != RED) {
    while (x != *root && (x == NULL || x->color == BLACK)) {
      if (x == x_parent->left) {
        rb* w = x_parent->right;
        if (w->color == RED) { w->color = BLACK; x_parent->color = RED; rotate_left(x_parent, root); w = x_parent->right; }
        if ((w->left == NULL || w->left->color == BLACK) && (w->right == NULL || w->right->color == BLACK)) {
          w->color = RED; x = x_parent; x_parent = x_parent->parent;
        } else {
          if (w->right == NULL || w->right->color == BLACK) {
            w->left->color = BLACK; w->color = RED; rotate_right(w, root); w = x_parent->right;
          }
          w->color = x_parent->color; x_parent->color = BLACK;
          if (w->right) w->right->color = BLACK;
          rotate_left(x_parent, root);
          break;
        }
      } else {
        rb* w = x_parent->left;
        if (w->color == RED) { w->color = BLACK; x_parent->color = RED; rotate_right(x_parent, root); w = x_parent->left; }
        if ((w->right == NULL || w->right->color == BLACK) && (w->left == NULL || w->left->color == BLACK)) {
          w->color = RED; x = x_parent; x_parent = x_parent->parent;
        } else {
          if (w->left == NULL || w->left->color == BLACK) {
            w->right->color = BLACK; w->color = RED; rotate_left(w, root); w = x_parent->left;
          }
          w->color = x_parent->color; x_parent->color = BLACK;
          if (w->left) w->left->color = BLACK;
          rotate_right(x_parent, root);
          break;
        }
      }
    }
    if (x) x->color = BLACK;
  }
  return y;
}
