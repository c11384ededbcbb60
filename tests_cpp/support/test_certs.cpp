#include "support/test_certs.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace asiofetch::testing {

namespace {

void run(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

TestCerts make() {
  char tmpl[] = "/tmp/asiofetch-certs-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  TestCerts c;
  c.dir = tmpl;
  c.ca_cert = c.dir + "/ca.pem";
  c.server_cert = c.dir + "/server.pem";
  c.server_key = c.dir + "/server.key";
  const std::string d = c.dir;
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=asiofetch-test-ca"
      " -keyout " + d + "/ca.key -out " + c.ca_cert);
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -keyout " +
      c.server_key + " -out " + d + "/server.csr");
  run("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > " + d + "/ext.cnf");
  run("openssl x509 -req -in " + d + "/server.csr -CA " + c.ca_cert + " -CAkey " + d +
      "/ca.key -CAcreateserial -days 2 -extfile " + d + "/ext.cnf -out " + c.server_cert);
  return c;
}

}  // namespace

const TestCerts& test_certs() {
  // ctest runs every case in its own process, so each run made ~80 directories; the owner
  // removes this process's one at exit (after the fixture server and libcurl are done with it).
  struct Owner {
    TestCerts certs = make();
    Owner() = default;
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
    ~Owner() {
      std::error_code ec;
      std::filesystem::remove_all(certs.dir, ec);
    }
  };
  static const Owner owner;
  return owner.certs;
}

}  // namespace asiofetch::testing
