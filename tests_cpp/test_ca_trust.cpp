// Order of CA discovery (ca_trust.hpp) against a fake environment and file system; the real
// HTTPS cases are in tests_py/test_ca_trust.py (they need separate processes).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "asiofetch/ca_trust.hpp"

namespace {

using asiofetch::CaProbe;
using asiofetch::CaTrust;
using asiofetch::discover_ca_trust;

struct FakeSystem {
  std::map<std::string, std::string> env;
  std::set<std::string> files;
  std::set<std::string> dirs;

  CaProbe probe() const {
    return CaProbe{
        [this](const char* n) -> const char* {
          auto it = env.find(n);
          return it == env.end() ? nullptr : it->second.c_str();
        },
        [this](const std::string& p) { return files.count(p) > 0; },
        [this](const std::string& p) { return dirs.count(p) > 0; },
    };
  }
};

TEST(CaTrust, DebianBundleAloneNotItsDirectory) {
  // The bundle is made from the directory; the directory alone would cost libcurl's store
  // cache (every new connection re-reads the CAs), so the bundle is used alone.
  FakeSystem fs;
  fs.files = {"/etc/ssl/certs/ca-certificates.crt"};
  fs.dirs = {"/etc/ssl/certs"};
  CaTrust t = discover_ca_trust(fs.probe(), "/certifi/cacert.pem");
  EXPECT_EQ(t.file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(t.dir, "");
  EXPECT_EQ(t.source, "file=platform dir=none");
}

TEST(CaTrust, RhelExtractedBundle) {
  FakeSystem fs;
  fs.files = {"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"};
  CaTrust t = discover_ca_trust(fs.probe(), "");
  EXPECT_EQ(t.file, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
  EXPECT_EQ(t.dir, "");
}

TEST(CaTrust, FedoraBundleBeforeExtractedOne) {
  FakeSystem fs;
  fs.files = {"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/pki/tls/certs/ca-bundle.crt"};
  EXPECT_EQ(discover_ca_trust(fs.probe(), "").file, "/etc/pki/tls/certs/ca-bundle.crt");
}

TEST(CaTrust, SuseAndAlpineBundles) {
  FakeSystem suse;
  suse.files = {"/etc/ssl/ca-bundle.pem"};
  EXPECT_EQ(discover_ca_trust(suse.probe(), "").file, "/etc/ssl/ca-bundle.pem");
  FakeSystem alpine;
  alpine.files = {"/etc/ssl/cert.pem"};
  EXPECT_EQ(discover_ca_trust(alpine.probe(), "").file, "/etc/ssl/cert.pem");
}

TEST(CaTrust, EnvFileReplacesThePlatformFileButKeepsThePlatformDir) {
  // OpenSSL's default verify paths, which Python's ssl loads: each env var overrides its slot.
  FakeSystem fs;
  fs.env = {{"SSL_CERT_FILE", "/private/ca.pem"}};
  fs.files = {"/etc/ssl/certs/ca-certificates.crt", "/private/ca.pem"};
  fs.dirs = {"/etc/ssl/certs"};
  CaTrust t = discover_ca_trust(fs.probe(), "");
  EXPECT_EQ(t.file, "/private/ca.pem");
  EXPECT_EQ(t.dir, "/etc/ssl/certs");
  EXPECT_EQ(t.source, "file=SSL_CERT_FILE dir=platform");
}

TEST(CaTrust, EnvDirReplacesThePlatformDir) {
  FakeSystem fs;
  fs.env = {{"SSL_CERT_DIR", "/private/hashed"}};
  fs.files = {"/etc/ssl/certs/ca-certificates.crt"};
  fs.dirs = {"/etc/ssl/certs"};
  CaTrust t = discover_ca_trust(fs.probe(), "");
  EXPECT_EQ(t.file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(t.dir, "/private/hashed");
}

TEST(CaTrust, MissingEnvFileIsStillUsedSoTheFailureIsVisible) {
  FakeSystem fs;
  fs.env = {{"SSL_CERT_FILE", "/nowhere/ca.pem"}};
  fs.files = {"/etc/ssl/certs/ca-certificates.crt"};
  EXPECT_EQ(discover_ca_trust(fs.probe(), "/certifi/cacert.pem").file, "/nowhere/ca.pem");
}

TEST(CaTrust, EmptyEnvVarsCountAsUnset) {
  FakeSystem fs;
  fs.env = {{"SSL_CERT_FILE", ""}, {"SSL_CERT_DIR", ""}};
  fs.files = {"/etc/ssl/certs/ca-certificates.crt"};
  CaTrust t = discover_ca_trust(fs.probe(), "");
  EXPECT_EQ(t.file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(t.dir, "");
}

TEST(CaTrust, CertifiOnlyWhenThePlatformHasNothing) {
  FakeSystem bare;
  CaTrust t = discover_ca_trust(bare.probe(), "/certifi/cacert.pem");
  EXPECT_EQ(t.file, "/certifi/cacert.pem");
  EXPECT_EQ(t.dir, "");
  EXPECT_EQ(t.source, "file=certifi dir=none");

  FakeSystem dir_only;  // a platform directory alone is a trust store: certifi stays out
  dir_only.dirs = {"/etc/ssl/certs"};
  EXPECT_EQ(discover_ca_trust(dir_only.probe(), "/certifi/cacert.pem").file, "");
}

TEST(CaTrust, NothingAnywhereLeavesBothUnset) {
  FakeSystem bare;
  CaTrust t = discover_ca_trust(bare.probe(), "");
  EXPECT_EQ(t.file, "");
  EXPECT_EQ(t.dir, "");
  EXPECT_EQ(t.source, "file=none dir=none");
}

}  // namespace
