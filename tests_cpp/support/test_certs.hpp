// Test TLS material: a throwaway CA and a localhost certificate made with the openssl CLI.
#pragma once

#include <string>

namespace asiofetch::testing {

struct TestCerts {
  std::string dir, ca_cert, server_cert, server_key;
};

// Made once per test process (in a fresh temp dir, removed at exit), then reused.
const TestCerts& test_certs();

}  // namespace asiofetch::testing
