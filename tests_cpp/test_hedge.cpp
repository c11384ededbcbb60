// Hedged requests and fallback URLs: one outcome per request, copies counted by the server.
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;

class Hedge : public ServerTest {};

RequestOptions hedged(std::chrono::milliseconds after, int extra) {
  RequestOptions o;
  o.hedge_after = after;
  o.hedge_max_extra = extra;
  return o;
}

TEST_F(Hedge, slow_request_gets_copies) {
  EngineClient c;
  auto o = c.get(url("/delay/400?key=" + key()), hedged(50ms, 2));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  // Every copy waits the same 400 ms and the original was sent 50 ms before the first copy,
  // so the original answers first.
  EXPECT_EQ(o.response->hedge, 0);
  EXPECT_EQ(server().counter(key()), 3);  // the original and two copies reached the server
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  EXPECT_TRUE(c.wait_many(o.id, 1, 200ms).empty());  // exactly one outcome
}

TEST_F(Hedge, hanging_original_loses_to_the_first_copy) {
  EngineClient c;
  // The first request with this key never gets an answer, later ones get one at once: the
  // copy started after 100 ms wins, and the second copy (due at 200 ms) is never started.
  auto o = c.get(url("/flaky?mode=hang&fail=1&key=" + key()), hedged(100ms, 2));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->hedge, 1);
  EXPECT_EQ(server().counter(key()), 2);
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));  // the original was cancelled
  EXPECT_TRUE(c.wait_many(o.id, 1, 200ms).empty());  // exactly one outcome
}

TEST_F(Hedge, fast_request_gets_no_copy) {
  EngineClient c;
  auto o = c.get(url("/bytes/1?key=" + key()), hedged(2s, 1));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->hedge, 0);
  EXPECT_EQ(server().counter(key()), 1);
}

TEST_F(Hedge, post_is_never_hedged) {
  EngineClient c;
  auto o = c.fetch(make_request("POST", url("/delay/300?key=" + key()), {}, "x"), hedged(50ms, 1));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(server().counter(key()), 1);
}

TEST_F(Hedge, cancel_stops_every_copy) {
  EngineClient c;
  RequestId id = c.submit(make_request("GET", url("/hang?key=" + key())), hedged(50ms, 1));
  ASSERT_TRUE(c.eventually([&] { return server().counter(key()) == 2; }));
  c.engine().cancel(id);
  EXPECT_EQ(c.wait(id).error.kind, ErrorKind::Cancelled);
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Hedge, last_failure_is_reported_once) {
  EngineClient c;
  RequestOptions o = hedged(50ms, 1);
  o.total_timeout = 400ms;
  RequestId id = c.submit(make_request("GET", url("/hang?key=" + key())), o);
  auto r = c.wait(id);
  EXPECT_EQ(r.error.kind, ErrorKind::TotalTimeout);
  EXPECT_EQ(server().counter(key()), 2);
  EXPECT_TRUE(c.wait_many(id, 1, 300ms).empty());
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Hedge, batch_items_deliver_once) {
  EngineClient c;
  auto opts = std::make_shared<RequestOptions>(hedged(50ms, 1));
  std::vector<Request> reqs;
  for (int i = 0; i < 3; ++i)
    reqs.push_back(make_request("GET", url("/delay/250?key=" + key() + std::to_string(i))));
  auto o = c.wait(c.submit_batch(std::move(reqs), opts, 0, true));
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), 3u);
  for (auto& r : *o.batch) EXPECT_TRUE(r.response);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(server().counter(key() + std::to_string(i)), 2);
}

TEST_F(Hedge, fallback_tries_next_url_on_error) {
  EngineClient c;
  Request r = make_request("GET", url("/close-before-response"));
  r.fallback = {url("/reset"), url("/bytes/5")};
  auto o = c.fetch(std::move(r));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->body, "abcde");
  EXPECT_EQ(o.response->url, url("/bytes/5"));  // says which URL answered
}

TEST_F(Hedge, fallback_on_server_error_status) {
  EngineClient c;
  Request r = make_request("GET", url("/status/503"));
  r.fallback = {url("/bytes/1")};
  auto o = c.fetch(std::move(r));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 200);
}

TEST_F(Hedge, fallback_exhausted_reports_the_last_error) {
  EngineClient c;
  Request r = make_request("GET", url("/bytes/1"));
  r.url = url("/close-before-response");
  r.fallback = {url("/status/502")};
  auto o = c.fetch(std::move(r));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 502);  // the last URL's answer
  EXPECT_EQ(o.response->url, url("/status/502"));
}

TEST_F(Hedge, client_error_status_does_not_fall_back) {
  EngineClient c;
  Request r = make_request("GET", url("/status/404?key=" + key()));
  r.fallback = {url("/bytes/1?key=" + key())};
  auto o = c.fetch(std::move(r));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 404);
  EXPECT_EQ(server().counter(key()), 1);
}

}  // namespace
}  // namespace asiofetch::testing
