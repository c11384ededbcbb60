// A FIFO counting semaphore held by native requests and by Python `async with` alike.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_set>

#include "asiofetch/mailbox.hpp"
#include "asiofetch/outcome.hpp"

namespace asiofetch {

// State is touched on the engine thread only (the engine's commands carry Python's acquire,
// release and cancel there); `available` is mirrored in an atomic for cheap reads elsewhere.
// Not tied to a session, so one semaphore can bound requests of several sessions.
class Semaphore {
 public:
  explicit Semaphore(std::size_t permits) : permits_(permits) { available_.store(permits); }

  struct Waiter {
    RequestId id;
    std::shared_ptr<Mailbox> mailbox;  // set for a Python waiter; null for a native request
  };

  // Takes a permit when one is free and nobody queues before us (FIFO).
  bool try_acquire();
  void enqueue(Waiter w) { waiters_.push_back(std::move(w)); }
  // The next waiter to receive a freed permit, or nullopt (the permit goes back to the pool).
  // The caller decides whether the popped waiter still wants it.
  std::optional<Waiter> pop_waiter();
  void give_back();  // one permit returns to the pool

  // Python holders: ids granted and not yet released (a cancel after the grant releases).
  std::unordered_set<RequestId> python_holders;
  // Drops a queued Python waiter; false when it is not queued.
  bool remove_waiter(RequestId id);

  std::size_t available() const noexcept { return available_.load(std::memory_order_relaxed); }
  std::size_t permits() const noexcept { return permits_; }

 private:
  const std::size_t permits_;
  std::size_t free_ = permits_;
  std::deque<Waiter> waiters_;
  std::atomic<std::size_t> available_{0};
};

}  // namespace asiofetch
