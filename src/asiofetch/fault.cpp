#include "asiofetch/fault.hpp"

#ifdef ASIOFETCH_FAULT_INJECTION
#include <atomic>
#include <new>
#include <stdexcept>
#include <string>

namespace asiofetch::fault {

namespace {
constexpr int kSites = 3;
std::atomic<int> g_left[kSites]{};
std::atomic<Throw> g_what[kSites]{};
}  // namespace

void arm(Site site, Throw what, int times) {
  g_what[static_cast<int>(site)].store(what);
  g_left[static_cast<int>(site)].store(times);
}

void disarm() {
  for (auto& l : g_left) l.store(0);
}

void check(Site site, RequestId id) {
  auto& left = g_left[static_cast<int>(site)];
  if (left.load(std::memory_order_relaxed) <= 0) return;
  if (left.fetch_sub(1) <= 0) return;
  if (g_what[static_cast<int>(site)].load() == Throw::BadAlloc) throw std::bad_alloc();
  throw std::runtime_error("injected fault at site " + std::to_string(static_cast<int>(site)) + " (request " +
                           std::to_string(id) + ")");
}

}  // namespace asiofetch::fault
#endif
