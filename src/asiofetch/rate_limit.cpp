#include "asiofetch/rate_limit.hpp"

#include <algorithm>

namespace asiofetch {

RateLimiter::RateLimiter(double rate, double per_s, double burst)
    : per_token_s_(per_s / rate), burst_(std::max(1.0, burst)), tokens_(burst_), last_(Clock::now()) {}

void RateLimiter::refill(Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed <= 0) return;
  tokens_ = std::min(burst_, tokens_ + elapsed / per_token_s_);
  last_ = now;
}

bool RateLimiter::try_take(Clock::time_point now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

RateLimiter::Clock::time_point RateLimiter::next_token_at(Clock::time_point now) {
  refill(now);
  if (tokens_ >= 1.0) return now;
  auto wait = std::chrono::duration<double>((1.0 - tokens_) * per_token_s_);
  return now + std::chrono::duration_cast<Clock::duration>(wait) + std::chrono::microseconds(1);
}

}  // namespace asiofetch
