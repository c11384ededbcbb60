// The TLS session cache without sockets: single use of TLS 1.3 tickets, reuse of older
// sessions, the per-destination and total bounds, expiry, and the libcurl/OpenSSL check.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <ctime>
#include <memory>
#include <string>

#include "asiofetch/tls_sessions.hpp"

namespace asiofetch::testing {
namespace {

// A resumable session as OpenSSL would hand one over: an id, a protocol, a lifetime.
SSL_SESSION* make_session(int version, unsigned char id, long lifetime = 3600, long age = 0) {
  SSL_SESSION* s = SSL_SESSION_new();
  unsigned char sid[32] = {id};
  SSL_SESSION_set1_id(s, sid, sizeof sid);
  SSL_SESSION_set_protocol_version(s, version);
  SSL_SESSION_set_time(s, static_cast<long>(std::time(nullptr)) - age);
  SSL_SESSION_set_timeout(s, lifetime);
  return s;
}

unsigned char id_of(SSL_SESSION* s) {
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(s, &len);
  return len ? id[0] : 0;
}

struct Free { void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); } };
using Held = std::unique_ptr<SSL_SESSION, Free>;

TEST(TlsSessionCache, tls13_ticket_is_taken_once_newest_first) {
  auto c = std::make_shared<TlsSessionCache>(8, 100);
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 1)));
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 2)));
  Held x(c->take("a")), y(c->take("a"));
  ASSERT_TRUE(x && y);
  EXPECT_EQ(id_of(x.get()), 2);
  EXPECT_EQ(id_of(y.get()), 1);
  EXPECT_EQ(c->take("a"), nullptr);
  EXPECT_EQ(c->size(), 0u);
}

TEST(TlsSessionCache, keys_are_separate) {
  auto c = std::make_shared<TlsSessionCache>(8, 100);
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 1)));
  EXPECT_EQ(c->take("b"), nullptr);
  Held x(c->take("a"));
  EXPECT_TRUE(x);
}

TEST(TlsSessionCache, tls12_session_stays_and_newest_replaces_it) {
  auto c = std::make_shared<TlsSessionCache>(8, 100);
  ASSERT_TRUE(c->put("a", make_session(TLS1_2_VERSION, 1)));
  ASSERT_TRUE(c->put("a", make_session(TLS1_2_VERSION, 2)));
  EXPECT_EQ(c->size(), 1u);
  Held x(c->take("a")), y(c->take("a"));
  ASSERT_TRUE(x && y);
  EXPECT_EQ(id_of(x.get()), 2);
  EXPECT_EQ(x.get(), y.get());  // the same session, offered again
  EXPECT_EQ(c->size(), 1u);
}

TEST(TlsSessionCache, per_destination_bound_drops_oldest) {
  auto c = std::make_shared<TlsSessionCache>(3, 100);
  for (unsigned char i = 1; i <= 5; ++i) ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, i)));
  EXPECT_EQ(c->size(), 3u);
  for (unsigned char want : {5, 4, 3}) {
    Held x(c->take("a"));
    ASSERT_TRUE(x);
    EXPECT_EQ(id_of(x.get()), want);
  }
  EXPECT_EQ(c->take("a"), nullptr);
}

TEST(TlsSessionCache, total_bound_drops_least_recently_used_destination) {
  auto c = std::make_shared<TlsSessionCache>(8, 4);
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 1)));
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 2)));
  ASSERT_TRUE(c->put("b", make_session(TLS1_3_VERSION, 3)));
  ASSERT_TRUE(c->put("b", make_session(TLS1_3_VERSION, 4)));
  EXPECT_EQ(c->take("x"), nullptr);  // unknown keys do not count as use
  ASSERT_TRUE(c->put("c", make_session(TLS1_3_VERSION, 5)));  // 5 > 4: "a" goes
  EXPECT_EQ(c->size(), 3u);
  EXPECT_EQ(c->take("a"), nullptr);
  Held b(c->take("b")), cc(c->take("c"));
  EXPECT_TRUE(b && cc);
}

TEST(TlsSessionCache, expired_sessions_are_not_offered) {
  auto c = std::make_shared<TlsSessionCache>(8, 100);
  ASSERT_TRUE(c->put("a", make_session(TLS1_3_VERSION, 1, /*lifetime=*/60, /*age=*/120)));
  EXPECT_EQ(c->take("a"), nullptr);
  EXPECT_EQ(c->size(), 0u);
}

TEST(TlsSessionCache, unresumable_session_is_refused) {
  auto c = std::make_shared<TlsSessionCache>(8, 100);
  SSL_SESSION* s = SSL_SESSION_new();  // no id, no ticket
  EXPECT_FALSE(c->put("a", s));
  SSL_SESSION_free(s);  // refused: the reference stayed with the caller
  EXPECT_EQ(c->size(), 0u);
}

TEST(TlsSessionCache, supported_with_the_openssl_libcurl_runs_on) {
  // This build links the OpenSSL its libcurl uses (Debian's libcurl4-openssl, or the bundled
  // stack): the check must accept it, or no connection would resume.
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(v->ssl_version, nullptr);
  EXPECT_EQ(std::string(v->ssl_version), std::string("OpenSSL/") + OpenSSL_version(OPENSSL_VERSION_STRING));
  EXPECT_TRUE(TlsSessionCache::supported());
}

}  // namespace
}  // namespace asiofetch::testing
