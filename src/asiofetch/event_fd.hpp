// A non-blocking eventfd used as a wake-up flag between threads (owns the fd).
#pragma once

namespace asiofetch {

// Thread-safe: signal() and clear() are single syscalls. The fd lives exactly as long as the
// object, so a signal racing with its owner's shutdown never writes to a reused fd number.
class EventFd {
 public:
  EventFd();  // throws std::system_error
  ~EventFd();
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;

  int fd() const noexcept { return fd_; }
  void signal() const noexcept;  // make it readable (again)
  void clear() const noexcept;   // make it unreadable until the next signal

 private:
  int fd_;
};

}  // namespace asiofetch
