// Response bodies: the head first with a fast path, bounded decoding of bombs, body errors.
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class Body : public ServerTest {};

constexpr std::size_t kMark = 256 * 1024;
constexpr std::size_t kWireChunk = 256 * 1024;  // libcurl's receive buffer (easy_setup.cpp)
constexpr std::size_t kDecodeStep = 64 * 1024;  // StreamBuffer's decode step

RequestOptions head_first(std::size_t high_water = kMark) {
  RequestOptions o;
  o.stream = true;
  o.stream_high_water = high_water;
  return o;
}

// Reads up to `limit` bytes (all when 0), waiting on the mailbox between reads; records the
// largest buffered() seen and checks every byte is `expect` when given.
std::string read_some(EngineClient& c, StreamBuffer& s, std::size_t limit, std::size_t& peak,
                      int expect = -1) {
  std::string out;
  for (;;) {
    peak = std::max(peak, s.buffered());
    if (limit && out.size() >= limit) return out;
    auto chunk = s.read(64 * 1024);
    if (chunk && chunk->empty()) return out;
    if (chunk) {
      if (expect >= 0) {
        for (char ch : *chunk) {
          EXPECT_EQ(ch, static_cast<char>(expect));
        }
      }
      out += *chunk;
      continue;
    }
    RequestId wake = Engine::next_id();
    s.wait(c.mailbox(), wake);
    c.wait(wake);
  }
}

TEST_F(Body, small_body_comes_whole_with_its_head) {
  // The fast path: the body arrived in the head's round, so one outcome carries both.
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/bytes/1000")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_FALSE(o.response->stream);
  EXPECT_EQ(o.response->body.size(), 1000u);
}

TEST_F(Body, head_returns_before_a_slow_body) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/drip?chunks=4&size=10&delay_ms=300")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream) << "the head must not wait for the body";
  EXPECT_FALSE(o.response->stream->at_eof());
  std::size_t peak = 0;
  EXPECT_EQ(read_some(c, *o.response->stream, 0, peak).size(), 40u);
  EXPECT_FALSE(o.response->stream->error());
}

TEST_F(Body, switching_protocols_is_returned_at_once) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/switching")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 101);
  if (o.response->stream) o.response->stream->abort();
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Body, endless_body_streams_bounded_and_aborts) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/endless")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  EXPECT_GE(read_some(c, *o.response->stream, 8u << 20, peak).size(), 8u << 20);
  EXPECT_LE(peak, kMark + kWireChunk);
  o.response->stream->abort();
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Body, cut_body_fails_the_stream_not_the_head) {
  // aiohttp raises ClientPayloadError from read(), not from the request.
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/close-mid-body?size=1000000")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  EXPECT_EQ(read_some(c, *o.response->stream, 0, peak).size(), 500000u);
  EXPECT_EQ(o.response->stream->error().kind, ErrorKind::PayloadIncomplete);
}

TEST_F(Body, read_timeout_after_the_head_fails_the_stream) {
  EngineClient c;
  RequestOptions opts = head_first();
  opts.read_timeout = Millis(300);
  auto o = c.fetch(make_request("GET", url("/drip?chunks=3&size=10&delay_ms=1000")), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  read_some(c, *o.response->stream, 0, peak);
  EXPECT_EQ(o.response->stream->error().kind, ErrorKind::ReadTimeout);
}

class Bomb : public ServerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(Bomb, stream_buffer_stays_under_the_mark_in_decoded_bytes) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url(std::string("/bomb/") + GetParam() + "?mib=64")), head_first());
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  const std::string got = read_some(c, *o.response->stream, 8u << 20, peak, 0);
  EXPECT_GE(got.size(), 8u << 20);
  EXPECT_LE(peak, kMark + kDecodeStep);
  o.response->stream->abort();
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_P(Bomb, whole_stream_decodes_to_the_exact_size) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url(std::string("/bomb/") + GetParam() + "?mib=64")), head_first(64 * 1024));
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  EXPECT_EQ(read_some(c, *o.response->stream, 0, peak, 0).size(), 64u << 20);
  EXPECT_FALSE(o.response->stream->error()) << o.response->stream->error().message;
  EXPECT_LE(peak, 64u * 1024 + kDecodeStep);
}

TEST_P(Bomb, batch_refuses_it_with_a_clear_error) {
  EngineClient c;
  auto opts = std::make_shared<RequestOptions>();
  auto o = c.wait(c.submit_batch({make_request("GET", url(std::string("/bomb/") + GetParam() + "?mib=64")),
                                  make_request("GET", url("/bytes/10"))},
                                 opts, 0, false));
  ASSERT_TRUE(o.batch);
  const Outcome& bomb = (*o.batch)[0];
  ASSERT_TRUE(bomb.error);
  EXPECT_EQ(bomb.error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_NE(bomb.error.message.find("decompression bomb"), std::string::npos) << bomb.error.message;
  ASSERT_TRUE((*o.batch)[1].response);
  EXPECT_EQ((*o.batch)[1].response->body.size(), 10u);
}

TEST_P(Bomb, truncated_stream_is_a_payload_error) {
  EngineClient c;
  auto path = std::string("/bomb/") + GetParam() + "?mib=1&truncate=3";
  auto o = c.fetch(make_request("GET", url(path)), head_first());
  ASSERT_FALSE(o.error) << "a body error belongs to the body: " << o.error.message;
  Error e;
  if (o.response->stream) {
    std::size_t peak = 0;
    read_some(c, *o.response->stream, 0, peak);
    e = o.response->stream->error();
  }
  EXPECT_EQ(e.kind, ErrorKind::PayloadIncomplete) << e.message;
  // Buffered (a batch) too.
  auto b = c.wait(c.submit_batch({make_request("GET", url(path))}, std::make_shared<RequestOptions>(), 0, false));
  ASSERT_TRUE(b.batch);
  EXPECT_EQ((*b.batch)[0].error.kind, ErrorKind::PayloadIncomplete) << (*b.batch)[0].error.message;
}

TEST_P(Bomb, corrupt_stream_is_a_payload_error) {
  EngineClient c;
  auto path = std::string("/bomb/") + GetParam() + "?mib=4&corrupt=1";
  auto b = c.wait(c.submit_batch({make_request("GET", url(path))}, std::make_shared<RequestOptions>(), 0, false));
  ASSERT_TRUE(b.batch);
  EXPECT_EQ((*b.batch)[0].error.kind, ErrorKind::PayloadIncomplete) << (*b.batch)[0].error.message;
}

TEST_P(Bomb, max_decompressed_size_fails_the_body) {
  EngineClient c;
  RequestOptions o = head_first();
  o.max_decompressed_size = 1u << 20;
  auto r = c.fetch(make_request("GET", url(std::string("/bomb/") + GetParam() + "?mib=64")), o);
  ASSERT_FALSE(r.error) << r.error.message;
  ASSERT_TRUE(r.response->stream);
  std::size_t peak = 0;
  const std::string got = read_some(c, *r.response->stream, 0, peak);
  EXPECT_LE(got.size(), 1u << 20);
  EXPECT_EQ(r.response->stream->error().kind, ErrorKind::PayloadIncomplete);
  EXPECT_NE(r.response->stream->error().message.find("max_decompressed_size=1048576"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Encodings, Bomb, ::testing::Values("gzip", "deflate", "br", "zstd"));

TEST_F(Body, chained_encodings_are_decoded_and_bounded) {
  EngineClient c;
  auto o = c.fetch(make_request("GET", url("/bomb/br?mib=16&chain=1")), head_first(64 * 1024));
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  std::size_t peak = 0;
  EXPECT_EQ(read_some(c, *o.response->stream, 0, peak, 0).size(), 16u << 20);
  EXPECT_FALSE(o.response->stream->error()) << o.response->stream->error().message;
  EXPECT_LE(peak, 64u * 1024 + kDecodeStep);
}

TEST_F(Body, max_body_size_counts_wire_bytes) {
  EngineClient c;
  RequestOptions o = head_first();
  o.max_body_size = 100000;
  auto r = c.fetch(make_request("GET", url("/bytes/1000000")), o);
  ASSERT_FALSE(r.error) << r.error.message;
  Error e;
  if (r.response->stream) {
    std::size_t peak = 0;
    read_some(c, *r.response->stream, 0, peak);
    e = r.response->stream->error();
  }
  EXPECT_EQ(e.kind, ErrorKind::PayloadIncomplete);
  EXPECT_NE(e.message.find("max_body_size=100000"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace asiofetch::testing
