// The engine answering attempts from a MockTable: no server, no socket, real policy machinery.
#include <gtest/gtest.h>

#include <thread>

#include "asiofetch/mock_transport.hpp"
#include "asiofetch/retry.hpp"
#include "support/engine_client.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<MockAnswer> answer(int status, std::string body = {}, Headers headers = {}) {
  auto a = std::make_shared<MockAnswer>();
  a->status = status;
  a->headers = std::move(headers);
  if (!body.empty()) a->chunks.emplace_back(Millis(0), std::move(body));
  return a;
}

std::size_t route(MockTable& t, std::string method, std::string url,
                  std::vector<std::shared_ptr<const MockAnswer>> answers, bool repeat_last = true) {
  MockRoute r;
  r.describe = method + " " + url;
  r.method = std::move(method);
  r.url_mode = MockRoute::UrlMode::Exact;
  r.url = std::move(url);
  r.answers = std::move(answers);
  r.repeat_last = repeat_last;
  return t.add_route(std::move(r));
}

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

class MockTransport : public ::testing::Test {
 protected:
  EngineClient c;
  std::shared_ptr<MockTable> table = std::make_shared<MockTable>();
  void SetUp() override { c.engine().install_mock(table); }
};

TEST_F(MockTransport, answers_status_headers_and_body_without_a_socket) {
  route(*table, "GET", "http://api.test/users", {answer(200, R"([{"id":1}])", {{"Content-Type", "application/json"}})});
  Outcome o = c.get("http://api.test/users");
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->body, R"([{"id":1}])");
  EXPECT_EQ(header(*o.response, "content-type"), "application/json");
  EXPECT_EQ(o.response->http_version, "1.1");
  EXPECT_EQ(o.response->url, "http://api.test/users");
  EXPECT_EQ(o.response->attempts, 1);
  EXPECT_EQ(c.engine().stats().sockets_opened, 0u);
  EXPECT_EQ(table->call_count(0), 1u);
}

TEST_F(MockTransport, unmatched_request_fails_with_the_route_list) {
  route(*table, "GET", "http://api.test/a", {answer(200)});
  Outcome o = c.get("http://api.test/b");
  ASSERT_FALSE(o.response);
  EXPECT_EQ(o.error.kind, ErrorKind::Other);
  EXPECT_EQ(o.error.message, "asiofetch.testing: no mocked route matches GET http://api.test/b; routes:\n  GET http://api.test/a");
}

TEST_F(MockTransport, native_retry_follows_503_with_retry_after) {
  auto busy = answer(503, "busy", {{"Retry-After", "0"}});
  route(*table, "GET", "http://api.test/r", {busy, busy, answer(200, "ok")}, false);
  RequestOptions o;
  auto p = std::make_shared<RetryPolicy>();
  p->attempts = 5;
  p->backoff_s = 0.001;
  o.retry = p;
  Outcome out = c.fetch(get("http://api.test/r"), o);
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->status, 200);
  EXPECT_EQ(out.response->body, "ok");
  EXPECT_EQ(out.response->attempts, 3);
  EXPECT_EQ(table->call_count(0), 3u);
}

TEST_F(MockTransport, a_mocked_connect_error_is_retried_like_a_real_one) {
  auto refused = std::make_shared<MockAnswer>();
  refused->error = Error{ErrorKind::Connect, 0, "mocked refusal"};
  route(*table, "GET", "http://api.test/c", {refused, answer(204)}, false);
  RequestOptions o;
  auto p = std::make_shared<RetryPolicy>();
  p->attempts = 2;
  p->backoff_s = 0.001;
  o.retry = p;
  Outcome out = c.fetch(get("http://api.test/c"), o);
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->status, 204);
  EXPECT_EQ(out.response->attempts, 2);

  Outcome used_up = c.get("http://api.test/c");
  ASSERT_FALSE(used_up.response);
  EXPECT_NE(used_up.error.message.find("GET http://api.test/c (all 2 answers used)"), std::string::npos)
      << used_up.error.message;

  route(*table, "GET", "http://api.test/refused", {refused});
  Outcome once = c.get("http://api.test/refused");  // without a policy the error is the outcome
  ASSERT_FALSE(once.response);
  EXPECT_EQ(once.error.kind, ErrorKind::Connect);
  EXPECT_EQ(once.error.message, "mocked refusal");
  EXPECT_EQ(once.error.url, "http://api.test/refused");
}

TEST_F(MockTransport, delay_past_the_read_timeout_is_a_read_timeout) {
  auto slow = answer(200);
  slow->chunks = {{Millis(0), "a"}, {Millis(5000), "b"}};
  route(*table, "GET", "http://api.test/slow", {slow});
  RequestOptions o;
  o.read_timeout = Millis(50);
  Outcome out = c.fetch(get("http://api.test/slow"), o);
  ASSERT_FALSE(out.response);
  EXPECT_EQ(out.error.kind, ErrorKind::ReadTimeout);
  EXPECT_EQ(out.error.message, "read timeout: no data for 50 ms (http://api.test/slow)");
}

TEST_F(MockTransport, head_delay_past_the_total_timeout_is_a_total_timeout) {
  auto slow = answer(200, "late");
  slow->head_delay = Millis(5000);
  route(*table, "GET", "http://api.test/late", {slow});
  RequestOptions o;
  o.total_timeout = Millis(50);
  Outcome out = c.fetch(get("http://api.test/late"), o);
  ASSERT_FALSE(out.response);
  EXPECT_EQ(out.error.kind, ErrorKind::TotalTimeout);
}

TEST_F(MockTransport, payload_error_after_the_body) {
  auto cut = answer(200, "partial");
  cut->error = Error{ErrorKind::PayloadIncomplete, 0, "mocked cut"};
  cut->error_after_body = true;
  route(*table, "GET", "http://api.test/cut", {cut});
  Outcome out = c.get("http://api.test/cut");
  ASSERT_FALSE(out.response);
  EXPECT_EQ(out.error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_EQ(out.error.message, "mocked cut");
  EXPECT_EQ(out.error.url, "http://api.test/cut");
}

TEST_F(MockTransport, redirects_are_followed_by_the_engine) {
  route(*table, "GET", "http://api.test/old", {answer(301, {}, {{"Location", "/new"}})});
  route(*table, "GET", "http://api.test/new", {answer(200, "moved")});
  Outcome out = c.get("http://api.test/old");
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->body, "moved");
  EXPECT_EQ(out.response->url, "http://api.test/new");
  ASSERT_EQ(out.response->history.size(), 1u);
  EXPECT_EQ(out.response->history[0].status, 301);
}

TEST_F(MockTransport, batch_items_are_answered_in_input_order) {
  for (int i = 0; i < 5; ++i) route(*table, "GET", "http://api.test/" + std::to_string(i), {answer(200 + i)});
  std::vector<Request> reqs;
  for (int i = 4; i >= 0; --i) reqs.push_back(get("http://api.test/" + std::to_string(i)));
  RequestId id = c.submit_batch(std::move(reqs), std::make_shared<RequestOptions>(), 2, false);
  Outcome o = c.wait(id);
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*o.batch)[i].response);
    EXPECT_EQ((*o.batch)[i].response->status, 204 - i);
  }
  EXPECT_EQ(c.engine().stats().sockets_opened, 0u);
}

TEST_F(MockTransport, python_checked_route_waits_for_its_reply) {
  std::size_t r = route(*table, "POST", "http://api.test/py", {answer(200)});
  table->set_mode(r, true, false);
  std::thread python([this] {
    auto job = table->next_job();
    ASSERT_TRUE(job);
    EXPECT_EQ(job->call.body, "{}");
    table->reply(job->token, true, answer(201, "from python"));
  });
  Request p;
  p.method = "POST";
  p.url = "http://api.test/py";
  p.body = "{}";
  Outcome out = c.fetch(p);
  python.join();
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->status, 201);
  EXPECT_EQ(out.response->body, "from python");
  EXPECT_EQ(table->call_count(r), 1u);
}

TEST_F(MockTransport, hedge_copy_is_answered_by_the_originals_table) {
  auto slow = answer(200, "slow");
  slow->head_delay = Millis(5000);
  std::size_t r = route(*table, "GET", "http://api.test/h", {slow, answer(200, "fast")}, false);
  RequestOptions o;
  o.hedge_after = Millis(30);
  o.hedge_max_extra = 1;
  RequestId id = c.submit(get("http://api.test/h"), o);
  // Uninstalled before the copy starts: the copy still belongs to the mocked request.
  ASSERT_TRUE(c.eventually([&] { return table->call_count(r) == 1; }));
  c.engine().install_mock(nullptr);
  Outcome out = c.wait(id);
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->body, "fast");
  EXPECT_EQ(out.response->hedge, 1);
  EXPECT_EQ(table->call_count(r), 2u);
  EXPECT_EQ(c.engine().stats().sockets_opened, 0u);
}

TEST_F(MockTransport, uninstalled_table_no_longer_answers_new_requests) {
  route(*table, "GET", "http://127.0.0.1:9/", {answer(200)});
  c.engine().install_mock(nullptr);
  RequestOptions o;
  o.connect_timeout = Millis(2000);
  Outcome out = c.fetch(get("http://127.0.0.1:9/"), o);  // the network: nothing listens on port 9
  ASSERT_FALSE(out.response);
  EXPECT_EQ(out.error.kind, ErrorKind::Connect);
  EXPECT_EQ(table->call_count(0), 0u);
  EXPECT_EQ(c.engine().stats().sockets_opened, 1u);  // the counter the mocked tests rely on counts
}

}  // namespace
}  // namespace asiofetch::testing
