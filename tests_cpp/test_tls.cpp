// TLS: verification on by default, a custom CA, turning verification off, handshake timing.
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

}  // namespace
}  // namespace asiofetch::testing
