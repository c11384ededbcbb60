#include "asiofetch/mailbox.hpp"

namespace asiofetch {

void Mailbox::push(Outcome&& outcome) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    was_empty = queue_.empty();
    queue_.push_back(std::move(outcome));
  }
  // After unlocking: the woken loop (often on this CPU) takes the lock at once in take_all(),
  // and found it held when signalled under it.
  if (was_empty) wake_fd_.signal();
}

bool Mailbox::push_deferred(Outcome&& outcome) {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(outcome));
  if (!was_empty || owed_) return false;  // a signal is pending or already owed
  owed_ = true;
  return true;
}

void Mailbox::wake() {
  bool pending;
  {
    std::lock_guard lock(mutex_);
    owed_ = false;
    // Empty: the consumer took everything in the meantime (woken by an earlier signal).
    pending = !closed_ && !queue_.empty();
  }
  if (pending) wake_fd_.signal();
}

std::vector<Outcome> Mailbox::take_all() {
  std::vector<Outcome> out;
  std::lock_guard lock(mutex_);
  if (closed_) return out;
  wake_fd_.clear();
  out.swap(queue_);
  return out;
}

void Mailbox::close() {
  std::vector<Outcome> dropped;  // destroyed after the lock is released
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.swap(queue_);
  }
  // The fd stays open until destruction (EventFd). One last signal wakes a thread blocked on
  // it (the proxy reader of loops without add_reader) to see the mailbox closed.
  wake_fd_.signal();
}

bool Mailbox::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace asiofetch
