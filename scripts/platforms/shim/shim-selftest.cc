// Self-test of libstdcxx-musl-shim.c against GCC's libstdc++ headers, on the host (glibc, g++): the shim's object
// is linked into this executable, so its definitions of the out-of-line libstdc++ functions (red-black tree,
// hashtable rehash policy, list hooks, condition_variable, call_once) are the ones the inlined containers call.
// Randomised std::set inserts/erases are compared with a sorted vector, forwards and backwards.
//
//   gcc -c -O2 -fPIC libstdcxx-musl-shim.c -o shim.o && g++ -O1 -std=c++17 shim-selftest.cc shim.o -pthread && ./a.out
#include <set>
#include <map>
#include <unordered_map>
#include <list>
#include <vector>
#include <algorithm>
#include <mutex>
#include <condition_variable>
#include <thread>
#include <random>
#include <cstdio>
#include <string>
int main() {
  std::mt19937_64 rng(42);
  std::set<int> s; std::vector<int> ref;
  for (int round = 0; round < 200000; round++) {
    int v = rng() % 5000;
    if (rng() % 3) { if (s.insert(v).second) ref.insert(std::lower_bound(ref.begin(), ref.end(), v), v); }
    else { auto it = s.find(v); if (it != s.end()) { s.erase(it); ref.erase(std::lower_bound(ref.begin(), ref.end(), v)); } }
    if (round % 5000 == 0) {
      if (s.size() != ref.size() || !std::equal(s.begin(), s.end(), ref.begin())) { puts("set FAIL fwd"); return 1; }
      if (!std::equal(s.rbegin(), s.rend(), ref.rbegin())) { puts("set FAIL rev"); return 1; }
    }
  }
  std::unordered_map<std::string, int> um;
  for (int i = 0; i < 100000; i++) um[std::to_string(i)] = i;
  for (int i = 0; i < 100000; i++) if (um.at(std::to_string(i)) != i) { puts("umap FAIL"); return 1; }
  for (int i = 0; i < 100000; i += 2) um.erase(std::to_string(i));
  if (um.size() != 50000) { puts("umap size FAIL"); return 1; }
  std::list<int> l; for (int i = 0; i < 1000; i++) l.push_back(i); l.remove_if([](int x){return x%2;}); if (l.size()!=500) {puts("list FAIL");return 1;}
  std::mutex m; std::condition_variable cv; int ready = 0;
  std::thread t([&]{ std::unique_lock<std::mutex> lk(m); ready = 1; cv.notify_one(); });
  { std::unique_lock<std::mutex> lk(m); cv.wait(lk, [&]{ return ready == 1; }); }
  t.join();
  std::once_flag f; int n = 0; for (int i = 0; i < 3; i++) std::call_once(f, [&]{ n++; }); if (n != 1) { puts("once FAIL"); return 1; }
  static std::string lazy = std::to_string(rng()); (void)lazy;
  printf("shim ok: set %zu umap %zu buckets %zu\n", s.size(), um.size(), um.bucket_count());
}
