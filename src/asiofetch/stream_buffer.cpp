#include "asiofetch/stream_buffer.hpp"

#include "asiofetch/mailbox.hpp"

namespace asiofetch {

StreamBuffer::StreamBuffer(std::size_t high_water, Hook resume, Hook abort)
    : high_water_(high_water ? high_water : 1), resume_(std::move(resume)), abort_(std::move(abort)) {}

bool StreamBuffer::offer(std::string_view data) {
  std::lock_guard lock(mutex_);
  if (aborted_) return true;  // swallow: the transfer is being stopped
  if (buffered_ >= high_water_) {
    paused_ = true;
    return false;
  }
  chunks_.emplace_back(data);
  buffered_ += data.size();
  wake_locked();
  return true;
}

void StreamBuffer::finish(Error error) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (!aborted_) error_ = std::move(error);
  wake_locked();
}

std::optional<std::string> StreamBuffer::read(std::ptrdiff_t n) {
  bool resume = false;
  std::string out;
  {
    std::lock_guard lock(mutex_);
    if (buffered_ == 0) {
      if (finished_ || aborted_) return std::string();
      return std::nullopt;
    }
    std::size_t want = n < 0 ? buffered_ : std::min<std::size_t>(static_cast<std::size_t>(n), buffered_);
    out.reserve(want);
    while (want > 0) {
      std::string& front = chunks_.front();
      std::size_t take = std::min(want, front.size() - front_offset_);
      out.append(front, front_offset_, take);
      front_offset_ += take;
      want -= take;
      buffered_ -= take;
      if (front_offset_ == front.size()) {
        chunks_.pop_front();
        front_offset_ = 0;
      }
    }
    if (paused_ && buffered_ <= high_water_ / 2) {
      paused_ = false;
      resume = true;
    }
  }
  if (resume) resume_();
  return out;
}

void StreamBuffer::wait(std::shared_ptr<Mailbox> mailbox, RequestId id) {
  std::lock_guard lock(mutex_);
  waiter_mailbox_ = std::move(mailbox);
  waiter_id_ = id;
  if (buffered_ > 0 || finished_ || aborted_) wake_locked();
}

void StreamBuffer::abort() {
  {
    std::lock_guard lock(mutex_);
    if (aborted_ || finished_) {
      aborted_ = true;
      return;
    }
    aborted_ = true;
    chunks_.clear();
    buffered_ = 0;
    wake_locked();
  }
  abort_();
}

bool StreamBuffer::at_eof() const {
  std::lock_guard lock(mutex_);
  return buffered_ == 0 && (finished_ || aborted_);
}

std::size_t StreamBuffer::buffered() const {
  std::lock_guard lock(mutex_);
  return buffered_;
}

Error StreamBuffer::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void StreamBuffer::wake_locked() {
  if (waiter_id_ == 0) return;
  if (auto mb = waiter_mailbox_.lock()) {
    Outcome o;
    o.id = waiter_id_;
    mb->push(std::move(o));
  }
  waiter_id_ = 0;
  waiter_mailbox_.reset();
}

}  // namespace asiofetch
