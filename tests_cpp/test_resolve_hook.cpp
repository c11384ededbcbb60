// Connection choices made outside libcurl's resolver: a resolve hook answered by the caller
// (TCPConnector(resolver=)), CONNECT_TO on every redirect hop, a certificate fingerprint
// checked on new and reused connections, and the DNS cache clear.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

#include "asiofetch/pool.hpp"
#include "asiofetch/tls_fingerprint.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class ResolveHook : public ServerTest {
 protected:
  static std::string port() { return std::to_string(server().port()); }
  // The CONNECT_TO entry a resolver would give: `host` at the fixture server.
  static std::string to_fixture(const std::string& host) { return host + ":" + port() + ":127.0.0.1:" + port(); }
};

TEST_F(ResolveHook, asks_before_connecting_then_uses_the_answer) {
  EngineClient c;
  RequestOptions opts;
  opts.resolve_hook = true;
  const RequestId id = c.submit(make_request("GET", "http://first.test:" + port() + "/echo"), opts);
  Outcome ask = c.wait(id);
  ASSERT_EQ(ask.error.kind, ErrorKind::ResolveNeeded) << ask.error.message;
  EXPECT_EQ(ask.error.message, "first.test:" + port());
  EXPECT_EQ(ask.error.url, "http://first.test:" + port() + "/echo");
  c.engine().resolved(id, {to_fixture("first.test")});
  Outcome o = c.wait(id);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  // The Host header stays the URL's: only the connection goes elsewhere.
  EXPECT_NE(o.response->body.find("first.test:" + port()), std::string::npos) << o.response->body;
}

TEST_F(ResolveHook, a_redirect_to_another_host_asks_again_and_keeps_history) {
  EngineClient c;
  RequestOptions opts;
  opts.resolve_hook = true;
  const std::string target = "http://second.test:" + port() + "/bytes/4";
  const RequestId id =
      c.submit(make_request("GET", "http://first.test:" + port() + "/redirect-to?status=302&url=" + target), opts);
  Outcome first = c.wait(id);
  ASSERT_EQ(first.error.kind, ErrorKind::ResolveNeeded);
  EXPECT_EQ(first.error.message, "first.test:" + port());
  c.engine().resolved(id, {to_fixture("first.test")});
  Outcome second = c.wait(id);
  ASSERT_EQ(second.error.kind, ErrorKind::ResolveNeeded) << second.error.message;
  EXPECT_EQ(second.error.message, "second.test:" + port());
  EXPECT_EQ(second.error.url, target);
  c.engine().resolved(id, {to_fixture("second.test")});
  Outcome o = c.wait(id);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(o.response->body.size(), 4u);
  ASSERT_EQ(o.response->history.size(), 1u);
  EXPECT_EQ(o.response->history[0].status, 302);
}

TEST_F(ResolveHook, cancelled_while_waiting_for_the_answer) {
  EngineClient c;
  RequestOptions opts;
  opts.resolve_hook = true;
  const RequestId id = c.submit(make_request("GET", "http://first.test:" + port() + "/echo"), opts);
  ASSERT_EQ(c.wait(id).error.kind, ErrorKind::ResolveNeeded);
  c.engine().cancel(id);
  EXPECT_EQ(c.wait(id).error.kind, ErrorKind::Cancelled);
  c.engine().resolved(id, {to_fixture("first.test")});  // too late: ignored
  EXPECT_TRUE(c.eventually([&] { return c.counters().in_flight.load() == 0; }));
}

TEST_F(ResolveHook, without_the_hook_nothing_is_asked) {
  EngineClient c;
  Request req = make_request("GET", "http://first.test:" + port() + "/bytes/2");
  req.connect_to = {to_fixture("first.test")};
  Outcome o = c.fetch(req);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->body.size(), 2u);
}

std::string server_cert_sha256() {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(test_certs().server_cert.c_str(), "r"), &std::fclose);
  if (!f) return {};
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), n);
}

class Fingerprint : public ServerTest {};

TEST_F(Fingerprint, matching_digest_passes_on_new_and_reused_connections) {
  EngineClient c;
  RequestOptions opts;
  opts.verify_tls = false;  // as aiohttp: the pin is the trust
  opts.fingerprint = server_cert_sha256();
  ASSERT_EQ(opts.fingerprint.size(), 32u);
  auto a = c.get(server().tls_url("/bytes/3"), opts);
  if (!fingerprint_supported()) {
    // libcurl on another OpenSSL build: the pin cannot be read, so a pinned request fails at
    // setup and never goes out unchecked.
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error.curl_code, CURLE_NOT_BUILT_IN) << a.error.message;
    return;
  }
  auto b = c.get(server().tls_url("/bytes/3"), opts);
  ASSERT_FALSE(a.error) << a.error.message;
  ASSERT_FALSE(b.error) << b.error.message;
  EXPECT_EQ(header(*a.response, "x-connection-id"), header(*b.response, "x-connection-id"));
}

TEST_F(Fingerprint, other_digest_fails_before_the_request_is_sent) {
  EngineClient c;
  RequestOptions good;
  good.verify_tls = false;
  ASSERT_FALSE(c.get(server().tls_url("/bytes/1"), good).error);  // a pooled connection, unpinned
  RequestOptions pinned = good;
  pinned.fingerprint = std::string(32, '\0');
  auto o = c.fetch(make_request("POST", server().tls_url("/echo"), {}, "secret"), pinned);
  if (!fingerprint_supported()) {  // refused at setup (see the test above): nothing was sent
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error.curl_code, CURLE_NOT_BUILT_IN) << o.error.message;
    return;
  }
  ASSERT_EQ(o.error.kind, ErrorKind::FingerprintMismatch) << o.error.message;
  EXPECT_EQ(o.error.detail, pinned.fingerprint + server_cert_sha256());
  EXPECT_TRUE(o.error.url == "https://127.0.0.1:" + std::to_string(server().tls_port()) + "/" ||
              o.error.url == "https://[::1]:" + std::to_string(server().tls_port()) + "/")
      << o.error.url;
  // A plain-http URL has no certificate: the pin does not apply (aiohttp's rule).
  auto plain = c.get(url("/bytes/1"), pinned);
  EXPECT_FALSE(plain.error) << plain.error.message;
}

TEST(DnsCacheClear, timeout_drops_answers_older_than_the_clear) {
  PoolConfig cfg;
  cfg.dns_cache_ttl_s = 10;
  Pool pool(1, cfg, std::make_shared<PoolCounters>());
  EXPECT_EQ(pool.dns_cache_timeout(), 10);
  pool.dns_cleared_at = std::chrono::steady_clock::now();
  EXPECT_EQ(pool.dns_cache_timeout(), 0);  // within the first second: nothing cached is used
  pool.dns_cleared_at = std::chrono::steady_clock::now() - std::chrono::seconds(4);
  EXPECT_EQ(pool.dns_cache_timeout(), 4);  // answers older than the clear are stale
  pool.dns_cleared_at = std::chrono::steady_clock::now() - std::chrono::seconds(11);
  EXPECT_EQ(pool.dns_cache_timeout(), 10);  // every answer is younger than the clear now
  EXPECT_FALSE(pool.dns_cleared_at.has_value());
}

}  // namespace
}  // namespace asiofetch::testing
