#include "asiofetch/retry.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace asiofetch {

bool RetryPolicy::retries_error(ErrorKind kind) const noexcept {
  switch (kind) {
    case ErrorKind::Dns:
    case ErrorKind::Connect:
    case ErrorKind::Tls:
      return errors & RetryConnect;
    case ErrorKind::ConnectTimeout:
    case ErrorKind::ReadTimeout:
      return errors & RetryTimeout;
    case ErrorKind::ServerDisconnected:
    case ErrorKind::PayloadIncomplete:
      return errors & RetryDisconnect;
    default:
      // Certificates, bad URLs, redirects, pool waits, cancels and the total timeout are
      // not transient: trying again cannot change the answer or would exceed the caller's bound.
      return false;
  }
}

std::chrono::milliseconds RetryPolicy::delay(int next_attempt, std::optional<double> retry_after_s) const {
  double d;
  if (retry_after_s) {
    d = *retry_after_s;  // the server's word, not jittered
  } else {
    d = backoff_s * std::pow(multiplier, std::max(0, next_attempt - 2));
    if (jitter > 0) {
      std::lock_guard lock(rng_mutex_);
      std::uniform_real_distribution<double> u(1.0 - std::min(jitter, 1.0), 1.0);
      d *= u(rng_);
    }
  }
  d = std::clamp(d, 0.0, max_backoff_s);
  return std::chrono::milliseconds(static_cast<long long>(std::llround(d * 1000.0)));
}

void RetryPolicy::seed(std::uint64_t s) const {
  std::lock_guard lock(rng_mutex_);
  rng_.seed(s);
}

std::optional<double> parse_retry_after(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return 1e9;  // absurdly long: max_backoff caps it anyway
    return static_cast<double>(std::stoul(std::string(v)));
  }
  // IMF-fixdate, the form RFC 9110 requires senders to use: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string s(v);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const std::time_t when = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  return when > now ? static_cast<double>(when - now) : 0.0;
}

}  // namespace asiofetch
