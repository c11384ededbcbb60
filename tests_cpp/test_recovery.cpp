// An exception on the engine thread fails the request or batch it belongs to; the engine goes on.
#include "asiofetch/fault.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;

class Recovery : public ServerTest {
 protected:
  void TearDown() override { fault::disarm(); }
};

TEST_F(Recovery, bad_alloc_while_starting_fails_that_request_only) {
  EngineClient c;
  fault::arm(fault::Site::Start, fault::Throw::BadAlloc);
  auto failed = c.get(url("/bytes/10"));
  ASSERT_FALSE(failed.response);
  EXPECT_EQ(failed.error.kind, ErrorKind::Other);
  EXPECT_EQ(failed.error.message, "asiofetch engine internal error: std::bad_alloc");
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  EXPECT_EQ(c.counters().in_flight.load(), 0u);  // its slot was given back

  auto ok = c.get(url("/bytes/10"));
  ASSERT_TRUE(ok.response) << ok.error.message;
  EXPECT_EQ(ok.response->status, 200);
  EXPECT_EQ(ok.response->body, "abcdefghij");
}

TEST_F(Recovery, a_throw_for_a_queued_request_does_not_strand_the_queue) {
  EngineClient c(PoolConfig{.limit = 1});
  RequestId first = c.submit(make_request("GET", url("/hang")));
  RequestId second = c.submit(make_request("GET", url("/bytes/3")));
  RequestId third = c.submit(make_request("GET", url("/bytes/4")));
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight.load() == 1 && c.counters().queued.load() == 2; }));
  // Armed while the first holds the only slot: cancelling it starts the second, which throws.
  fault::arm(fault::Site::Start, fault::Throw::Runtime);
  c.engine().cancel(first);
  EXPECT_EQ(c.wait(first).error.kind, ErrorKind::Cancelled);
  auto o2 = c.wait(second);
  ASSERT_FALSE(o2.response);
  EXPECT_EQ(o2.error.kind, ErrorKind::Other);
  EXPECT_EQ(o2.error.message, "asiofetch engine internal error: injected fault at site 0 (request " +
                                  std::to_string(second) + ")");
  auto o3 = c.wait(third);
  ASSERT_TRUE(o3.response) << o3.error.message;
  EXPECT_EQ(o3.response->body, "abcd");
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Recovery, a_throw_inside_a_libcurl_callback_fails_the_request) {
  EngineClient c;
  fault::arm(fault::Site::Body, fault::Throw::BadAlloc);
  auto failed = c.get(url("/bytes/10"));
  ASSERT_FALSE(failed.response);
  EXPECT_EQ(failed.error.kind, ErrorKind::Other);
  EXPECT_EQ(failed.error.curl_code, CURLE_WRITE_ERROR);
  EXPECT_EQ(failed.error.message, "asiofetch engine internal error: std::bad_alloc");

  auto ok = c.get(url("/bytes/10"));
  ASSERT_TRUE(ok.response) << ok.error.message;
  EXPECT_EQ(ok.response->status, 200);
}

TEST_F(Recovery, a_finished_handle_whose_request_cannot_be_read_still_ends_that_request) {
  // CURLINFO_PRIVATE failing for a finished handle: the request is found by its handle and
  // fails once, with the reason, instead of waiting for a timeout (it has none here).
  EngineClient c;
  fault::arm(fault::Site::Done, fault::Throw::Runtime);
  auto failed = c.get(url("/bytes/10"));
  ASSERT_FALSE(failed.response);
  EXPECT_EQ(failed.error.kind, ErrorKind::Other);
  EXPECT_EQ(failed.error.message, "asiofetch engine internal error: injected fault at site 2 (request 0)");
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  EXPECT_EQ(c.counters().in_flight.load(), 0u);

  auto ok = c.get(url("/bytes/10"));
  ASSERT_TRUE(ok.response) << ok.error.message;
  EXPECT_EQ(ok.response->body, "abcdefghij");
}

TEST_F(Recovery, a_throw_in_a_batch_fails_one_item_and_the_batch_completes) {
  EngineClient c;
  auto opts = std::make_shared<RequestOptions>();
  fault::arm(fault::Site::Start, fault::Throw::Runtime);
  RequestId id = c.submit_batch({make_request("GET", url("/bytes/1")), make_request("GET", url("/bytes/2")),
                                 make_request("GET", url("/bytes/3"))},
                                opts, 1, false);
  auto o = c.wait(id);
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), 3u);
  const Outcomes& items = *o.batch;
  ASSERT_FALSE(items[0].response);  // concurrency 1: the first start is the one that threw
  EXPECT_EQ(items[0].error.kind, ErrorKind::Other);
  ASSERT_TRUE(items[1].response);
  EXPECT_EQ(items[1].response->body, "ab");
  ASSERT_TRUE(items[2].response);
  EXPECT_EQ(items[2].response->body, "abc");
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

}  // namespace
}  // namespace asiofetch::testing
