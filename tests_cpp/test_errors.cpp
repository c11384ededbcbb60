// Every failure ends as one ErrorKind with curl's detail kept: network faults and timeouts.
#include "support/closed_port.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class Errors : public ServerTest {};

TEST_F(Errors, connection_refused) {
  EngineClient c;
  ClosedPort p;
  auto o = c.get("http://127.0.0.1:" + std::to_string(p.port) + "/");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::Connect);
  EXPECT_EQ(o.error.curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_NE(o.error.message.find("curl error 7"), std::string::npos) << o.error.message;
}

TEST_F(Errors, dns_failure) {
  EngineClient c;
  auto o = c.get("http://does-not-exist.invalid/");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::Dns);
}

TEST_F(Errors, truncated_body_is_payload_incomplete) {
  EngineClient c;
  auto o = c.get(url("/short-body?claimed=100&actual=50"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::PayloadIncomplete) << o.error.message;
  auto chunked = c.get(url("/close-mid-body?size=100000"));
  ASSERT_TRUE(chunked.error);
  EXPECT_EQ(chunked.error.kind, ErrorKind::PayloadIncomplete) << chunked.error.message;
}

TEST_F(Errors, close_before_response_is_server_disconnected) {
  EngineClient c;
  auto o = c.get(url("/close-before-response"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::ServerDisconnected) << o.error.message;
  auto rst = c.get(url("/reset"));
  ASSERT_TRUE(rst.error);
  EXPECT_EQ(rst.error.kind, ErrorKind::ServerDisconnected) << rst.error.message;
}

TEST_F(Errors, read_timeout) {
  EngineClient c;
  RequestOptions opts;
  opts.read_timeout = Millis(200);
  auto o = c.get(url("/delay/5000"), opts);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::ReadTimeout) << o.error.message;
  // A slow but steady body is not idle: each chunk resets the read timer.
  auto drip = c.get(url("/drip?chunks=5&size=10&delay_ms=100"), opts);
  EXPECT_FALSE(drip.error) << drip.error.message;
}

TEST_F(Errors, total_timeout) {
  EngineClient c;
  RequestOptions opts;
  opts.total_timeout = Millis(300);
  auto o = c.get(url("/drip?chunks=50&size=10&delay_ms=100"), opts);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::TotalTimeout) << o.error.message;
}

TEST_F(Errors, connect_timeout) {
  EngineClient c;
  RequestOptions opts;
  opts.connect_timeout = Millis(200);
  opts.total_timeout = Millis(10000);
  // The silent port accepts TCP but never speaks: the TLS handshake cannot finish.
  auto o = c.get("https://localhost:" + std::to_string(server().silent_port()) + "/", opts);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::ConnectTimeout) << o.error.message;
}

TEST_F(Errors, invalid_url_rejected_at_submit) {
  EngineClient c;
  EXPECT_THROW(c.submit(make_request("GET", "ftp://example.com/")), std::invalid_argument);
  EXPECT_THROW(c.submit(make_request("GET", "http://")), std::invalid_argument);
  EXPECT_THROW(c.submit(make_request("GET", "not a url")), std::invalid_argument);
}

}  // namespace
}  // namespace asiofetch::testing
