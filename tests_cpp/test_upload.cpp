// Streamed request bodies through the engine: a replayable UploadSource is rewound and fed
// again for a retry and a 307, a one-shot one is not re-sent (counted by the fixture server);
// the read timeout waits for the body to be sent; a whole response reports its wire bytes.
#include <atomic>
#include <thread>

#include "asiofetch/retry.hpp"
#include "asiofetch/upload_source.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;
using Push = UploadSource::Push;

// What the Python feeder does, on a thread: feed the body in 1000-byte chunks, close, then
// wait for the end or a rewind (restart and feed it all again).
class Feeder {
 public:
  Feeder(std::shared_ptr<UploadSource> src, std::string body)
      : src_(std::move(src)), body_(std::move(body)), thread_([this] { run(); }) {}
  ~Feeder() {
    stop_ = true;
    thread_.join();
  }
  int passes() const { return passes_; }

 private:
  Push feed_once() {
    ++passes_;
    std::size_t pos = 0;
    while (pos < body_.size()) {
      if (stop_) return Push::Closed;
      std::string piece = body_.substr(pos, 1000);
      const Push r = src_->push(piece);
      if (r == Push::Accepted) pos += piece.size();
      else if (r == Push::Full) std::this_thread::sleep_for(1ms);
      else return r;
    }
    src_->close();
    return Push::Accepted;
  }
  void run() {
    while (!stop_ && !src_->detached()) {
      if (src_->rewound()) src_->restart();
      const Push r = feed_once();
      if (r == Push::Closed) return;
      while (r == Push::Accepted && !stop_ && !src_->detached() && !src_->rewound())
        std::this_thread::sleep_for(1ms);
    }
  }

  std::shared_ptr<UploadSource> src_;  // shared with the request; both threads use it
  std::string body_;
  std::atomic<bool> stop_{false};
  std::atomic<int> passes_{0};
  std::thread thread_;  // last: starts once the members above exist
};

class Upload : public ServerTest {};

std::string body_of(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

RequestOptions retrying(int attempts) {
  auto p = std::make_shared<RetryPolicy>();
  p->attempts = attempts;
  p->backoff_s = 0.01;
  p->jitter = 0;
  RequestOptions o;
  o.retry = p;
  return o;
}

Request put_streamed(const std::string& url, const std::shared_ptr<UploadSource>& src) {
  Request r = make_request("PUT", url);
  r.upload = src;
  return r;
}

TEST_F(Upload, a_replayable_body_is_fed_again_for_a_retry) {
  EngineClient c;
  const std::string body = body_of(300 * 1000);
  auto src = std::make_shared<UploadSource>(64 * 1024, static_cast<std::int64_t>(body.size()), true);
  Feeder feeder(src, body);
  auto o = c.fetch(put_streamed(url("/flaky?key=" + key() + "&fail=1&status=503"), src), retrying(3));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->attempts, 2);
  EXPECT_EQ(server().counter(key()), 2);
  EXPECT_TRUE(c.eventually([&] { return src->detached(); }));
  EXPECT_EQ(feeder.passes(), 2);
}

TEST_F(Upload, a_one_shot_body_is_not_retried) {
  EngineClient c;
  const std::string body = body_of(5000);
  auto src = std::make_shared<UploadSource>(64 * 1024, static_cast<std::int64_t>(body.size()));
  Feeder feeder(src, body);
  auto o = c.fetch(put_streamed(url("/flaky?key=" + key() + "&fail=1&status=503"), src), retrying(3));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 503);  // the answer it got: the body cannot go again
  EXPECT_EQ(o.response->attempts, 1);
  EXPECT_EQ(server().counter(key()), 1);
}

TEST_F(Upload, a_307_re_sends_a_replayable_body_whole) {
  EngineClient c;
  const std::string body = body_of(200 * 1000);
  auto src = std::make_shared<UploadSource>(64 * 1024, static_cast<std::int64_t>(body.size()), true);
  Feeder feeder(src, body);
  auto o = c.fetch(put_streamed(url("/redirect-to?status=307&url=/echo"), src));
  ASSERT_TRUE(o.response) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_NE(o.response->body.find("\"method\":\"PUT\""), std::string::npos);
  EXPECT_NE(o.response->body.find("\"body_length\":200000"), std::string::npos) << o.response->body.substr(0, 200);
  EXPECT_EQ(o.response->history.size(), 1u);
}

TEST_F(Upload, a_307_with_a_one_shot_body_fails_as_aiohttp_does) {
  EngineClient c;
  auto src = std::make_shared<UploadSource>(64 * 1024, 10);
  Feeder feeder(src, "0123456789");
  auto o = c.fetch(put_streamed(url("/redirect-to?status=307&url=/echo"), src));
  ASSERT_FALSE(o.response);
  EXPECT_EQ(o.error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_EQ(o.error.message.rfind("Cannot follow redirect with a consumed request body.", 0), 0u)
      << o.error.message;
}

TEST_F(Upload, read_timeout_waits_until_the_body_is_sent) {
  // aiohttp arms sock_read once the request body is written: a feeder slower than the read
  // timeout is not a silent server (its test_read_timeout_on_write).
  EngineClient c;
  auto src = std::make_shared<UploadSource>(64 * 1024);
  std::thread slow([src] {
    std::this_thread::sleep_for(400ms);
    src->push("foo");
    src->close();
  });
  RequestOptions o;
  o.read_timeout = Millis{100};
  auto out = c.fetch(put_streamed(url("/echo"), src), o);
  slow.join();
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->status, 200);
  EXPECT_NE(out.response->body.find("\"body_length\":3"), std::string::npos) << out.response->body.substr(0, 200);
}

TEST_F(Upload, a_whole_body_reports_its_wire_bytes_and_pause_mark) {
  EngineClient c;
  RequestOptions o;
  o.stream_high_water = 4096;
  auto out = c.fetch(make_request("GET", url("/bytes/100")), o);
  ASSERT_TRUE(out.response) << out.error.message;
  EXPECT_EQ(out.response->raw_bytes, 100u);
  EXPECT_EQ(out.response->high_water, 4096u);
}

}  // namespace
}  // namespace asiofetch::testing
