#include "asiofetch/inbox.hpp"

namespace asiofetch {

Inbox::Inbox(boost::asio::io_context& io) { wait_.emplace(io, fd_.fd()); }

Inbox::~Inbox() { stop_waiting(); }

bool Inbox::push(Command& c) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    wake = queue_.empty();
    queue_.push_back(std::move(c));
  }
  if (wake) fd_.signal();
  return true;
}

bool Inbox::close() {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  closed_ = true;
  return true;
}

std::vector<Command> Inbox::take() {
  fd_.clear();
  std::vector<Command> out;
  std::lock_guard lock(mutex_);
  out.swap(queue_);
  return out;
}

void Inbox::stop_waiting() {
  if (wait_ && wait_->is_open()) wait_->release();  // cancels the wait; EventFd owns the fd
}

}  // namespace asiofetch
