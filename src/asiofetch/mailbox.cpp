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

Mailbox::~Mailbox() { close(); }

void Mailbox::push(Outcome&& outcome) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    was_empty = queue_.empty();
    queue_.push_back(std::move(outcome));
    // Signal under the lock: close() cannot close the fd in between.
    if (was_empty) signal();
  }
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
  std::lock_guard lock(mutex_);
  owed_ = false;
  // Empty: the consumer took everything in the meantime (woken by an earlier signal).
  if (!closed_ && !queue_.empty()) signal();
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
  std::vector<Outcome> dropped;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  dropped.swap(queue_);
  ::close(fd_);
  fd_ = -1;
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
