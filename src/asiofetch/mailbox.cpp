#include "asiofetch/mailbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace asiofetch {

Mailbox::Mailbox() {
  fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Mailbox::~Mailbox() {
  close();
  ::close(fd_);
}

void Mailbox::push(Outcome&& outcome) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    was_empty = queue_.empty();
    queue_.push_back(std::move(outcome));
  }
  // After unlocking: the woken loop (often on this CPU) takes the lock at once in take_all(),
  // and found it held when signalled under it. The fd lives as long as this object.
  if (was_empty) signal();
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
  if (pending) signal();
}

std::vector<Outcome> Mailbox::take_all() {
  std::vector<Outcome> out;
  std::lock_guard lock(mutex_);
  if (closed_) return out;
  clear_signal();
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
  // The fd stays open until destruction: a push racing with close() may still write to it,
  // and must never hit a number the process has reused meanwhile. One last signal wakes a
  // thread blocked on it (the proxy reader of loops without add_reader) to see it closed.
  signal();
}

bool Mailbox::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void Mailbox::signal() noexcept {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter would overflow: it is already signalled, which is all we need.
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

void Mailbox::clear_signal() noexcept {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(fd_, &value, sizeof value);
}

}  // namespace asiofetch
