// ContentDecoder: every codec, chains, bounded output per step, truncation and corruption.
#include <gtest/gtest.h>

#include "asiofetch/content_decoder.hpp"
#include "compression.hpp"

namespace asiofetch {
namespace {

using fixture::Encoding;

std::string sample(std::size_t n) {
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i) + " of the sample body\n";
  s.resize(n);
  return s;
}

// Decodes all of `wire` fed in `feed` byte pieces, pulling at most `step` bytes per call;
// fails the test if one call returns more than asked.
std::string decode_all(ContentDecoder& d, const std::string& wire, std::size_t feed, std::size_t step) {
  std::string out;
  for (std::size_t pos = 0; pos < wire.size(); pos += feed) {
    d.feed(std::string_view(wire).substr(pos, feed));
    for (;;) {
      const std::size_t before = out.size();
      const std::size_t n = d.decode(out, step);
      EXPECT_LE(n, step);
      EXPECT_EQ(out.size() - before, n);
      if (n == 0) break;
    }
  }
  EXPECT_FALSE(d.has_more());
  d.finish();
  return out;
}

struct Codec {
  const char* name;
  Encoding enc;
};

class EachCodec : public ::testing::TestWithParam<Codec> {};

TEST_P(EachCodec, RoundTripsInSmallPiecesAndSmallSteps) {
  const std::string body = sample(300 * 1024);
  const std::string wire = fixture::compress(GetParam().enc, body);
  auto d = ContentDecoder::create(GetParam().name);
  ASSERT_TRUE(d);
  EXPECT_EQ(decode_all(*d, wire, 7, 1000), body);
}

TEST_P(EachCodec, BombOutputIsBoundedPerStep) {
  // 64 MiB of zeros: every decode() call returns at most its step, and what the decoder holds
  // back is never more than the compressed input (it never decodes ahead).
  const std::string wire = fixture::compress_zeros(GetParam().enc, 64u << 20);
  auto d = ContentDecoder::create(GetParam().name);
  ASSERT_TRUE(d);
  d->feed(wire);
  std::string out;
  std::size_t total = 0;
  for (;;) {
    out.clear();
    const std::size_t n = d->decode(out, 64 * 1024);
    ASSERT_LE(n, 64u * 1024);
    ASSERT_EQ(out.size(), n);
    ASSERT_LE(out.capacity(), 2u * 64 * 1024);
    if (n == 0) break;
    total += n;
  }
  EXPECT_EQ(total, 64u << 20);
  d->finish();
}

TEST_P(EachCodec, TruncatedStreamFailsAtFinish) {
  const std::string wire = fixture::compress(GetParam().enc, sample(100 * 1024));
  auto d = ContentDecoder::create(GetParam().name);
  ASSERT_TRUE(d);
  d->feed(std::string_view(wire).substr(0, wire.size() - 4));
  std::string out;
  while (d->decode(out, 1 << 20) > 0) {
  }
  EXPECT_THROW(d->finish(), DecodeError);
}

TEST_P(EachCodec, CorruptStreamThrows) {
  std::string wire = fixture::compress(GetParam().enc, sample(100 * 1024));
  for (std::size_t i = wire.size() / 3; i < wire.size() / 3 + 32; ++i) wire[i] = '\x5a';
  auto d = ContentDecoder::create(GetParam().name);
  ASSERT_TRUE(d);
  d->feed(wire);
  std::string out;
  EXPECT_THROW(
      {
        while (d->decode(out, 1 << 20) > 0) {
        }
        d->finish();
      },
      DecodeError);
}

TEST_P(EachCodec, NoInputIsNoError) {
  // A HEAD, 204 or 304 answer carries the header and no body at all.
  auto d = ContentDecoder::create(GetParam().name);
  ASSERT_TRUE(d);
  std::string out;
  EXPECT_EQ(d->decode(out, 100), 0u);
  EXPECT_NO_THROW(d->finish());
}

INSTANTIATE_TEST_SUITE_P(Codecs, EachCodec,
                         ::testing::Values(Codec{"gzip", Encoding::gzip}, Codec{"deflate", Encoding::deflate},
                                           Codec{"br", Encoding::br}, Codec{"zstd", Encoding::zstd}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ContentDecoder, ChainIsDecodedLastEncodingFirst) {
  // "Content-Encoding: gzip, br": gzip was applied first, so br is undone first.
  const std::string body = sample(200 * 1024);
  const std::string wire = fixture::compress(Encoding::br, fixture::compress(Encoding::gzip, body));
  auto d = ContentDecoder::create("gzip, br");
  ASSERT_TRUE(d);
  EXPECT_EQ(decode_all(*d, wire, 1000, 4096), body);
}

TEST(ContentDecoder, ChainedBombIsBoundedPerStep) {
  const std::string wire = fixture::compress(Encoding::zstd, fixture::compress_zeros(Encoding::gzip, 32u << 20));
  auto d = ContentDecoder::create("gzip, zstd");
  ASSERT_TRUE(d);
  d->feed(wire);
  std::string out;
  std::size_t total = 0;
  for (;;) {
    out.clear();
    const std::size_t n = d->decode(out, 10000);
    ASSERT_LE(n, 10000u);
    if (n == 0) break;
    total += n;
  }
  EXPECT_EQ(total, 32u << 20);
}

TEST(ContentDecoder, RawDeflateIsAcceptedLikeAiohttp) {
  // Some servers send "deflate" without the zlib wrapper; aiohttp falls back to raw deflate.
  const std::string body = sample(50 * 1024);
  const std::string zlib = fixture::compress(Encoding::deflate, body);
  const std::string raw = zlib.substr(2, zlib.size() - 6);  // strip the 2-byte header, 4-byte Adler-32
  auto d = ContentDecoder::create("deflate");
  ASSERT_TRUE(d);
  EXPECT_EQ(decode_all(*d, raw, 333, 5000), body);
}

TEST(ContentDecoder, IdentityAndUnknownEncodingsAreNotDecoded) {
  EXPECT_FALSE(ContentDecoder::create(""));
  EXPECT_FALSE(ContentDecoder::create("identity"));
  EXPECT_FALSE(ContentDecoder::create(" identity , "));
  // As aiohttp: a body in an encoding it does not know is handed over as sent.
  EXPECT_FALSE(ContentDecoder::create("compress"));
  EXPECT_FALSE(ContentDecoder::create("gzip, x-custom"));
  EXPECT_TRUE(ContentDecoder::create("GZip"));
  EXPECT_TRUE(ContentDecoder::create("x-gzip"));
}

TEST(ContentDecoder, AcceptEncodingNamesEveryCodecOfThisBuild) {
  EXPECT_STREQ(ContentDecoder::accept_encoding(), "gzip, deflate, br, zstd");
}

}  // namespace
}  // namespace asiofetch
