// Base fixture for engine tests: one fixture server (with TLS) per test process.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "fixture/fixture_server.hpp"
#include "support/engine_client.hpp"
#include "support/test_certs.hpp"

namespace asiofetch::testing {

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto& c = test_certs();
    server_ = std::make_unique<fixture::FixtureServer>(fixture::ServerConfig{c.server_cert, c.server_key});
    server_->start();
  }
  static void TearDownTestSuite() { server_.reset(); }

  static std::string url(std::string_view path) { return server_->url(path); }
  // The running case's name: a per-test key for the server's counters.
  static std::string key() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
  static fixture::FixtureServer& server() { return *server_; }

  inline static std::unique_ptr<fixture::FixtureServer> server_;
};

inline Request make_request(std::string method, std::string url, Headers headers = {}, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

}  // namespace asiofetch::testing
