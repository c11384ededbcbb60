// TLS: verification on by default, a custom CA, turning verification off, handshake timing,
// session resumption on reconnects (the fixture reports it in X-TLS-Session-Reused).
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class Tls : public ServerTest {};

TEST_F(Tls, tls_verified_with_custom_ca) {
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  auto o = c.get(server().tls_url("/bytes/10"), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_GT(o.response->timings.tls, 0.0);
}

TEST_F(Tls, tls_unknown_ca_rejected) {
  EngineClient c;
  auto o = c.get(server().tls_url("/bytes/10"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error.kind, ErrorKind::TlsCertificate) << o.error.message;
}

TEST_F(Tls, tls_verification_can_be_disabled) {
  EngineClient c;
  RequestOptions opts;
  opts.verify_tls = false;
  auto o = c.get(server().tls_url("/bytes/10"), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->body.size(), 10u);
}

TEST_F(Tls, tls_connection_is_reused) {
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  auto a = c.get(server().tls_url("/bytes/1"), opts);
  auto b = c.get(server().tls_url("/bytes/1"), opts);
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  EXPECT_EQ(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
}

// Every request on a new connection (force_close): the TLS session of one resumes on the next.
PoolConfig one_connection_per_request(std::size_t limit) {
  PoolConfig cfg;
  cfg.limit = limit;
  cfg.force_close = true;
  return cfg;
}

RequestOptions trusting_test_ca() {
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  return opts;
}

TEST_F(Tls, reconnect_resumes_tls_session) {
  EngineClient c(one_connection_per_request(10));
  auto a = c.get(server().tls_url("/bytes/1"), trusting_test_ca());
  auto b = c.get(server().tls_url("/bytes/1"), trusting_test_ca());
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  EXPECT_NE(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
  EXPECT_EQ(header(*a.response, "x-tls-session-reused"), "0");
  EXPECT_EQ(header(*b.response, "x-tls-session-reused"), "1");
}

TEST_F(Tls, concurrent_reconnects_all_resume) {
  // libcurl's own cache keeps two tickets per host and uses each once: of 16 connections
  // opened at once, 2 resumed. The session's cache keeps the tickets every connection of
  // the first wave brought (TLS 1.3: two per full handshake), so all of the second resume,
  // across lanes (limit 48 gives two connection caches).
  constexpr std::size_t kWave = 24;
  EngineClient c(one_connection_per_request(48));
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<RequestId> ids;
    for (std::size_t i = 0; i < kWave; ++i)
      ids.push_back(c.submit(make_request("GET", server().tls_url("/bytes/1")), trusting_test_ca()));
    std::size_t resumed = 0;
    for (auto id : ids) {
      auto o = c.wait(id);
      ASSERT_FALSE(o.error) << o.error.message;
      if (header(*o.response, "x-tls-session-reused") == "1") ++resumed;
    }
    if (wave == 1) {
      EXPECT_EQ(resumed, kWave);
    }
  }
}

TEST_F(Tls, session_not_resumed_under_other_trust_settings) {
  // A resumed session skips the certificate check: one made without verification must not
  // be offered to a connection that verifies (nor one made under another CA setting).
  EngineClient c(one_connection_per_request(10));
  RequestOptions unverified;
  unverified.verify_tls = false;
  auto a = c.get(server().tls_url("/bytes/1"), unverified);
  auto b = c.get(server().tls_url("/bytes/1"), trusting_test_ca());
  auto d = c.get(server().tls_url("/bytes/1"), trusting_test_ca());
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  ASSERT_FALSE(d.error) << d.error.message;
  EXPECT_EQ(header(*b.response, "x-tls-session-reused"), "0");
  EXPECT_EQ(header(*d.response, "x-tls-session-reused"), "1");
}

TEST_F(Tls, sessions_do_not_share_tls_sessions) {
  EngineClient c(one_connection_per_request(10));
  SessionId other = c.open_session(one_connection_per_request(10));
  auto a = c.get(server().tls_url("/bytes/1"), trusting_test_ca());
  auto b = c.fetch(make_request("GET", server().tls_url("/bytes/1")), trusting_test_ca(), other);
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  EXPECT_EQ(header(*b.response, "x-tls-session-reused"), "0");
}

TEST_F(Tls, other_host_does_not_resume) {
  // localhost and 127.0.0.1 are the same server but different destinations (and SNI).
  // Unverified: the test certificate names localhost only.
  EngineClient c(one_connection_per_request(10));
  RequestOptions unverified;
  unverified.verify_tls = false;
  auto a = c.get(server().tls_url("/bytes/1"), unverified);
  auto b = c.get("https://127.0.0.1:" + std::to_string(server().tls_port()) + "/bytes/1", unverified);
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  EXPECT_EQ(header(*b.response, "x-tls-session-reused"), "0");
}

}  // namespace
}  // namespace asiofetch::testing
