// Retry policy: which failures are retried, and how long to wait before the next attempt.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "asiofetch/error.hpp"

namespace asiofetch {

// Error classes a policy may retry (bit mask).
enum RetryOn : std::uint32_t {
  RetryConnect = 1u << 0,     // DNS failure, refused, unreachable, TLS handshake reset
  RetryTimeout = 1u << 1,     // connect or read timeout of one attempt
  RetryDisconnect = 1u << 2,  // server closed the connection, body cut short
};

// Immutable once shared, except the RNG: the engine thread draws from it while a caller's
// thread may seed it, hence the lock.
struct RetryPolicy {
  int attempts = 3;                           // total attempts, the first one included
  double backoff_s = 0.1;                     // wait before the 2nd attempt
  double multiplier = 2.0;                    // each further wait is this much longer
  double max_backoff_s = 30.0;                // cap on one wait (Retry-After included)
  double jitter = 0.0;                        // 0..1: the wait is drawn from [d*(1-jitter), d]
  std::set<int> statuses{429, 500, 502, 503, 504};
  std::uint32_t errors = RetryConnect | RetryTimeout | RetryDisconnect;
  bool respect_retry_after = true;
  std::set<std::string, std::less<>> methods{"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"};
  double total_budget_s = 0;                  // 0: no limit on first attempt start -> last retry start

  bool retries_error(ErrorKind kind) const noexcept;
  bool retries_method(std::string_view method) const { return methods.count(method) > 0; }

  // The wait before attempt number `next_attempt` (2 for the first retry).
  std::chrono::milliseconds delay(int next_attempt, std::optional<double> retry_after_s) const;

  void seed(std::uint64_t s) const;

 private:
  mutable std::mutex rng_mutex_;
  mutable std::mt19937_64 rng_{std::random_device{}()};
};

// Retry-After as seconds ("120") or an HTTP-date; nullopt when unparseable. Past dates give 0.
std::optional<double> parse_retry_after(std::string_view value);

}  // namespace asiofetch
