// Semaphore and rate limit: native requests and Python-style waiters share them, FIFO.
#include "asiofetch/rate_limit.hpp"
#include "asiofetch/semaphore.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Limits : public ServerTest {};

TEST_F(Limits, semaphore_bounds_requests_across_sessions) {
  EngineClient c;
  SessionId other = c.open_session({});
  RequestOptions o;
  o.semaphore = std::make_shared<Semaphore>(2);
  std::vector<RequestId> ids;
  auto t0 = Clock::now();
  for (int i = 0; i < 6; ++i) ids.push_back(c.submit(make_request("GET", url("/delay/200")), o, i % 2 ? other : 0));
  for (RequestId id : ids) EXPECT_TRUE(c.wait(id).response);
  EXPECT_GE(Clock::now() - t0, 580ms);  // six 200 ms requests, two at a time: three rounds at least
  EXPECT_EQ(o.semaphore->available(), 2u);
}

TEST_F(Limits, semaphore_grants_waiters_in_order) {
  EngineClient c;
  auto sem = std::make_shared<Semaphore>(1);
  RequestId a = Engine::next_id(), b = Engine::next_id(), d = Engine::next_id();
  c.engine().semaphore_acquire(sem, a, c.mailbox());
  EXPECT_FALSE(c.wait(a).error);  // granted at once
  c.engine().semaphore_acquire(sem, b, c.mailbox());
  c.engine().semaphore_acquire(sem, d, c.mailbox());
  EXPECT_TRUE(c.wait_many(b, 1, 200ms).empty());  // queued behind a
  c.engine().semaphore_release(sem, a);
  EXPECT_FALSE(c.wait(b).error);
  EXPECT_TRUE(c.wait_many(d, 1, 200ms).empty());  // still behind b
  c.engine().semaphore_release(sem, b);
  EXPECT_FALSE(c.wait(d).error);
  c.engine().semaphore_release(sem, d);
  EXPECT_TRUE(c.eventually([&] { return sem->available() == 1; }));
}

TEST_F(Limits, cancelled_waiter_leaks_no_permit) {
  EngineClient c;
  auto sem = std::make_shared<Semaphore>(1);
  RequestId a = Engine::next_id(), b = Engine::next_id();
  c.engine().semaphore_acquire(sem, a, c.mailbox());
  c.wait(a);
  c.engine().semaphore_acquire(sem, b, c.mailbox());
  c.engine().semaphore_cancel(sem, b);  // gave up while queued
  c.engine().semaphore_release(sem, a);
  EXPECT_TRUE(c.eventually([&] { return sem->available() == 1; }));
  // Cancelling after the grant gives the permit back too.
  RequestId e = Engine::next_id();
  c.engine().semaphore_acquire(sem, e, c.mailbox());
  c.wait(e);
  c.engine().semaphore_cancel(sem, e);
  EXPECT_TRUE(c.eventually([&] { return sem->available() == 1; }));
}

TEST_F(Limits, cancelled_request_returns_its_permit) {
  EngineClient c;
  RequestOptions o;
  o.semaphore = std::make_shared<Semaphore>(1);
  RequestId hung = c.submit(make_request("GET", url("/hang")), o);
  RequestId queued = c.submit(make_request("GET", url("/bytes/1")), o);
  ASSERT_TRUE(c.eventually([&] { return o.semaphore->available() == 0; }));
  c.engine().cancel(hung);
  EXPECT_EQ(c.wait(hung).error.kind, ErrorKind::Cancelled);
  EXPECT_TRUE(c.wait(queued).response);
  EXPECT_TRUE(c.eventually([&] { return o.semaphore->available() == 1; }));
}

TEST_F(Limits, rate_limit_spaces_request_starts) {
  EngineClient c;
  RequestOptions o;
  o.rate_limit = std::make_shared<RateLimiter>(10.0, 1.0, 1.0);  // one start per 100 ms
  std::vector<RequestId> ids;
  auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) ids.push_back(c.submit(make_request("GET", url("/bytes/1")), o));
  for (RequestId id : ids) EXPECT_TRUE(c.wait(id).response);
  EXPECT_GE(Clock::now() - t0, 380ms);  // four gaps of 100 ms after the first token
}

TEST_F(Limits, rate_limit_burst_starts_at_once) {
  EngineClient c;
  RequestOptions o;
  o.rate_limit = std::make_shared<RateLimiter>(1.0, 10.0, 3.0);  // slow refill, burst of 3
  std::vector<RequestId> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(c.submit(make_request("GET", url("/bytes/1")), o));
  for (RequestId id : ids) EXPECT_TRUE(c.wait(id, 5s).response);  // no wait for a refill
  RequestId late = c.submit(make_request("GET", url("/bytes/1")), o);
  EXPECT_TRUE(c.wait_many(late, 1, 300ms).empty());  // the fourth waits about 10 s for a token
  c.engine().cancel(late);
  EXPECT_EQ(c.wait(late).error.kind, ErrorKind::Cancelled);
}

}  // namespace
}  // namespace asiofetch::testing
