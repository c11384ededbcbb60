#include "asiofetch/stream_buffer.hpp"

#include <algorithm>

#include "asiofetch/delivery.hpp"

namespace asiofetch {

namespace {

// Decoded bytes per decode step: small enough that one step never overshoots the mark by
// much, large enough that a step costs little next to copying its output.
constexpr std::size_t kDecodeStep = 64 * 1024;

}  // namespace

Error body_limit_error(bool decoded, std::uint64_t limit) {
  return Error{ErrorKind::PayloadIncomplete, 0,
               decoded ? "response body larger than max_decompressed_size=" + std::to_string(limit) +
                             " bytes (after Content-Encoding decoding)"
                       : "response body larger than max_body_size=" + std::to_string(limit) + " bytes"};
}

StreamBuffer::StreamBuffer(std::size_t high_water, Hook resume, Hook abort)
    : high_water_(high_water ? high_water : 1), resume_(std::move(resume)), abort_(std::move(abort)) {}

void StreamBuffer::start(std::unique_ptr<ContentDecoder> decoder, BodyLimits limits, std::string decoded,
                         std::uint64_t raw_so_far, bool paused) {
  std::lock_guard lock(mutex_);
  decoder_ = std::move(decoder);
  limits_ = limits;
  raw_total_ = raw_so_far;
  paused_ = paused;
  if (!decoded.empty()) push_locked(std::move(decoded));
  pump_locked();
}

StreamBuffer::Offer StreamBuffer::offer(std::string_view data) {
  std::lock_guard lock(mutex_);
  if (aborted_) return Offer::Taken;  // swallow: the transfer is being stopped
  if (failed_) return Offer::Failed;
  pump_locked();
  if (failed_) return Offer::Failed;
  if (buffered_ >= high_water_ || (decoder_ && decoder_->has_more())) {
    paused_ = true;
    return Offer::Full;
  }
  raw_total_ += data.size();
  if (limits_.max_body && raw_total_ > limits_.max_body) {
    fail_locked(body_limit_error(false, limits_.max_body));
    return Offer::Failed;
  }
  if (!decoder_) return push_locked(std::string(data)) ? Offer::Taken : Offer::Failed;
  decoder_->feed(data);
  pump_locked();
  return failed_ ? Offer::Failed : Offer::Taken;
}

void StreamBuffer::finish(Error error, double total) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  total_ = total;
  if (!aborted_ && !failed_) error_ = std::move(error);
  pump_locked();
  wake_locked();
}

std::optional<std::string> StreamBuffer::read(std::ptrdiff_t n) {
  bool resume = false;
  bool stop = false;
  bool nothing = false;
  std::string out;
  {
    std::lock_guard lock(mutex_);
    const bool failed_before = failed_;
    if (buffered_ == 0) pump_locked();
    if (buffered_ == 0) {
      nothing = !ended_locked();
    } else {
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
      // Decode ahead while the consumer works on what it got (bounded by the mark).
      pump_locked();
    }
    // A decoding failure found here (not on the engine thread) must stop the transfer.
    stop = failed_ && !failed_before && !finished_;
    if (paused_ && !failed_ && buffered_ <= high_water_ / 2 && !(decoder_ && decoder_->has_more())) {
      paused_ = false;
      resume = true;
    }
  }
  if (stop) abort_();
  if (resume) resume_();
  if (nothing) return std::nullopt;
  return out;
}

void StreamBuffer::wait(std::shared_ptr<Mailbox> mailbox, RequestId id) {
  bool stop = false;
  {
    std::lock_guard lock(mutex_);
    waiter_mailbox_ = std::move(mailbox);
    waiter_id_ = id;
    const bool failed_before = failed_;
    if (buffered_ == 0) pump_locked();
    stop = failed_ && !failed_before && !finished_;
    if (buffered_ > 0 || ended_locked()) wake_locked();
  }
  if (stop) abort_();
}

void StreamBuffer::abort() {
  {
    std::lock_guard lock(mutex_);
    if (aborted_ || finished_ || failed_) {
      aborted_ = true;
      return;
    }
    aborted_ = true;
    chunks_.clear();
    buffered_ = 0;
    decoder_.reset();
    wake_locked();
  }
  abort_();
}

bool StreamBuffer::at_eof() const {
  std::lock_guard lock(mutex_);
  return buffered_ == 0 && ended_locked();
}

std::size_t StreamBuffer::buffered() const {
  std::lock_guard lock(mutex_);
  return buffered_;
}

std::uint64_t StreamBuffer::raw_bytes() const {
  std::lock_guard lock(mutex_);
  return raw_total_;
}

bool StreamBuffer::paused() const {
  std::lock_guard lock(mutex_);
  return paused_;
}

Error StreamBuffer::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

double StreamBuffer::total_time() const {
  std::lock_guard lock(mutex_);
  return total_;
}

bool StreamBuffer::ended_locked() const {
  return aborted_ || failed_ || (finished_ && (error_ || !decoder_ || checked_));
}

bool StreamBuffer::push_locked(std::string chunk) {
  decoded_total_ += chunk.size();
  if (limits_.max_decoded && decoded_total_ > limits_.max_decoded) {
    fail_locked(body_limit_error(true, limits_.max_decoded));
    return false;
  }
  buffered_ += chunk.size();
  chunks_.push_back(std::move(chunk));
  wake_locked();
  return true;
}

void StreamBuffer::pump_locked() {
  if (!decoder_ || failed_ || aborted_) return;
  try {
    while (buffered_ < high_water_) {
      std::string chunk;
      if (decoder_->decode(chunk, std::min(kDecodeStep, high_water_ - buffered_)) == 0) break;
      if (!push_locked(std::move(chunk))) return;
    }
    if (finished_ && !checked_ && !error_ && !decoder_->has_more()) {
      checked_ = true;
      decoder_->finish();
      wake_locked();
    }
  } catch (const DecodeError& e) {
    fail_locked(Error{ErrorKind::PayloadIncomplete, 0,
                      "Can not decode content-encoding: " + decoder_->encoding() + " (" + e.what() + ")"});
  }
}

void StreamBuffer::fail_locked(Error e) {
  failed_ = true;
  error_ = std::move(e);
  decoder_.reset();
  wake_locked();
}

void StreamBuffer::wake_locked() {
  if (waiter_id_ == 0) return;
  if (auto mb = waiter_mailbox_.lock()) Delivery::wake_waiter(mb, waiter_id_);
  waiter_id_ = 0;
  waiter_mailbox_.reset();
}

}  // namespace asiofetch
