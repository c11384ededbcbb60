// TLS: verification on by default, a custom CA, turning verification off, handshake timing,
// session resumption on reconnects (the fixture reports it in X-TLS-Session-Reused), and
// OpenSSL read-ahead on HTTP/1.1 connections only.
#include "support/server_test.hpp"

#include "asiofetch/tls_sessions.hpp"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <memory>

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

TEST_F(Tls, streamed_head_before_its_body_has_the_handshake_time) {
  // A head handed over before the body ends (CI saw tls = 0 on such h2 heads).
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  opts.stream = true;
  auto o = c.get(server().tls_url("/drip?chunks=2&size=10&delay_ms=300"), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.response->stream);
  const Timings& t = o.response->timings;
  EXPECT_GT(t.tls, t.connect);
  EXPECT_GE(t.first_byte, t.tls);
  EXPECT_EQ(t.total, 0.0);
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

// Read-ahead (tls_sessions.cpp) on a real connection: one libcurl handle configured by the
// session cache, one request to the fixture's TLS port; the body callback reads the
// connection's SSL object (libcurl hands it out only while the transfer runs).
struct ReadAheadProbe {
  std::shared_ptr<TlsSessionCache> cache = std::make_shared<TlsSessionCache>(4, 16);
  bool h2_prior_knowledge = false;
  CURL* easy = nullptr;
  int seen = -1;  // SSL_get_read_ahead in the body callback; -1: never called or no SSL

  static CURLcode on_ctx(CURL*, void* ssl_ctx, void* self) {
    auto* p = static_cast<ReadAheadProbe*>(self);
    return p->cache->configure(ssl_ctx, "probe", p->h2_prior_knowledge);
  }
  static size_t on_body(char*, size_t size, size_t n, void* self) {
    auto* p = static_cast<ReadAheadProbe*>(self);
    curl_tlssessioninfo* info = nullptr;
    if (curl_easy_getinfo(p->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info && info->internals)
      p->seen = SSL_get_read_ahead(static_cast<SSL*>(info->internals));
    return size * n;
  }

  // SSL_get_read_ahead of the connection during a GET of `url`; -1 when it was not seen.
  int read_ahead_during(const std::string& url) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> e(curl_easy_init(), &curl_easy_cleanup);
    easy = e.get();
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_CAINFO, test_certs().ca_cert.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &ReadAheadProbe::on_ctx);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &ReadAheadProbe::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    const CURLcode rc = curl_easy_perform(easy);
    EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
    return seen;
  }
};

TEST_F(Tls, http1_connection_reads_whole_records) {
  // The fixture answers no ALPN, so offering h2 still ends on HTTP/1.1: read-ahead is on.
  if (!TlsSessionCache::supported()) GTEST_FAIL() << "libcurl is not on asiofetch's OpenSSL";
  ReadAheadProbe p;
  EXPECT_EQ(p.read_ahead_during(server().tls_url("/bytes/100")), 1);
}

TEST_F(Tls, no_read_ahead_where_h2_may_run_without_alpn) {
  // With h2 prior knowledge a connection without ALPN may be h2, whose libcurl filter relies
  // on SSL_pending: read-ahead stays off.
  if (!TlsSessionCache::supported()) GTEST_FAIL() << "libcurl is not on asiofetch's OpenSSL";
  ReadAheadProbe p;
  p.h2_prior_knowledge = true;
  EXPECT_EQ(p.read_ahead_during(server().tls_url("/bytes/100")), 0);
}

TEST_F(Tls, keepalive_bodies_intact_with_read_ahead) {
  // Bodies of one record, of record boundaries and of many records, one after another on one
  // reused connection, then a few at once: each arrives whole, and the connection stays.
  EngineClient c;
  std::string first_conn;
  for (std::size_t n : {1u, 100u, 16'379u, 16'384u, 16'385u, 100'000u, 1'000'000u, 7u}) {
    auto o = c.get(server().tls_url("/bytes/" + std::to_string(n)), trusting_test_ca());
    ASSERT_FALSE(o.error) << o.error.message;
    ASSERT_EQ(o.response->body.size(), n);
    EXPECT_EQ(o.response->body.substr(0, 3), std::string("abc").substr(0, n));
    const std::string conn = header(*o.response, "x-connection-id");
    if (first_conn.empty()) first_conn = conn;
    EXPECT_EQ(conn, first_conn) << n;
  }
}

}  // namespace
}  // namespace asiofetch::testing
