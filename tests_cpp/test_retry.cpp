// Native retries: statuses, resets, Retry-After, methods, budgets, counted by the server.
#include "asiofetch/retry.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Retry : public ServerTest {};

RequestOptions with_retry(int attempts, double backoff_s = 0.01, double max_backoff_s = 5.0,
                          double total_budget_s = 0, std::initializer_list<const char*> more_methods = {}) {
  auto p = std::make_shared<RetryPolicy>();
  for (const char* m : more_methods) p->methods.insert(m);
  p->attempts = attempts;
  p->backoff_s = backoff_s;
  p->max_backoff_s = max_backoff_s;
  p->total_budget_s = total_budget_s;
  RequestOptions o;
  o.retry = p;
  return o;
}

TEST_F(Retry, retries_status_until_success) {
  EngineClient c;
  auto o = c.get(url("/flaky?key=" + key() + "&fail=2&status=503"), with_retry(3));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->attempts, 3);
  EXPECT_EQ(server().counter(key()), 3);
}

TEST_F(Retry, gives_up_after_attempts) {
  EngineClient c;
  auto o = c.get(url("/flaky?key=" + key() + "&fail=10&status=503"), with_retry(3));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 503);  // the last answer, as an HTTP response
  EXPECT_EQ(o.response->attempts, 3);
  EXPECT_EQ(server().counter(key()), 3);
}

TEST_F(Retry, retries_connection_reset) {
  EngineClient c;
  auto o = c.get(url("/flaky?key=" + key() + "&fail=1&mode=reset"), with_retry(2));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->attempts, 2);
  EXPECT_EQ(server().counter(key()), 2);
}

TEST_F(Retry, respects_retry_after) {
  EngineClient c;
  auto t0 = Clock::now();
  auto o = c.get(url("/flaky?key=" + key() + "&fail=1&status=503&retry_after=1"), with_retry(2));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 200);
  EXPECT_GE(Clock::now() - t0, 950ms);
}

TEST_F(Retry, retry_after_is_capped_by_max_backoff) {
  EngineClient c;
  auto t0 = Clock::now();
  auto o = c.get(url("/flaky?key=" + key() + "&fail=1&status=429&retry_after=3600"), with_retry(2, 0.01, 0.05));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 200);
  EXPECT_LT(Clock::now() - t0, 60s);  // an hour was asked for; the cap wins
}

TEST_F(Retry, post_is_not_retried_by_default) {
  EngineClient c;
  auto o = c.fetch(make_request("POST", url("/flaky?key=" + key() + "&fail=1&status=503"), {}, "x"), with_retry(3));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 503);
  EXPECT_EQ(o.response->attempts, 1);
  EXPECT_EQ(server().counter(key()), 1);
}

// libcurl re-sends a request by itself when a reused connection dies before any response
// byte. A POST reaches the server once and fails (aiohttp: ServerDisconnectedError); only a
// retry policy that names POST sends it again. A GET is re-sent, as aiohttp re-sends it.
TEST_F(Retry, post_on_a_dead_reused_connection_is_not_resent) {
  EngineClient c;
  const std::string post_key = key() + "-post", get_key = key() + "-get";
  ASSERT_FALSE(c.get(url("/bytes/1")).error);  // a keep-alive connection for the POST to reuse
  auto o = c.fetch(make_request("POST", url("/flaky?key=" + post_key + "&fail=1&mode=reset"), {}, "x"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::ServerDisconnected) << o.error.message;
  EXPECT_EQ(server().counter(post_key), 1);

  RequestOptions widened = with_retry(3, 0.01, 5.0, 0, {"POST"});
  ASSERT_FALSE(c.get(url("/bytes/1")).error);
  auto again = c.fetch(make_request("POST", url("/flaky?key=" + post_key + "-2&fail=1&mode=reset"), {}, "x"), widened);
  ASSERT_TRUE(again.response) << again.error.message;
  EXPECT_EQ(again.response->attempts, 2);
  EXPECT_EQ(server().counter(post_key + "-2"), 2);

  ASSERT_FALSE(c.get(url("/bytes/1")).error);
  auto g = c.get(url("/flaky?key=" + get_key + "&fail=1&mode=reset"));
  ASSERT_TRUE(g.response) << g.error.message;
  EXPECT_EQ(g.response->attempts, 1);  // libcurl's own re-send is not an attempt of ours
  EXPECT_EQ(server().counter(get_key), 2);
}

TEST_F(Retry, total_budget_stops_retrying) {
  EngineClient c;
  RequestOptions o = with_retry(5, 0.5, 5.0, 0.2);  // the first wait (0.5 s) exceeds the budget
  auto r = c.get(url("/flaky?key=" + key() + "&fail=10&status=503"), o);
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->attempts, 1);
}

TEST_F(Retry, status_outside_the_set_is_final) {
  EngineClient c;
  auto o = c.get(url("/flaky?key=" + key() + "&fail=1&status=404"), with_retry(3));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 404);
  EXPECT_EQ(server().counter(key()), 1);
}

TEST_F(Retry, batch_members_retry_natively) {
  EngineClient c;
  auto opts = std::make_shared<RequestOptions>(with_retry(3));
  std::vector<Request> reqs;
  for (int i = 0; i < 4; ++i)
    reqs.push_back(make_request("GET", url("/flaky?key=" + key() + std::to_string(i) + "&fail=2&status=502")));
  auto o = c.wait(c.submit_batch(std::move(reqs), opts, 2, true));
  ASSERT_TRUE(o.batch);
  for (int i = 0; i < 4; ++i) {
    auto& r = (*o.batch)[static_cast<std::size_t>(i)];
    ASSERT_TRUE(r.response);
    EXPECT_EQ(r.response->status, 200);
    EXPECT_EQ(r.response->attempts, 3);
    EXPECT_EQ(server().counter(key() + std::to_string(i)), 3);
  }
}

TEST(RetryUnits, parse_retry_after_forms) {
  EXPECT_EQ(parse_retry_after("120"), 120.0);
  EXPECT_EQ(parse_retry_after(" 7 "), 7.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), 0.0);  // in the past
  auto future = parse_retry_after("Fri, 31 Dec 2100 23:59:59 GMT");
  ASSERT_TRUE(future);
  EXPECT_GT(*future, 1e9);
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_FALSE(parse_retry_after(""));
}

TEST(RetryUnits, delay_grows_and_is_capped) {
  RetryPolicy p;
  p.backoff_s = 0.1;
  p.multiplier = 2;
  p.max_backoff_s = 0.3;
  EXPECT_EQ(p.delay(2, std::nullopt), 100ms);
  EXPECT_EQ(p.delay(3, std::nullopt), 200ms);
  EXPECT_EQ(p.delay(4, std::nullopt), 300ms);
  EXPECT_EQ(p.delay(2, 10.0), 300ms);
}

TEST(RetryUnits, jitter_stays_in_range_and_is_seedable) {
  RetryPolicy p;
  p.backoff_s = 1.0;
  p.jitter = 0.5;
  p.seed(42);
  std::vector<std::chrono::milliseconds> a;
  for (int i = 0; i < 50; ++i) {
    auto d = p.delay(2, std::nullopt);
    EXPECT_GE(d, 500ms);
    EXPECT_LE(d, 1000ms);
    a.push_back(d);
  }
  p.seed(42);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.delay(2, std::nullopt), a[static_cast<std::size_t>(i)]);
}

}  // namespace
}  // namespace asiofetch::testing
