#include "asiofetch/semaphore.hpp"

#include <algorithm>

namespace asiofetch {

bool Semaphore::try_acquire() {
  if (free_ == 0 || !waiters_.empty()) return false;
  --free_;
  available_.store(free_, std::memory_order_relaxed);
  return true;
}

std::optional<Semaphore::Waiter> Semaphore::pop_waiter() {
  if (waiters_.empty()) return std::nullopt;
  Waiter w = std::move(waiters_.front());
  waiters_.pop_front();
  return w;
}

void Semaphore::give_back() {
  ++free_;
  available_.store(free_, std::memory_order_relaxed);
}

bool Semaphore::remove_waiter(RequestId id) {
  auto it = std::find_if(waiters_.begin(), waiters_.end(), [id](const Waiter& w) { return w.id == id; });
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  return true;
}

}  // namespace asiofetch
