// Requests and responses on the happy path: bodies, methods, headers, encodings, timings.
#include <boost/json.hpp>

#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

namespace json = boost::json;

class Basic : public ServerTest {};

TEST_F(Basic, get_small_body) {
  EngineClient c;
  auto o = c.get(url("/bytes/100"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->reason, "OK");
  EXPECT_EQ(o.response->http_version, "1.1");
  EXPECT_EQ(o.response->body.size(), 100u);
  EXPECT_EQ(o.response->body.substr(0, 5), "abcde");
  EXPECT_EQ(header(*o.response, "content-length"), "100");
  EXPECT_EQ(o.response->url, url("/bytes/100"));
}

TEST_F(Basic, large_body) {
  EngineClient c;
  auto o = c.get(url("/bytes/5242880"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->body.size(), 5242880u);
}

TEST_F(Basic, echo_method_headers_body) {
  EngineClient c;
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "GET"}) {
    auto o = c.fetch(make_request(method, url("/echo?a=1"), {{"X-Test", "yes"}, {"X-Test", "again"}}, "payload-" + method));
    ASSERT_FALSE(o.error) << o.error.message;
    auto doc = json::parse(o.response->body).as_object();
    EXPECT_EQ(doc.at("method").as_string(), method);
    EXPECT_EQ(doc.at("query").as_string(), "a=1");
    EXPECT_EQ(doc.at("body").as_string(), "payload-" + method);
    int seen = 0;
    for (auto& h : doc.at("headers").as_array())
      if (h.as_array()[0].as_string() == "X-Test") ++seen;
    EXPECT_EQ(seen, 2) << method;
    EXPECT_EQ(o.response->method, method);
  }
}

TEST_F(Basic, post_without_body_sends_zero_length) {
  EngineClient c;
  auto o = c.fetch(make_request("POST", url("/echo")));
  ASSERT_FALSE(o.error) << o.error.message;
  auto doc = json::parse(o.response->body).as_object();
  EXPECT_EQ(doc.at("body_length").as_int64(), 0);
  bool form_type = false;
  for (auto& h : doc.at("headers").as_array())
    if (h.as_array()[0].as_string() == "Content-Type") form_type = true;
  EXPECT_FALSE(form_type) << "libcurl's default form Content-Type must not leak";
}

TEST_F(Basic, head_request_has_no_body) {
  EngineClient c;
  auto o = c.fetch(make_request("HEAD", url("/bytes/1000")));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_TRUE(o.response->body.empty());
  EXPECT_EQ(header(*o.response, "content-length"), "1000");
}

TEST_F(Basic, status_codes_pass_through) {
  EngineClient c;
  for (int code : {201, 204, 404, 418, 500, 503}) {
    auto o = c.get(url("/status/" + std::to_string(code)));
    ASSERT_FALSE(o.error) << o.error.message;
    EXPECT_EQ(o.response->status, code);
  }
}

TEST_F(Basic, headers_keep_order_and_duplicates) {
  EngineClient c;
  auto o = c.get(url("/headers-dup"));
  ASSERT_FALSE(o.error) << o.error.message;
  std::vector<std::string> dups;
  for (auto& [k, v] : o.response->headers)
    if (k == "X-Dup") dups.push_back(v);
  EXPECT_EQ(dups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(header(*o.response, "x-case"), "Mixed");
}

TEST_F(Basic, chunked_body) {
  EngineClient c;
  auto o = c.get(url("/chunked?chunks=10&size=1000"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->body.size(), 10000u);
}

TEST_F(Basic, compressed_bodies_are_decoded) {
  EngineClient c;
  for (std::string enc : {"gzip", "deflate", "br", "zstd"}) {
    auto o = c.get(url("/" + enc));
    ASSERT_FALSE(o.error) << enc << ": " << o.error.message;
    auto doc = json::parse(o.response->body).as_object();
    EXPECT_EQ(doc.at("compressed").as_string(), enc);
  }
}

TEST_F(Basic, auto_decompress_off_keeps_raw_bytes) {
  EngineClient c;
  RequestOptions opts;
  opts.auto_decompress = false;
  auto o = c.fetch(make_request("GET", url("/gzip"), {{"Accept-Encoding", "gzip"}}), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_GE(o.response->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(o.response->body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(o.response->body[1]), 0x8b);
}

TEST_F(Basic, timings_are_populated) {
  EngineClient c;
  auto o = c.get(url("/bytes/10"));
  ASSERT_FALSE(o.error) << o.error.message;
  const auto& t = o.response->timings;
  EXPECT_GT(t.connect, 0.0);
  EXPECT_GE(t.first_byte, t.connect);
  EXPECT_GE(t.total, t.first_byte);
  EXPECT_GE(t.queued, 0.0);
}

TEST_F(Basic, many_concurrent_requests) {
  PoolConfig cfg;
  cfg.limit = 200;
  EngineClient c(cfg);
  std::vector<RequestId> ids;
  for (int i = 0; i < 2000; ++i) ids.push_back(c.submit(make_request("GET", url("/bytes/" + std::to_string(i % 300)))));
  for (int i = 0; i < 2000; ++i) {
    auto o = c.wait(ids[i]);
    ASSERT_FALSE(o.error) << o.error.message;
    ASSERT_EQ(o.response->body.size(), static_cast<std::size_t>(i % 300));
  }
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  EXPECT_LE(c.engine().stats().easy_handles, 256u);
}

TEST_F(Basic, header_sets_shared_between_requests_in_flight_stay_their_own) {
  // Requests sending the same header lines share one native header list while in flight
  // (header_lists.hpp keeps the last few). Six sets, more than it keeps, interleaved with and
  // without a body: every request must send exactly its own lines, and no Expect.
  PoolConfig cfg;
  cfg.limit = 50;
  EngineClient c(cfg);
  auto set_of = [](int k) {
    Headers h{{"X-Set", std::to_string(k)}};
    for (int j = 0; j < k; ++j) h.emplace_back("X-Line-" + std::to_string(j), std::string(static_cast<std::size_t>(j + 1), 'v'));
    return h;
  };
  std::vector<RequestId> ids;
  for (int i = 0; i < 300; ++i) {
    const int k = i % 6;
    const bool post = (i / 6) % 2 == 1;
    ids.push_back(c.submit(make_request(post ? "POST" : "GET", url("/echo"), set_of(k), post ? "body" : "")));
  }
  for (int i = 0; i < 300; ++i) {
    auto o = c.wait(ids[static_cast<std::size_t>(i)]);
    ASSERT_FALSE(o.error) << o.error.message;
    Headers sent;
    const json::value doc = json::parse(o.response->body);
    for (auto& h : doc.as_object().at("headers").as_array()) {
      std::string name(h.as_array()[0].as_string());
      if (name.starts_with("X-") || name == "Expect") sent.emplace_back(name, std::string(h.as_array()[1].as_string()));
    }
    EXPECT_EQ(sent, set_of(i % 6)) << "request " << i;
  }
}

}  // namespace
}  // namespace asiofetch::testing
