// Redirects followed natively with aiohttp's rules: history, limits, method changes, origins.
#include <boost/json.hpp>

#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

namespace json = boost::json;

class Redirects : public ServerTest {};

bool echo_has_header(const std::string& body, std::string_view name) {
  const json::value doc = json::parse(body);  // must outlive the loop (no C++23 lifetime extension)
  for (auto& h : doc.as_object().at("headers").as_array())
    if (h.as_array()[0].as_string() == name) return true;
  return false;
}

TEST_F(Redirects, redirect_chain_is_followed_with_history) {
  EngineClient c;
  auto o = c.get(url("/redirect/3"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->body, "done");
  ASSERT_EQ(o.response->history.size(), 3u);
  EXPECT_EQ(o.response->history[0].status, 302);
  EXPECT_EQ(o.response->history[0].url, url("/redirect/3"));
  EXPECT_EQ(o.response->history[2].url, url("/redirect/1"));
  EXPECT_EQ(o.response->url, url("/redirect/0"));
}

TEST_F(Redirects, redirect_limit_raises_too_many_redirects) {
  EngineClient c;
  RequestOptions opts;
  opts.max_redirects = 5;
  auto o = c.get(url("/redirect-loop"), opts);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::TooManyRedirects);
  // aiohttp's rule: a chain of n redirects succeeds only when n < max_redirects.
  auto ok = c.get(url("/redirect/4"), opts);
  EXPECT_FALSE(ok.error) << ok.error.message;
  auto over = c.get(url("/redirect/5"), opts);
  EXPECT_EQ(over.error.kind, ErrorKind::TooManyRedirects);
}

TEST_F(Redirects, redirects_can_be_disabled) {
  EngineClient c;
  RequestOptions opts;
  opts.follow_redirects = false;
  auto o = c.get(url("/redirect/1"), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 302);
  EXPECT_EQ(header(*o.response, "location").find("/redirect/0") != std::string::npos, true);
  EXPECT_TRUE(o.response->history.empty());
}

TEST_F(Redirects, post_becomes_get_on_303_301_302) {
  EngineClient c;
  for (int status : {301, 302, 303}) {
    auto o = c.fetch(make_request("POST", url("/redirect-to?url=/echo&status=" + std::to_string(status)),
                                  {{"Content-Type", "text/plain"}}, "body"));
    ASSERT_FALSE(o.error) << o.error.message;
    auto doc = json::parse(o.response->body).as_object();
    EXPECT_EQ(doc.at("method").as_string(), "GET") << status;
    EXPECT_EQ(doc.at("body_length").as_int64(), 0) << status;
    EXPECT_EQ(o.response->method, "GET");
  }
}

TEST_F(Redirects, redirect_307_308_keep_method_and_body) {
  EngineClient c;
  for (int status : {307, 308}) {
    auto o = c.fetch(make_request("POST", url("/redirect-to?url=/echo&status=" + std::to_string(status)),
                                  {{"Content-Type", "text/plain"}}, "body"));
    ASSERT_FALSE(o.error) << o.error.message;
    auto doc = json::parse(o.response->body).as_object();
    EXPECT_EQ(doc.at("method").as_string(), "POST") << status;
    EXPECT_EQ(doc.at("body").as_string(), "body") << status;
  }
}

TEST_F(Redirects, credentials_dropped_when_leaving_origin) {
  EngineClient c;
  // 127.0.0.1 -> localhost is another origin on the same server.
  std::string target = "http://localhost:" + std::to_string(server().port()) + "/echo";
  auto o = c.fetch(make_request("GET", url("/redirect-to?url=" + target),
                                {{"Authorization", "Bearer secret"}, {"Cookie", "a=1"}, {"X-Keep", "1"}}));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_FALSE(echo_has_header(o.response->body, "Authorization"));
  EXPECT_FALSE(echo_has_header(o.response->body, "Cookie"));
  EXPECT_TRUE(echo_has_header(o.response->body, "X-Keep"));
  // Same origin keeps them.
  auto same = c.fetch(make_request("GET", url("/redirect-to?url=/echo"), {{"Authorization", "Bearer secret"}}));
  ASSERT_FALSE(same.error) << same.error.message;
  EXPECT_TRUE(echo_has_header(same.response->body, "Authorization"));
}

// Proxy-Authorization leaves with the other credentials: on a host change, on a port change
// (another origin on the same host) and for both a 302 and a 307, whose method and body stay.
TEST_F(Redirects, proxy_authorization_dropped_when_leaving_origin) {
  EngineClient c;
  const auto& certs = test_certs();
  fixture::FixtureServer other(fixture::ServerConfig{certs.server_cert, certs.server_key});  // another port
  other.start();
  const std::string targets[] = {
      "http://localhost:" + std::to_string(server().port()) + "/echo",
      "http://127.0.0.1:" + std::to_string(other.port()) + "/echo",
  };
  for (const auto& target : targets) {
    for (const char* status : {"302", "307"}) {
      auto o = c.fetch(make_request("GET", url("/redirect-to?status=" + std::string(status) + "&url=" + target),
                                    {{"Proxy-Authorization", "Basic c2VjcmV0"}, {"X-Keep", "1"}}));
      ASSERT_FALSE(o.error) << o.error.message;
      EXPECT_FALSE(echo_has_header(o.response->body, "Proxy-Authorization")) << target << " " << status;
      EXPECT_TRUE(echo_has_header(o.response->body, "X-Keep")) << target << " " << status;
    }
  }
  auto same = c.fetch(make_request("GET", url("/redirect-to?url=/echo"), {{"Proxy-Authorization", "Basic c2VjcmV0"}}));
  ASSERT_FALSE(same.error) << same.error.message;
  EXPECT_TRUE(echo_has_header(same.response->body, "Proxy-Authorization"));
}

TEST_F(Redirects, redirect_to_non_http_scheme_fails) {
  EngineClient c;
  auto o = c.get(url("/redirect-to?url=ftp://example.com/file"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::InvalidUrl);
}

TEST_F(Redirects, redirect_to_a_scheme_without_authority_is_non_http) {
  EngineClient c;
  auto o = c.get(url("/redirect-to?url=skype:handle"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::InvalidUrl);
  EXPECT_EQ(o.error.sub_kind, ErrorSubKind::RedirectNonHttp) << o.error.message;
  EXPECT_EQ(o.error.url, "skype:handle");
}

TEST_F(Redirects, same_scheme_without_authority_stays_on_the_origin) {
  EngineClient c;
  auto o = c.get(url("/redirect-to?url=http:/bytes/3"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->url, url("/bytes/3"));
  EXPECT_EQ(o.response->body, "abc");
  auto rel = c.get(url("/redirect-to?url=http:bytes/2"));
  ASSERT_FALSE(rel.error) << rel.error.message;
  EXPECT_EQ(rel.response->url, url("/bytes/2"));
}

TEST_F(Redirects, empty_location_returns_the_redirect) {
  EngineClient c;
  auto o = c.get(url("/raw?head=HTTP%2F1.1%20302%20Found%0D%0ALocation%3A%20%0D%0AContent-Length%3A%203%0D%0A%0D%0Aabc"));
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 302);
  EXPECT_TRUE(o.response->history.empty());
  EXPECT_EQ(o.response->body, "abc");
}

}  // namespace
}  // namespace asiofetch::testing
