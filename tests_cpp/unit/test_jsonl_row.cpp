// JSONL rows of the bulk-fetch job: orjson's float layout and escaping, strict UTF-8, base64, rows.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "asiofetch/jsonl_row.hpp"

namespace asiofetch::testing {
namespace {

using namespace jsonl;

std::string dbl(double v) {
  std::string s;
  append_double(s, v);
  return s;
}

std::string str(std::string_view v) {
  std::string s;
  append_string(s, v);
  return s;
}

std::string b64(std::string_view v) {
  std::string s;
  append_base64(s, v);
  return s;
}

// The expected texts are what orjson 3.x writes (python -c "import orjson; orjson.dumps(v)").
TEST(JsonlRow, doubles_are_laid_out_as_orjson_writes_them) {
  EXPECT_EQ(dbl(0.0), "0.0");
  EXPECT_EQ(dbl(-0.0), "-0.0");
  EXPECT_EQ(dbl(0.009173), "0.009173");
  EXPECT_EQ(dbl(1.2e-05), "0.000012");  // repr says 1.2e-05: orjson's threshold is one lower
  EXPECT_EQ(dbl(1e-05), "0.00001");
  EXPECT_EQ(dbl(1.234e-05), "0.00001234");
  EXPECT_EQ(dbl(5e-06), "5e-6");
  EXPECT_EQ(dbl(1.5e-06), "1.5e-6");
  EXPECT_EQ(dbl(1.5e-10), "1.5e-10");
  EXPECT_EQ(dbl(0.0001), "0.0001");
  EXPECT_EQ(dbl(123.456), "123.456");
  EXPECT_EQ(dbl(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(dbl(1e15), "1000000000000000.0");
  EXPECT_EQ(dbl(9999000000000000.0), "9999000000000000.0");
  EXPECT_EQ(dbl(1e16), "1e+16");
  EXPECT_EQ(dbl(1.5e16), "1.5e+16");
  EXPECT_EQ(dbl(12345678901234567.0), "1.2345678901234568e+16");
  EXPECT_EQ(dbl(1e308), "1e+308");
  EXPECT_EQ(dbl(2.5e-300), "2.5e-300");
  EXPECT_EQ(dbl(-30.5), "-30.5");
  EXPECT_EQ(dbl(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonlRow, strings_escape_quotes_backslashes_and_controls_only) {
  EXPECT_EQ(str("plain"), "\"plain\"");
  EXPECT_EQ(str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(str("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(str(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(str("\x7f"), "\"\x7f\"");                               // DEL as is
  EXPECT_EQ(str("\xc3\xa9\xe2\x80\xa8"), "\"\xc3\xa9\xe2\x80\xa8\"");  // é, U+2028 as is
}

TEST(JsonlRow, utf8_is_checked_as_strictly_as_pythons_codec) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("ascii"));
  EXPECT_TRUE(valid_utf8("\xc3\xa9"));
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));      // U+1F600
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc3"));                 // cut short
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));             // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));         // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));         // a surrogate (U+D800)
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));     // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));         // bad continuation
}

TEST(JsonlRow, base64_matches_rfc_4648) {  // RFC 4648 section 10's test vectors
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(b64("\xff\xfe"), "//4=");
}

RowFormat all_columns(std::size_t inline_max = 65536, bool spill = false) {
  RowFormat f;
  for (std::size_t i = 0; i < kColumns; ++i) f.columns.push_back(static_cast<Column>(i));
  f.inline_max = inline_max;
  f.spill_large = spill;
  return f;
}

Response response(std::string body) {
  Response r;
  r.status = 200;
  r.reason = "OK";
  r.http_version = "2";
  r.url = "http://h/x";
  r.headers = {{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  r.body = std::move(body);
  r.timings = {0.000012, 0.5, 0.0, 1.25, 2.0, 0.001};
  r.attempts = 2;
  return r;
}

TEST(JsonlRow, a_row_has_every_column_in_order) {
  std::string out;
  ASSERT_TRUE(append_row(out, all_columns(), {"k", 7, "GET", "http://h/x"}, response("hi")));
  EXPECT_EQ(out,
            "{\"key\":\"k\",\"line\":7,\"method\":\"GET\",\"url\":\"http://h/x\",\"final_url\":\"http://h/x\","
            "\"status\":200,\"reason\":\"OK\",\"http_version\":\"2.0\","
            "\"headers\":{\"content-type\":\"text/plain\",\"set-cookie\":\"a=1, b=2\"},\"bytes\":2,\"elapsed\":2.0,"
            "\"timings\":{\"dns\":0.000012,\"connect\":0.5,\"tls\":0.0,\"first_byte\":1.25,\"total\":2.0,"
            "\"queued\":0.001},\"attempts\":2,\"error_type\":null,\"error_message\":null,\"body\":\"hi\","
            "\"body_encoding\":\"utf-8\",\"body_path\":null}\n");
}

TEST(JsonlRow, bodies_inline_as_text_or_base64_and_large_ones_are_left_out) {
  RowFormat f;
  f.columns = {Column::Key, Column::Bytes, Column::Body, Column::BodyEncoding};
  f.inline_max = 4;
  std::string out;
  ASSERT_TRUE(append_row(out, f, {"a", 1, "GET", "u"}, response(std::string("\xff\x00", 2))));
  ASSERT_TRUE(append_row(out, f, {"b", 1, "GET", "u"}, response("")));
  ASSERT_TRUE(append_row(out, f, {"c", 1, "GET", "u"}, response("12345")));
  EXPECT_EQ(out,
            "{\"key\":\"a\",\"bytes\":2,\"body\":\"/wA=\",\"body_encoding\":\"base64\"}\n"
            "{\"key\":\"b\",\"bytes\":0,\"body\":null,\"body_encoding\":null}\n"
            "{\"key\":\"c\",\"bytes\":5,\"body\":null,\"body_encoding\":null}\n");
}

TEST(JsonlRow, rows_only_python_writes_the_same_way_are_refused_untouched) {
  std::string out = "kept";
  const RowRequest req{"k", 1, "GET", "u"};
  Response redirected = response("x");
  redirected.history.push_back(HopResponse{302, "Found", "http://h/y", "GET", {}});
  EXPECT_FALSE(append_row(out, all_columns(), req, redirected));
  Response bad_header = response("x");
  bad_header.headers.emplace_back("X-Bytes", "\xff");
  EXPECT_FALSE(append_row(out, all_columns(), req, bad_header));
  Response odd_name = response("x");
  odd_name.headers.emplace_back("X \"Odd\"", "v");
  EXPECT_FALSE(append_row(out, all_columns(), req, odd_name));
  Response odd_version = response("x");
  odd_version.http_version = "0.9";
  EXPECT_FALSE(append_row(out, all_columns(), req, odd_version));
  EXPECT_FALSE(append_row(out, all_columns(2, true), req, response("large")));  // a body file
  EXPECT_EQ(out, "kept");
}

TEST(JsonlRow, stats_count_bytes_classes_and_latency_buckets) {
  RowStats s;
  Response a = response("abc");
  Response b = response("");
  b.status = 404;
  b.timings.total = 0;  // no latency sample
  s.add(a);
  s.add(b);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.bytes, 3u);
  EXPECT_EQ(s.classes.at(2), 1u);
  EXPECT_EQ(s.classes.at(4), 1u);
  ASSERT_EQ(s.latency.size(), 1u);
  EXPECT_EQ(s.latency.begin()->first, 1458);  // int(math.log(2.0 * 1e6) / math.log(1.01))
}

}  // namespace
}  // namespace asiofetch::testing
