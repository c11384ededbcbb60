// The scheduler without sockets: permits, rate tokens, pool slots, FIFO order, pool timeout.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "asiofetch/easy_setup.hpp"
#include "asiofetch/scheduler.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;

// A scheduler over one pool, driven the way the engine drives it: admit, then take the
// ready list in order; end() is the engine's release (leave, erase, after_release).
class Sched : public ::testing::Test {
 protected:
  void SetUp() override { make_pool({}); }

  void make_pool(PoolConfig cfg) { pool = std::make_unique<Pool>(1, cfg, counters); }

  Transfer& add(RequestId id, std::string origin = "http://a:80",
                std::shared_ptr<const RequestOptions> o = nullptr) {
    auto t = std::make_unique<Transfer>();
    t->id = id;
    t->pool = pool.get();
    t->origin = t->slot_origin = origin;
    t->req.url = origin + "/";
    t->opts = o ? o : opts;
    Transfer& ref = *t;
    transfers.emplace(id, std::move(t));
    return ref;
  }
  Transfer& submit(RequestId id, std::string origin = "http://a:80",
                   std::shared_ptr<const RequestOptions> o = nullptr) {
    Transfer& t = add(id, std::move(origin), std::move(o));
    sched.admit(t);
    return t;
  }
  std::vector<RequestId> ready() {
    std::vector<RequestId> out;
    while (sched.has_ready()) out.push_back(sched.pop_ready());
    return out;
  }
  void end(RequestId id) {
    Transfer& t = *transfers.at(id);
    const bool had_slot = t.state == Transfer::State::Active;
    std::shared_ptr<Semaphore> permit = t.holds_permit ? t.opts->semaphore : nullptr;
    sched.leave(t);
    transfers.erase(id);
    sched.after_release(*pool, had_slot, permit.get());
  }
  Transfer::State state(RequestId id) const { return transfers.at(id)->state; }

  static void on_ready(void* self) { ++static_cast<Sched*>(self)->ready_calls; }
  static void on_expired(void* self, Transfer& t) {
    auto& s = *static_cast<Sched*>(self);
    s.expired.push_back(t.id);
    s.end(t.id);  // the engine fails it, which releases it
  }
  static void on_granted(void* self, const std::shared_ptr<Mailbox>&, RequestId id) {
    static_cast<Sched*>(self)->granted.push_back(id);
  }

  boost::asio::io_context io;
  Registry transfers;
  Scheduler sched{io, transfers, Scheduler::Hooks{this, &on_ready, &on_expired, &on_granted}};
  std::shared_ptr<PoolCounters> counters = std::make_shared<PoolCounters>();
  std::unique_ptr<Pool> pool;
  std::shared_ptr<RequestOptions> opts = std::make_shared<RequestOptions>();
  int ready_calls = 0;
  std::vector<RequestId> expired, granted;
};

TEST_F(Sched, slots_go_in_submission_order) {
  make_pool({.limit = 2});
  for (RequestId id = 1; id <= 5; ++id) submit(id);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1, 2}));
  EXPECT_EQ(state(3), Transfer::State::Queued);
  EXPECT_EQ(sched.queued(), 3u);
  EXPECT_EQ(counters->queued.load(), 3u);
  EXPECT_EQ(counters->in_flight.load(), 2u);
  end(2);
  EXPECT_EQ(ready(), (std::vector<RequestId>{3}));
  end(1);
  end(3);
  EXPECT_EQ(ready(), (std::vector<RequestId>{4, 5}));
  EXPECT_EQ(sched.queued(), 0u);
  EXPECT_EQ(counters->completed.load(), 3u);
}

TEST_F(Sched, a_request_that_ends_while_queued_gives_up_its_turn) {
  make_pool({.limit = 1});
  submit(1);
  submit(2);
  submit(3);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1}));
  end(2);  // cancelled while queued
  EXPECT_EQ(sched.queued(), 1u);
  end(1);
  EXPECT_EQ(ready(), (std::vector<RequestId>{3}));
}

TEST_F(Sched, a_full_host_does_not_stall_other_hosts) {
  make_pool({.limit = 10, .limit_per_host = 1});
  submit(1, "http://a:80");
  submit(2, "http://a:80");
  submit(3, "http://b:80");
  submit(4, "http://a:80");
  submit(5, "http://b:80");
  EXPECT_EQ(ready(), (std::vector<RequestId>{1, 3}));
  end(1);
  EXPECT_EQ(ready(), (std::vector<RequestId>{2}));  // a's next, in order; b still full
  end(3);
  EXPECT_EQ(ready(), (std::vector<RequestId>{5}));
  end(2);
  EXPECT_EQ(ready(), (std::vector<RequestId>{4}));
}

TEST_F(Sched, semaphore_permits_go_first_in_first_out) {
  auto o = std::make_shared<RequestOptions>();
  o->semaphore = std::make_shared<Semaphore>(1);
  submit(1, "http://a:80", o);
  submit(2, "http://a:80", o);
  submit(3, "http://a:80", o);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1}));
  EXPECT_EQ(state(2), Transfer::State::Gated);
  EXPECT_EQ(o->semaphore->available(), 0u);
  end(1);
  EXPECT_EQ(ready(), (std::vector<RequestId>{2}));
  EXPECT_TRUE(transfers.at(2)->holds_permit);
  EXPECT_FALSE(transfers.at(3)->holds_permit);
  end(2);
  EXPECT_EQ(ready(), (std::vector<RequestId>{3}));
  end(3);
  EXPECT_TRUE(ready().empty());
  EXPECT_EQ(o->semaphore->available(), 1u);
}

TEST_F(Sched, a_permit_is_taken_before_the_slot_and_kept_while_queued) {
  make_pool({.limit = 1});
  auto o = std::make_shared<RequestOptions>();
  o->semaphore = std::make_shared<Semaphore>(2);
  submit(1, "http://a:80", o);
  submit(2, "http://a:80", o);
  submit(3, "http://a:80", o);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1}));
  EXPECT_EQ(state(2), Transfer::State::Queued);  // has a permit, waits for the slot
  EXPECT_TRUE(transfers.at(2)->holds_permit);
  EXPECT_EQ(state(3), Transfer::State::Gated);  // waits for a permit
  end(1);
  EXPECT_EQ(ready(), (std::vector<RequestId>{2}));
  EXPECT_EQ(state(3), Transfer::State::Queued);  // 1's permit went to 3, the slot is 2's
  end(2);
  EXPECT_EQ(ready(), (std::vector<RequestId>{3}));
}

TEST_F(Sched, python_and_native_waiters_share_one_fifo) {
  auto sem = std::make_shared<Semaphore>(1);
  auto o = std::make_shared<RequestOptions>();
  o->semaphore = sem;
  auto mb = std::make_shared<Mailbox>();
  EXPECT_TRUE(sched.sem_acquire(*sem, 100, mb));  // Python holds the only permit
  submit(1, "http://a:80", o);                    // native waiter
  EXPECT_FALSE(sched.sem_acquire(*sem, 101, mb)); // Python waiter behind it
  EXPECT_TRUE(ready().empty());
  sched.sem_release(*sem, 100);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1}));
  EXPECT_TRUE(granted.empty());
  end(1);
  EXPECT_EQ(granted, (std::vector<RequestId>{101}));
  sched.sem_cancel(*sem, 101);  // gave up after the grant: the permit comes back
  EXPECT_EQ(sem->available(), 1u);
}

TEST_F(Sched, a_cancelled_python_waiter_is_skipped) {
  auto sem = std::make_shared<Semaphore>(1);
  auto mb = std::make_shared<Mailbox>();
  EXPECT_TRUE(sched.sem_acquire(*sem, 100, mb));
  EXPECT_FALSE(sched.sem_acquire(*sem, 101, mb));
  EXPECT_FALSE(sched.sem_acquire(*sem, 102, mb));
  sched.sem_cancel(*sem, 101);
  sched.sem_release(*sem, 100);
  EXPECT_EQ(granted, (std::vector<RequestId>{102}));
}

TEST_F(Sched, the_rate_limiter_holds_requests_beyond_the_burst) {
  auto o = std::make_shared<RequestOptions>();
  o->rate_limit = std::make_shared<RateLimiter>(1.0, 3600.0, 2.0);  // 2 at once, then 1 an hour
  submit(1, "http://a:80", o);
  submit(2, "http://a:80", o);
  submit(3, "http://a:80", o);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1, 2}));
  EXPECT_EQ(state(3), Transfer::State::Gated);
  EXPECT_TRUE(o->rate_limit->timer_armed);
  EXPECT_EQ(o->rate_limit->waiters, (std::deque<RequestId>{3}));
}

TEST_F(Sched, pool_timeout_fails_only_the_request_still_queued) {
  make_pool({.limit = 1});
  auto o = std::make_shared<RequestOptions>();
  o->pool_timeout = 1ms;
  submit(1, "http://a:80", o);  // gets the slot: its timer never runs
  submit(2, "http://a:80", o);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1}));
  EXPECT_FALSE(transfers.at(1)->pool_timer.has_value());
  ASSERT_TRUE(transfers.at(2)->pool_timer.has_value());
  io.run();  // the only pending work is 2's pool timer
  EXPECT_EQ(expired, (std::vector<RequestId>{2}));
  EXPECT_EQ(sched.queued(), 0u);
  EXPECT_EQ(state(1), Transfer::State::Active);
}

TEST_F(Sched, a_slot_taken_before_the_pool_timeout_cancels_it) {
  make_pool({.limit = 1});
  auto o = std::make_shared<RequestOptions>();
  o->pool_timeout = 1h;
  submit(1, "http://a:80", o);
  submit(2, "http://a:80", o);
  end(1);
  EXPECT_EQ(ready(), (std::vector<RequestId>{1, 2}));
  EXPECT_FALSE(transfers.at(2)->pool_timer.has_value());
  io.run();  // nothing left to wait for
  EXPECT_TRUE(expired.empty());
}

TEST_F(Sched, multiplexed_requests_share_lane_zero_and_http1_spreads) {
  make_pool({.limit = 64});  // two lanes of 32
  auto h2 = std::make_shared<RequestOptions>();
  h2->http_version = HttpVersion::Http2PriorKnowledge;
  submit(1, "http://a:80", h2);
  submit(2, "http://a:80", h2);
  submit(3, "http://a:80");
  submit(4, "http://a:80");
  ready();
  EXPECT_EQ(transfers.at(1)->lane, 0u);
  EXPECT_EQ(transfers.at(2)->lane, 0u);
  EXPECT_EQ(transfers.at(3)->lane, 1u);  // lane 0 is busier
  EXPECT_EQ(transfers.at(4)->lane, 1u);  // 2 busy in each: the first least busy
}

// Issue 15: PIPEWAIT parks a request behind a connection still in its handshake, and libcurl
// wakes parked requests one per finished transfer; an HTTP/1.1 server closing after each
// response left bursts of them parked until the connect timeout. A request waits only where
// h2 is known, or asked for and not refused yet.
TEST_F(Sched, pipewait_only_where_h2_is_known_or_asked) {
  const std::string o = "https://a:443";
  EXPECT_FALSE(pool->pipewait(o, false));  // "any": ALPN may say h2, nothing waits for it
  EXPECT_TRUE(pool->pipewait(o, true));    // http2=True: wait, until the server answers
  pool->note_protocol(o, false);           // ALPN agreed on HTTP/1.1
  EXPECT_FALSE(pool->pipewait(o, true));
  EXPECT_FALSE(pool->pipewait(o, false));
  pool->note_protocol(o, true);            // later on h2
  EXPECT_TRUE(pool->pipewait(o, false));
  EXPECT_FALSE(pool->pipewait("https://b:443", false));  // per origin
}

TEST_F(Sched, known_protocols_stay_bounded) {
  for (std::size_t i = 0; i < Pool::kMaxKnownOrigins; ++i) pool->note_protocol("https://h" + std::to_string(i), true);
  EXPECT_EQ(pool->h2_origins.size(), Pool::kMaxKnownOrigins);
  EXPECT_TRUE(pool->pipewait("https://h0", false));
  pool->note_protocol("https://one-more", false);  // full: forget, then learn again
  EXPECT_EQ(pool->h2_origins.size(), 1u);
  EXPECT_FALSE(pool->pipewait("https://h0", false));
  EXPECT_TRUE(pool->pipewait("https://h0", true));
}

TEST(SchedulerMultiplex, agrees_with_the_curl_http_version) {
  for (HttpVersion v : {HttpVersion::Any, HttpVersion::Http1_1, HttpVersion::Http2, HttpVersion::Http2PriorKnowledge})
    for (const char* url : {"http://a/", "https://a/", "HTTPS://a/"}) {
      Transfer t;
      auto o = std::make_shared<RequestOptions>();
      o->http_version = v;
      t.opts = o;
      t.req.url = url;
      EXPECT_EQ(may_multiplex(v, url), curl_http_version(t) != CURL_HTTP_VERSION_1_1) << url;
    }
}

}  // namespace
}  // namespace asiofetch::testing
