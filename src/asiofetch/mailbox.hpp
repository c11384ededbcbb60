// A completion queue with one wake-up fd: the engine thread pushes, an event loop drains.
#pragma once

#include <mutex>
#include <vector>

#include "asiofetch/event_fd.hpp"
#include "asiofetch/outcome.hpp"

namespace asiofetch {

// Thread-safe. push() is called on the engine thread and never blocks on the consumer;
// take_all() on the consumer's thread. The fd (an eventfd) is written only on the
// empty -> non-empty transition, so a burst of completions costs one wake-up; with
// push_deferred() the engine also holds that write until its current round of events ends.
class Mailbox {
 public:
  Mailbox() = default;

  int fd() const noexcept { return wake_fd_.fd(); }

  // Queues the outcome, or drops it when the mailbox is closed (its loop is gone).
  void push(Outcome&& outcome);

  // Engine thread: queues without signalling. True means a wake-up is now owed: the caller
  // must call wake() soon (the engine does it once its current events are handled, so the
  // consumer's thread is woken once per round of completions, not once per completion).
  bool push_deferred(Outcome&& outcome);
  void wake();

  // Clears the fd first, then takes the queue: an outcome pushed after the swap re-arms the fd
  // (the queue is empty again), so none is ever left behind without a wake-up.
  std::vector<Outcome> take_all();

  // Drops what is queued and everything pushed later (the fd is closed by the destructor).
  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Outcome> queue_;  // guarded by mutex_
  bool closed_ = false;         // guarded by mutex_
  bool owed_ = false;           // guarded by mutex_: push_deferred left the signal to wake()
  EventFd wake_fd_;             // outlives close(): see EventFd
};

}  // namespace asiofetch
