// Sessions: keep-alive reuse, isolation, limits and queueing, cancellation, close, shutdown.
#include <set>

#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class Pool : public ServerTest {};

TEST_F(Pool, keep_alive_reuses_connection) {
  EngineClient c;
  auto a = c.get(url("/bytes/10"));
  auto b = c.get(url("/bytes/10"));
  ASSERT_FALSE(a.error);
  ASSERT_FALSE(b.error);
  EXPECT_EQ(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
  EXPECT_EQ(header(*b.response, "x-request-count"), "2");
}

TEST_F(Pool, waves_of_concurrent_requests_reuse_their_connections) {
  // 64 at once spread over several connection-cache lanes (limit 100); the second wave must
  // find the first wave's connections again, lane by lane: no more than 64 ever opened.
  PoolConfig cfg;
  cfg.limit = 100;
  EngineClient c(cfg);
  std::set<std::string> connections;
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<RequestId> ids;
    for (int i = 0; i < 64; ++i) ids.push_back(c.submit(make_request("GET", url("/delay/50"))));
    for (auto id : ids) {
      auto o = c.wait(id);
      ASSERT_FALSE(o.error) << o.error.message;
      connections.insert(header(*o.response, "x-connection-id"));
    }
  }
  EXPECT_LE(connections.size(), 64u);
}

TEST_F(Pool, force_close_opens_new_connections) {
  PoolConfig cfg;
  cfg.force_close = true;
  EngineClient c(cfg);
  auto a = c.get(url("/bytes/10"));
  auto b = c.get(url("/bytes/10"));
  ASSERT_FALSE(a.error);
  ASSERT_FALSE(b.error);
  EXPECT_NE(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
}

TEST_F(Pool, sessions_do_not_share_connections) {
  EngineClient c;
  SessionId other = c.open_session({});
  auto a = c.get(url("/bytes/10"));
  auto b = c.fetch(make_request("GET", url("/bytes/10")), {}, other);
  ASSERT_FALSE(a.error);
  ASSERT_FALSE(b.error);
  EXPECT_NE(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
}

TEST_F(Pool, session_limit_queues_requests) {
  PoolConfig cfg;
  cfg.limit = 2;
  EngineClient c(cfg);
  std::vector<RequestId> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(c.submit(make_request("GET", url("/hang"))));
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight == 2 && c.counters().queued == 4; }));
  for (auto id : ids) c.engine().cancel(id);
  for (auto id : ids) EXPECT_EQ(c.wait(id).error.kind, ErrorKind::Cancelled);
  EXPECT_TRUE(c.eventually([&] { return c.counters().in_flight == 0 && c.counters().queued == 0; }));
}

TEST_F(Pool, limit_per_host_does_not_block_other_hosts) {
  PoolConfig cfg;
  cfg.limit = 10;
  cfg.limit_per_host = 1;
  EngineClient c(cfg);
  auto hung = c.submit(make_request("GET", url("/hang")));
  auto queued = c.submit(make_request("GET", url("/bytes/1")));
  // Another origin (localhost vs 127.0.0.1) still gets a slot at once.
  auto other = c.fetch(make_request("GET", "http://localhost:" + std::to_string(server().port()) + "/bytes/3"));
  ASSERT_FALSE(other.error) << other.error.message;
  EXPECT_EQ(other.response->body.size(), 3u);
  EXPECT_EQ(c.counters().queued, 1u);
  c.engine().cancel(hung);
  auto q = c.wait(queued);
  ASSERT_FALSE(q.error) << q.error.message;
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::Cancelled);
}

TEST_F(Pool, pool_timeout_bounds_the_wait_for_a_slot) {
  PoolConfig cfg;
  cfg.limit = 1;
  EngineClient c(cfg);
  auto hung = c.submit(make_request("GET", url("/hang")));
  RequestOptions opts;
  opts.pool_timeout = Millis(100);
  opts.connect_timeout = Millis(50);  // must not fire: the wait for a slot is not connecting
  auto o = c.fetch(make_request("GET", url("/bytes/1")), opts);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::PoolTimeout) << o.error.message;
  c.engine().cancel(hung);
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::Cancelled);
}

TEST_F(Pool, cancel_in_flight_frees_slot) {
  PoolConfig cfg;
  cfg.limit = 1;
  EngineClient c(cfg);
  auto hung = c.submit(make_request("GET", url("/hang")));
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight == 1; }));
  c.engine().cancel(hung);
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::Cancelled);
  auto next = c.get(url("/bytes/5"));
  ASSERT_FALSE(next.error) << next.error.message;
  EXPECT_EQ(c.engine().stats().in_flight, 0u);
}

TEST_F(Pool, cancel_after_completion_is_harmless) {
  EngineClient c;
  auto id = c.submit(make_request("GET", url("/bytes/5")));
  auto o = c.wait(id);
  ASSERT_FALSE(o.error);
  c.engine().cancel(id);
  auto again = c.get(url("/bytes/5"));
  EXPECT_FALSE(again.error);
}

TEST_F(Pool, session_close_fails_in_flight) {
  EngineClient c;
  auto hung = c.submit(make_request("GET", url("/hang")));
  auto queued_after_close = RequestId{0};
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight == 1; }));
  c.engine().close_session(c.session());
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::SessionClosed);
  queued_after_close = c.submit(make_request("GET", url("/bytes/1")));
  EXPECT_EQ(c.wait(queued_after_close).error.kind, ErrorKind::SessionClosed);
}

TEST_F(Pool, engine_stop_fails_pending) {
  EngineClient c;
  auto hung = c.submit(make_request("GET", url("/hang")));
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight == 1; }));
  c.engine().stop();
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::SessionClosed);
  auto late = c.submit(make_request("GET", url("/bytes/1")));
  EXPECT_EQ(c.wait(late).error.kind, ErrorKind::SessionClosed);
}

TEST_F(Pool, every_request_of_a_storm_ends_exactly_once) {
  PoolConfig cfg;
  cfg.limit = 50;
  EngineClient c(cfg);
  std::vector<RequestId> ids;
  for (int i = 0; i < 2000; ++i) {
    ids.push_back(c.submit(make_request("GET", url(i % 3 ? "/delay/20" : "/bytes/10"))));
    if (i % 7 == 0) c.engine().cancel(ids[static_cast<std::size_t>(i / 2)]);
  }
  std::size_t ok = 0, cancelled = 0;
  for (auto id : ids) {
    auto o = c.wait(id);
    if (!o.error) ++ok;
    else if (o.error.kind == ErrorKind::Cancelled) ++cancelled;
    else ADD_FAILURE() << o.error.message;
  }
  EXPECT_EQ(ok + cancelled, ids.size());
  EXPECT_GT(cancelled, 0u);
  // Nothing more arrives: each id got exactly one outcome.
  EXPECT_TRUE(c.mailbox()->take_all().empty());
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

}  // namespace
}  // namespace asiofetch::testing
