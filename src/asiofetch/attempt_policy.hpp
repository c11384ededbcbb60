// What to do after an attempt ends: retry, fall back, follow a redirect, hedge. Pure: no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "asiofetch/error.hpp"
#include "asiofetch/request.hpp"
#include "asiofetch/retry.hpp"

namespace asiofetch {

// Every function here is a pure decision over its arguments (plus the policy's jitter RNG):
// callable from any thread, no clock read, no engine state. The engine applies the answer.

// The part of a request's state the retry and fallback decisions look at.
struct AttemptState {
  int attempts = 0;                  // attempts started so far (the one that just ended included)
  bool has_original = false;         // the request as submitted is kept (retry/fallback/hedge)
  std::string_view method;           // of the request as submitted
  bool outcome_sent = false;         // a streamed head went out: too late to start over
  bool closing = false;              // the engine stops
  bool batch_aborted = false;        // the request's batch is aborted: no retry (a fallback may run)
  std::chrono::steady_clock::time_point first_started{};  // the retry budget counts from here
};

// How the attempt ended: an error, or a response (status and headers of the final hop).
struct AttemptEnd {
  const Error* error = nullptr;      // null: a response came
  int status = 0;
  const Headers* headers = nullptr;  // the response's, for Retry-After
};

// The wait before the next attempt, or nullopt: no retry (no policy, attempts used up, method
// or failure not retried, or the wait would pass the policy's total budget).
std::optional<Millis> decide_retry(const RetryPolicy* policy, const AttemptState& s, const AttemptEnd& end,
                                   std::chrono::steady_clock::time_point now);

// Whether to restart on the next fallback URL: only when one is left, and only for a failure
// a different server could fix (a transport error other than cancel/close, or a 5xx).
bool decide_fallback(const AttemptState& s, std::size_t fallback_pos, std::size_t fallback_count,
                     const AttemptEnd& end);

// A redirect response to follow. `hops` counts the redirects so far, this one included.
struct RedirectStep {
  std::optional<Error> error;        // set: the request ends with it
  std::string url;                   // the next hop's absolute URL
  std::string origin;                // scheme://host:port of `url`
  bool to_get = false;               // the method becomes GET, the body and Content-Length go
  bool cross_origin = false;         // Authorization and Cookie are dropped
};
// Where a redirect response points: `Location`, else `URI`, as aiohttp reads them; null when
// neither is there or both are empty, and then the response is returned, not followed.
const std::string* redirect_target(const Headers& headers);
RedirectStep decide_redirect(const Request& req, const std::string& origin, int status,
                             const std::string* location, std::size_t hops, int max_redirects);
// Applies a step without an error to the request; returns the new origin.
// `session_authorization`: re-sent to the new origin after a cross-origin hop drops the
// caller's credentials (aiohttp applies a session's auth= on every hop; "" for none).
void apply_redirect(Request& req, std::string& origin, RedirectStep&& step,
                    const std::string& session_authorization = {});

// Whether a new request is hedged: GET/HEAD/OPTIONS, not streamed, with a hedge configured.
bool is_hedged(const RequestOptions& opts, const Request& req, int copy);
// Whether the group may launch one more copy.
bool may_hedge_again(int launched, int max_extra);

}  // namespace asiofetch
