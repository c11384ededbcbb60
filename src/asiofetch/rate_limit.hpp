// A token bucket: at most `rate` request starts per `per` seconds, with bursts up to `burst`.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

#include "asiofetch/outcome.hpp"

namespace asiofetch {

// Engine thread only. Shared (by pointer) between the sessions, batches and requests that
// were given the same Python object; each attempt of a request takes one token.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate, double per_s, double burst);

  bool try_take(Clock::time_point now);
  // When the next token will exist (now if one does).
  Clock::time_point next_token_at(Clock::time_point now);

  std::deque<RequestId> waiters;  // FIFO of native requests; stale ids are skipped lazily
  bool timer_armed = false;

 private:
  void refill(Clock::time_point now);

  const double per_token_s_;  // seconds per token
  const double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace asiofetch
