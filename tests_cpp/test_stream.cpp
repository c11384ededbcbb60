// Stream mode: the head first, then the body through a bounded buffer with backpressure.
#include <poll.h>

#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class Stream : public ServerTest {};

// Reads the whole stream, waiting on the client's mailbox between reads.
std::string read_all(EngineClient& c, StreamBuffer& s, std::size_t* max_buffered = nullptr) {
  std::string out;
  for (;;) {
    if (max_buffered) *max_buffered = std::max(*max_buffered, s.buffered());
    auto chunk = s.read(16384);
    if (chunk && chunk->empty()) return out;
    if (chunk) {
      out += *chunk;
      continue;
    }
    RequestId wake = Engine::next_id();
    s.wait(c.mailbox(), wake);
    c.wait(wake);
  }
}

RequestOptions stream_opts(std::size_t high_water = 256 * 1024) {
  RequestOptions o;
  o.stream = true;
  o.stream_high_water = high_water;
  return o;
}

TEST_F(Stream, stream_delivers_head_then_body) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/drip?chunks=5&size=100&delay_ms=50")), stream_opts());
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  ASSERT_TRUE(o.response->stream);
  EXPECT_TRUE(o.response->body.empty());
  EXPECT_EQ(read_all(c, *o.response->stream).size(), 500u);
  EXPECT_FALSE(o.response->stream->error());
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Stream, stream_head_has_phase_timings_and_total_comes_with_the_end) {
  // The head goes out 500 ms before the body ends (a margin for a loaded machine): it
  // carries every phase up to the first byte, and `total` comes with the end of the stream.
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/drip?chunks=3&size=10&delay_ms=250")), stream_opts());
  ASSERT_FALSE(o.error) << o.error.message;
  const Timings& t = o.response->timings;
  EXPECT_GT(t.connect, 0.0);
  EXPECT_GE(t.first_byte, t.connect);
  EXPECT_EQ(t.total, 0.0);
  auto& s = *o.response->stream;
  EXPECT_EQ(s.total_time(), 0.0);
  EXPECT_EQ(read_all(c, s).size(), 30u);
  EXPECT_GE(s.total_time(), t.first_byte + 0.45);
}

TEST_F(Stream, stream_backpressure_bounds_buffer) {
  EngineClient c;
  const std::size_t high = 64 * 1024;
  auto o = c.fetch(make_request("GET", url("/bytes/8388608")), stream_opts(high));
  ASSERT_FALSE(o.error) << o.error.message;
  auto& s = *o.response->stream;
  // Nobody reads: the engine must stop at the high-water mark, not buffer 8 MiB.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::size_t peak = s.buffered();
  EXPECT_LE(peak, high + 256 * 1024) << "buffer grew past high water plus one libcurl chunk";
  EXPECT_EQ(read_all(c, s, &peak).size(), 8388608u);
  EXPECT_LE(peak, high + 256 * 1024);
}

TEST_F(Stream, stream_abort_stops_transfer) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/drip?chunks=1000&size=100&delay_ms=20")), stream_opts());
  ASSERT_FALSE(o.error) << o.error.message;
  o.response->stream->abort();
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  auto rest = o.response->stream->read(-1);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(rest->empty());
  EXPECT_FALSE(o.response->stream->error());
}

TEST_F(Stream, stream_error_after_head_reaches_reader) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/close-mid-body?size=100000")), stream_opts());
  ASSERT_FALSE(o.error) << o.error.message;
  read_all(c, *o.response->stream);
  EXPECT_EQ(o.response->stream->error().kind, ErrorKind::PayloadIncomplete);
}

TEST_F(Stream, stream_head_request_ends_at_once) {
  // No body: the response is complete with its head (the fast path), so no stream.
  EngineClient c;
  auto o = c.fetch(make_request("HEAD", url("/bytes/100")), stream_opts());
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_FALSE(o.response->stream);
  EXPECT_TRUE(o.response->body.empty());
}

}  // namespace
}  // namespace asiofetch::testing
