#include "asiofetch/upload_source.hpp"

#include <algorithm>
#include <cstring>

#include "asiofetch/delivery.hpp"

namespace asiofetch {

UploadSource::UploadSource(std::size_t high_water, std::int64_t size, bool replayable)
    : high_water_(high_water ? high_water : 1), size_(size < 0 ? -1 : size), replayable_(replayable) {}

UploadSource::Push UploadSource::push(std::string chunk) {
  Hook resume;
  {
    std::lock_guard lock(mutex_);
    if (detached_) return Push::Closed;
    if (feeder_generation_ != generation_) return Push::Rewound;  // stale bytes: drop them
    if (closed_ || !failure_.empty()) return Push::Closed;  // a push after the end is ignored
    if (chunk.empty()) return Push::Accepted;
    if (buffered_ > 0 && buffered_ + chunk.size() > high_water_) return Push::Full;
    buffered_ += chunk.size();
    peak_ = std::max(peak_, buffered_);
    chunks_.push_back(std::move(chunk));
    if (reader_paused_) {
      reader_paused_ = false;
      resume = resume_;
    }
  }
  if (resume) resume();
  return Push::Accepted;
}

void UploadSource::close() {
  Hook resume;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || detached_ || feeder_generation_ != generation_) return;
    closed_ = true;
    if (reader_paused_) {
      reader_paused_ = false;
      resume = resume_;
    }
  }
  if (resume) resume();
}

void UploadSource::fail(std::string message) {
  Hook resume;
  {
    std::lock_guard lock(mutex_);
    if (detached_ || closed_ || !failure_.empty() || feeder_generation_ != generation_) return;
    failure_ = message.empty() ? std::string("the request body failed") : std::move(message);
    if (reader_paused_) {
      reader_paused_ = false;
      resume = resume_;
    }
  }
  if (resume) resume();
}

void UploadSource::wait(std::shared_ptr<Mailbox> mailbox, RequestId id) {
  std::lock_guard lock(mutex_);
  waiter_mailbox_ = std::move(mailbox);
  waiter_id_ = id;
  waiter_for_end_ = false;
  if (detached_ || feeder_generation_ != generation_ || buffered_ <= high_water_ / 2) wake_locked();
}

void UploadSource::wait_end(std::shared_ptr<Mailbox> mailbox, RequestId id) {
  std::lock_guard lock(mutex_);
  waiter_mailbox_ = std::move(mailbox);
  waiter_id_ = id;
  waiter_for_end_ = true;
  if (detached_ || feeder_generation_ != generation_) wake_locked();
}

bool UploadSource::rewound() const {
  std::lock_guard lock(mutex_);
  return feeder_generation_ != generation_;
}

void UploadSource::restart() {
  std::lock_guard lock(mutex_);
  feeder_generation_ = generation_;
}

bool UploadSource::rewind() {
  std::lock_guard lock(mutex_);
  if (!replayable_ || detached_ || !failure_.empty()) return false;
  ++generation_;
  chunks_.clear();
  buffered_ = 0;
  front_offset_ = 0;
  total_read_ = 0;
  closed_ = false;
  reader_paused_ = false;  // the next attempt's first read pauses again if nothing came yet
  wake_locked();           // a feeder waiting for room or for the end hears of it now
  return true;
}

void UploadSource::set_resume(Hook resume) {
  std::lock_guard lock(mutex_);
  resume_ = std::move(resume);
}

UploadSource::Read UploadSource::read(char* buf, std::size_t n) {
  std::lock_guard lock(mutex_);
  if (!failure_.empty() || detached_) return {Read::Kind::Abort};
  if (buffered_ == 0) {
    if (closed_) return {Read::Kind::End};
    reader_paused_ = true;
    return {Read::Kind::Pause};
  }
  std::size_t done = 0;
  while (done < n && !chunks_.empty()) {
    const std::string& front = chunks_.front();
    const std::size_t take = std::min(n - done, front.size() - front_offset_);
    std::memcpy(buf + done, front.data() + front_offset_, take);
    done += take;
    front_offset_ += take;
    if (front_offset_ == front.size()) {
      chunks_.pop_front();
      front_offset_ = 0;
    }
  }
  buffered_ -= done;
  total_read_ += done;
  if (!waiter_for_end_ && buffered_ <= high_water_ / 2) wake_locked();
  return {Read::Kind::Data, done};
}

void UploadSource::detach() {
  std::lock_guard lock(mutex_);
  if (detached_) return;
  detached_ = true;
  chunks_.clear();
  buffered_ = 0;
  front_offset_ = 0;
  resume_ = nullptr;  // it may hold the engine: nothing is resumed after the end
  wake_locked();
}

std::size_t UploadSource::buffered() const {
  std::lock_guard lock(mutex_);
  return buffered_;
}

std::size_t UploadSource::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

std::uint64_t UploadSource::total_read() const {
  std::lock_guard lock(mutex_);
  return total_read_;
}

bool UploadSource::drained() const {
  std::lock_guard lock(mutex_);
  return detached_ || (closed_ && buffered_ == 0);
}

bool UploadSource::detached() const {
  std::lock_guard lock(mutex_);
  return detached_;
}

std::string UploadSource::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void UploadSource::wake_locked() {
  if (waiter_id_ == 0) return;
  if (auto mb = waiter_mailbox_.lock()) Delivery::wake_waiter(mb, waiter_id_);
  waiter_id_ = 0;
  waiter_for_end_ = false;
  waiter_mailbox_.reset();
}

}  // namespace asiofetch
