// The attempt policy as pure decisions: retry (Retry-After, budgets), fallback, redirects, hedging.
#include <gtest/gtest.h>

#include <ctime>

#include "asiofetch/attempt_policy.hpp"
#include "asiofetch/headers.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Clock::time_point kNow = Clock::time_point{} + 1000s;

AttemptState state(int attempts, std::string_view method = "GET") {
  AttemptState s;
  s.attempts = attempts;
  s.has_original = true;
  s.method = method;
  s.first_started = kNow;
  return s;
}

AttemptEnd status(int code, const Headers* h = nullptr) { return AttemptEnd{nullptr, code, h}; }
AttemptEnd failure(const Error& e) { return AttemptEnd{&e, 0, nullptr}; }

// ---- retry --------------------------------------------------------------------------------

TEST(RetryDecision, backs_off_exponentially_until_attempts_are_used_up) {
  RetryPolicy p;  // 3 attempts, 0.1 s doubling
  EXPECT_EQ(decide_retry(&p, state(1), status(503), kNow), 100ms);
  EXPECT_EQ(decide_retry(&p, state(2), status(503), kNow), 200ms);
  EXPECT_EQ(decide_retry(&p, state(3), status(503), kNow), std::nullopt);
}

TEST(RetryDecision, no_policy_means_one_attempt) {
  EXPECT_EQ(decide_retry(nullptr, state(1), status(503), kNow), std::nullopt);
}

TEST(RetryDecision, only_listed_statuses_are_retried) {
  RetryPolicy p;
  for (int code : {429, 500, 502, 503, 504}) EXPECT_TRUE(decide_retry(&p, state(1), status(code), kNow)) << code;
  for (int code : {200, 301, 400, 404, 501}) EXPECT_FALSE(decide_retry(&p, state(1), status(code), kNow)) << code;
}

TEST(RetryDecision, only_idempotent_methods_are_retried_by_default) {
  RetryPolicy p;
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    EXPECT_TRUE(decide_retry(&p, state(1, m), status(503), kNow)) << m;
  for (const char* m : {"POST", "PATCH"}) EXPECT_FALSE(decide_retry(&p, state(1, m), status(503), kNow)) << m;
}

TEST(RetryDecision, transient_errors_are_retried_and_final_ones_are_not) {
  RetryPolicy p;
  for (ErrorKind k : {ErrorKind::Dns, ErrorKind::Connect, ErrorKind::Tls, ErrorKind::ConnectTimeout,
                      ErrorKind::ReadTimeout, ErrorKind::ServerDisconnected, ErrorKind::PayloadIncomplete}) {
    Error e{k, 0, ""};
    EXPECT_EQ(decide_retry(&p, state(1), failure(e), kNow), 100ms) << error_kind_name(k);
  }
  for (ErrorKind k : {ErrorKind::TlsCertificate, ErrorKind::InvalidUrl, ErrorKind::TotalTimeout,
                      ErrorKind::PoolTimeout, ErrorKind::TooManyRedirects, ErrorKind::Cancelled,
                      ErrorKind::SessionClosed, ErrorKind::Other}) {
    Error e{k, 0, ""};
    EXPECT_EQ(decide_retry(&p, state(1), failure(e), kNow), std::nullopt) << error_kind_name(k);
  }
  p.errors = RetryTimeout;
  Error refused{ErrorKind::Connect, 0, ""};
  EXPECT_EQ(decide_retry(&p, state(1), failure(refused), kNow), std::nullopt);
}

TEST(RetryDecision, retry_after_seconds_replace_the_backoff) {
  RetryPolicy p;
  Headers h{{"Retry-After", "2"}};
  EXPECT_EQ(decide_retry(&p, state(1), status(503, &h), kNow), 2000ms);
  p.respect_retry_after = false;
  EXPECT_EQ(decide_retry(&p, state(1), status(503, &h), kNow), 100ms);
}

TEST(RetryDecision, retry_after_is_capped_by_max_backoff) {
  RetryPolicy p;
  p.max_backoff_s = 0.05;
  Headers h{{"retry-after", "120"}};
  EXPECT_EQ(decide_retry(&p, state(1), status(429, &h), kNow), 50ms);
}

TEST(RetryDecision, a_past_retry_after_date_means_now_and_garbage_means_backoff) {
  RetryPolicy p;
  Headers past{{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  EXPECT_EQ(decide_retry(&p, state(1), status(503, &past), kNow), 0ms);
  Headers junk{{"Retry-After", "soon"}};
  EXPECT_EQ(decide_retry(&p, state(1), status(503, &junk), kNow), 100ms);
}

TEST(RetryDecision, a_future_retry_after_date_is_honoured) {
  RetryPolicy p;
  p.max_backoff_s = 1e6;
  const std::time_t when = std::time(nullptr) + 3600;
  char buf[64];
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  Headers h{{"Retry-After", buf}};
  auto wait = decide_retry(&p, state(1), status(503, &h), kNow);
  ASSERT_TRUE(wait);
  // The header has whole seconds and the clock may tick between formatting and parsing.
  EXPECT_TRUE(*wait == 3600s || *wait == 3599s) << wait->count();
}

TEST(RetryDecision, the_total_budget_stops_a_retry_that_would_start_too_late) {
  RetryPolicy p;
  p.total_budget_s = 0.25;
  AttemptState s = state(1);
  s.first_started = kNow - 100ms;
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), 100ms);  // starts 200 ms in: within
  s.first_started = kNow - 200ms;
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), std::nullopt);  // would start 300 ms in
}

TEST(RetryDecision, nothing_is_retried_once_too_late) {
  RetryPolicy p;
  AttemptState s = state(1);
  s.outcome_sent = true;  // a streamed head is out
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), std::nullopt);
  s = state(1);
  s.closing = true;
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), std::nullopt);
  s = state(1);
  s.batch_aborted = true;
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), std::nullopt);
  s = state(1);
  s.has_original = false;
  EXPECT_EQ(decide_retry(&p, s, status(503), kNow), std::nullopt);
}

TEST(RetryDecision, jitter_stays_within_its_band) {
  RetryPolicy p;
  p.jitter = 0.5;
  p.seed(42);
  for (int i = 0; i < 50; ++i) {
    auto w = decide_retry(&p, state(1), status(503), kNow);
    ASSERT_TRUE(w);
    EXPECT_GE(*w, 50ms);
    EXPECT_LE(*w, 100ms);
  }
}

// ---- fallback -----------------------------------------------------------------------------

TEST(FallbackDecision, server_errors_and_transport_failures_move_on) {
  Error refused{ErrorKind::Connect, 0, ""};
  EXPECT_TRUE(decide_fallback(state(1), 0, 1, status(500)));
  EXPECT_TRUE(decide_fallback(state(1), 0, 1, status(503)));
  EXPECT_TRUE(decide_fallback(state(1), 0, 1, failure(refused)));
  EXPECT_FALSE(decide_fallback(state(1), 0, 1, status(404)));
  EXPECT_FALSE(decide_fallback(state(1), 0, 1, status(200)));
}

TEST(FallbackDecision, cancel_close_and_the_end_of_the_list_stop_it) {
  Error cancelled{ErrorKind::Cancelled, 0, ""};
  Error closed{ErrorKind::SessionClosed, 0, ""};
  EXPECT_FALSE(decide_fallback(state(1), 0, 1, failure(cancelled)));
  EXPECT_FALSE(decide_fallback(state(1), 0, 1, failure(closed)));
  EXPECT_FALSE(decide_fallback(state(1), 1, 1, status(500)));  // every URL tried
  AttemptState s = state(1);
  s.outcome_sent = true;
  EXPECT_FALSE(decide_fallback(s, 0, 1, status(500)));
  s = state(1);
  s.closing = true;
  EXPECT_FALSE(decide_fallback(s, 0, 1, status(500)));
}

// ---- redirects ----------------------------------------------------------------------------

Request request(std::string method, std::string url, Headers h = {}, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(h);
  r.body = std::move(body);
  return r;
}

const std::string kOrigin = "http://a.test:80";

TEST(RedirectDecision, see_other_turns_everything_but_head_into_a_bodiless_get) {
  const std::string loc = "/next";
  for (const char* m : {"POST", "PUT", "DELETE", "GET"}) {
    Request r = request(m, "http://a.test/x", {{"Content-Length", "3"}, {"X-Keep", "1"}}, "abc");
    std::string origin = kOrigin;
    RedirectStep step = decide_redirect(r, origin, 303, &loc, 1, 10);
    ASSERT_FALSE(step.error) << m;
    EXPECT_TRUE(step.to_get) << m;
    apply_redirect(r, origin, std::move(step));
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.headers, (Headers{{"X-Keep", "1"}}));
    EXPECT_EQ(r.url, "http://a.test/next");
  }
  Request head = request("HEAD", "http://a.test/x");
  EXPECT_FALSE(decide_redirect(head, kOrigin, 303, &loc, 1, 10).to_get);
}

TEST(RedirectDecision, moved_and_found_change_only_post) {
  const std::string loc = "/next";
  for (int code : {301, 302}) {
    EXPECT_TRUE(decide_redirect(request("POST", "http://a.test/"), kOrigin, code, &loc, 1, 10).to_get) << code;
    EXPECT_FALSE(decide_redirect(request("PUT", "http://a.test/"), kOrigin, code, &loc, 1, 10).to_get) << code;
    EXPECT_FALSE(decide_redirect(request("GET", "http://a.test/"), kOrigin, code, &loc, 1, 10).to_get) << code;
  }
  for (int code : {307, 308}) {
    Request r = request("POST", "http://a.test/", {}, "abc");
    std::string origin = kOrigin;
    RedirectStep step = decide_redirect(r, origin, code, &loc, 1, 10);
    EXPECT_FALSE(step.to_get) << code;
    apply_redirect(r, origin, std::move(step));
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.body, "abc");
  }
}

TEST(RedirectDecision, credentials_stay_with_their_origin) {
  const Headers sent{{"Authorization", "Basic eDp5"}, {"Proxy-Authorization", "Basic cDpx"},
                     {"Cookie", "a=1"}, {"X-Other", "1"}};
  const std::string same = "/same", other = "http://b.test:8080/p", port = "http://a.test:81/p";
  Request r = request("GET", "http://a.test/x", sent);
  std::string origin = kOrigin;
  RedirectStep step = decide_redirect(r, origin, 302, &same, 1, 10);
  EXPECT_FALSE(step.cross_origin);
  apply_redirect(r, origin, std::move(step));
  EXPECT_EQ(r.headers, sent);
  EXPECT_EQ(origin, kOrigin);

  for (const std::string* loc : {&other, &port}) {
    Request x = request("GET", "http://a.test/x", sent);
    std::string o = kOrigin;
    RedirectStep s = decide_redirect(x, o, 302, loc, 1, 10);
    EXPECT_TRUE(s.cross_origin) << *loc;
    apply_redirect(x, o, std::move(s));
    EXPECT_EQ(x.headers, (Headers{{"X-Other", "1"}})) << *loc;
    EXPECT_EQ(x.url, *loc);
  }
  // A session's auth= goes to the new origin too (aiohttp applies it on every hop); the
  // caller's own credentials, cookies and proxy credentials still do not.
  Request x = request("GET", "http://a.test/x", sent);
  std::string o = kOrigin;
  RedirectStep s = decide_redirect(x, o, 302, &other, 1, 10);
  apply_redirect(x, o, std::move(s), "Basic c2Vzc2lvbjpwdw==");
  EXPECT_EQ(x.headers, (Headers{{"X-Other", "1"}, {"Authorization", "Basic c2Vzc2lvbjpwdw=="}}));
}

TEST(RedirectDecision, the_nth_redirect_fails_when_n_reaches_max_redirects) {
  const std::string loc = "/again";
  Request r = request("GET", "http://a.test/x");
  EXPECT_FALSE(decide_redirect(r, kOrigin, 302, &loc, 2, 3).error);
  RedirectStep step = decide_redirect(r, kOrigin, 302, &loc, 3, 3);
  ASSERT_TRUE(step.error);
  EXPECT_EQ(step.error->kind, ErrorKind::TooManyRedirects);
  EXPECT_EQ(step.error->message, "too many redirects (3), last to http://a.test/again");
}

TEST(RedirectDecision, unusable_locations_fail_with_invalid_url) {
  Request r = request("GET", "http://a.test/x");
  RedirectStep missing = decide_redirect(r, kOrigin, 302, nullptr, 1, 10);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->kind, ErrorKind::InvalidUrl);
  EXPECT_EQ(missing.error->message, "cannot follow redirect to ''");
  const std::string ftp = "ftp://a.test/file";
  RedirectStep other_scheme = decide_redirect(r, kOrigin, 302, &ftp, 1, 10);
  ASSERT_TRUE(other_scheme.error);
  EXPECT_EQ(other_scheme.error->kind, ErrorKind::InvalidUrl);
  EXPECT_TRUE(other_scheme.error->message.starts_with("redirect to a non-HTTP URL 'ftp://a.test/file'"))
      << other_scheme.error->message;
  // aiohttp's words for a Location that does not parse (its tests match on them), and the
  // Location as written in the error's URL.
  const std::string bad_port = "http://example.com:999999/path";
  RedirectStep unparsable = decide_redirect(r, kOrigin, 307, &bad_port, 1, 10);
  ASSERT_TRUE(unparsable.error);
  EXPECT_EQ(unparsable.error->sub_kind, ErrorSubKind::RedirectInvalidUrl);
  EXPECT_EQ(unparsable.error->url, bad_port);
  EXPECT_TRUE(unparsable.error->message.starts_with(
      "Server attempted redirecting to a location that does not look like a URL"))
      << unparsable.error->message;
}

TEST(RedirectDecision, relative_locations_resolve_against_the_current_url) {
  Request r = request("GET", "http://a.test/dir/page?q=1");
  const std::string rel = "other?x=2", up = "../top", abs_path = "/root";
  EXPECT_EQ(decide_redirect(r, kOrigin, 302, &rel, 1, 10).url, "http://a.test/dir/other?x=2");
  EXPECT_EQ(decide_redirect(r, kOrigin, 302, &up, 1, 10).url, "http://a.test/top");
  EXPECT_EQ(decide_redirect(r, kOrigin, 302, &abs_path, 1, 10).url, "http://a.test/root");
}

TEST(RedirectDecision, target_is_location_else_uri_and_never_empty) {
  EXPECT_EQ(redirect_target({{"Location", ""}}), nullptr);
  EXPECT_EQ(redirect_target({}), nullptr);
  ASSERT_NE(redirect_target({{"Location", ""}, {"URI", "/u"}}), nullptr);
  EXPECT_EQ(*redirect_target({{"Location", ""}, {"URI", "/u"}}), "/u");
  EXPECT_EQ(*redirect_target({{"location", "/l"}, {"URI", "/u"}}), "/l");
}

TEST(RedirectDecision, schemes_aiohttp_does_not_follow_and_references_without_authority) {
  const std::string skype = "skype:handle";
  RedirectStep s = decide_redirect(request("GET", "http://a.test/x"), kOrigin, 302, &skype, 1, 10);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->sub_kind, ErrorSubKind::RedirectNonHttp);
  EXPECT_EQ(s.error->url, "skype:handle");
  for (const std::string loc : {"http:/ok", "HTTP:/ok"}) {
    RedirectStep same = decide_redirect(request("GET", "http://a.test/x/y"), kOrigin, 302, &loc, 1, 10);
    ASSERT_FALSE(same.error) << loc << ": " << same.error->message;
    EXPECT_EQ(same.url, "http://a.test/ok") << loc;
    EXPECT_FALSE(same.cross_origin);
  }
  const std::string rel = "http:ok";
  EXPECT_EQ(decide_redirect(request("GET", "http://a.test/x/y"), kOrigin, 302, &rel, 1, 10).url, "http://a.test/x/ok");
  // From https, "http:/ok" names no host for the other scheme: refused, as aiohttp's origin().
  const std::string other = "http:/ok";
  RedirectStep down = decide_redirect(request("GET", "https://a.test/"), "https://a.test:443", 302, &other, 1, 10);
  ASSERT_TRUE(down.error);
  EXPECT_EQ(down.error->sub_kind, ErrorSubKind::RedirectInvalidUrl);
  // An empty authority is refused, not read as a host (aiohttp's test_invalid_redirect_url).
  for (const std::string empty : {"http:///example.com", "http://", "https:///?q"}) {
    RedirectStep none = decide_redirect(request("GET", "http://a.test/"), kOrigin, 302, &empty, 1, 10);
    ASSERT_TRUE(none.error) << empty;
    EXPECT_EQ(none.error->sub_kind, ErrorSubKind::RedirectInvalidUrl) << empty;
    EXPECT_EQ(none.error->url, empty);
    EXPECT_EQ(none.error->message, "Invalid redirect URL origin");
  }
  const std::string full = "http://b.test/z";
  EXPECT_TRUE(decide_redirect(request("GET", "http://a.test/"), kOrigin, 302, &full, 1, 10).cross_origin);
}

// ---- hedging ------------------------------------------------------------------------------

TEST(HedgeDecision, only_safe_unstreamed_originals_with_a_hedge_configured) {
  RequestOptions o;
  o.hedge_after = 50ms;
  o.hedge_max_extra = 2;
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) EXPECT_TRUE(is_hedged(o, request(m, "http://a/"), 0)) << m;
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH"}) EXPECT_FALSE(is_hedged(o, request(m, "http://a/"), 0)) << m;
  EXPECT_FALSE(is_hedged(o, request("GET", "http://a/"), 1));  // a copy is never hedged again
  RequestOptions streamed = o;
  streamed.stream = true;
  EXPECT_FALSE(is_hedged(streamed, request("GET", "http://a/"), 0));
  RequestOptions no_delay = o;
  no_delay.hedge_after = 0ms;
  EXPECT_FALSE(is_hedged(no_delay, request("GET", "http://a/"), 0));
  RequestOptions no_copies = o;
  no_copies.hedge_max_extra = 0;
  EXPECT_FALSE(is_hedged(no_copies, request("GET", "http://a/"), 0));
}

TEST(HedgeDecision, copies_stop_at_the_limit) {
  EXPECT_TRUE(may_hedge_again(0, 2));
  EXPECT_TRUE(may_hedge_again(1, 2));
  EXPECT_FALSE(may_hedge_again(2, 2));
}

}  // namespace
}  // namespace asiofetch::testing
