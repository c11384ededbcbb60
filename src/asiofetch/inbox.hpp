// The engine's command inbox: a locked queue plus one eventfd the engine thread waits on.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "asiofetch/commands.hpp"
#include "asiofetch/event_fd.hpp"

namespace asiofetch {

// push() and close() are thread-safe; wait() and take() run on the engine thread only.
// The wake-up is a plain eventfd write from the caller's thread, not asio::post: post
// interrupts the reactor while holding the scheduler's mutex, so an engine thread woken on
// the same core blocked on that mutex (two extra context switches per submit at concurrency
// 1). The fd is written once per empty -> non-empty transition.
class Inbox {
 public:
  explicit Inbox(boost::asio::io_context& io);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Any thread. Queues the command, or leaves it untouched and returns false once closed.
  bool push(Command& c);
  // Any thread. Refuses every later push; false when it was closed already.
  bool close();

  // Engine thread: calls `h(error_code)` once the inbox may hold commands.
  template <class Handler>
  void wait(Handler&& h) {
    wait_->async_wait(boost::asio::posix::descriptor_base::wait_read, std::forward<Handler>(h));
  }
  // Engine thread: everything queued so far. Clears the fd before taking the queue, so a
  // command queued after the swap signals again.
  std::vector<Command> take();
  // Engine thread: stops waiting (the fd stays open until destruction: see EventFd).
  void stop_waiting();

 private:
  EventFd fd_;
  std::optional<boost::asio::posix::stream_descriptor> wait_;  // engine thread only; never owns fd_
  std::mutex mutex_;
  std::vector<Command> queue_;  // guarded by mutex_
  bool closed_ = false;         // guarded by mutex_
};

}  // namespace asiofetch
