#include "asiofetch/event_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace asiofetch {

EventFd::EventFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

EventFd::~EventFd() { ::close(fd_); }

void EventFd::signal() const noexcept {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter would overflow: it is already signalled, which is all we need.
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

void EventFd::clear() const noexcept {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(fd_, &value, sizeof value);
}

}  // namespace asiofetch
