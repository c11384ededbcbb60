// Where TLS trust anchors come from when a request names no CA file (Python ssl's order).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace asiofetch {

// The CA file and directory handed to libcurl (CURLOPT_CAINFO / CURLOPT_CAPATH); an empty
// field is left unset. `source` names where each came from, for error messages and tests.
struct CaTrust {
  std::string file;
  std::string dir;
  std::string source;
};

// What discovery reads from the process, injectable so tests need no real /etc.
struct CaProbe {
  std::function<const char*(const char*)> getenv;       // nullptr: unset
  std::function<bool(const std::string&)> is_file;      // a readable regular file
  std::function<bool(const std::string&)> is_dir;       // a directory holding hashed certs
};

// The order, slot by slot as OpenSSL's default verify paths (which Python's ssl uses):
//   file: $SSL_CERT_FILE, else the first platform bundle that exists;
//   dir:  $SSL_CERT_DIR,  else the first platform CA directory that exists;
//   neither found: `fallback_file` (certifi's bundle when the Python side found certifi).
// An env var set to a missing path is still used: libcurl then fails with a clear error
// instead of silently trusting something else. Empty env vars count as unset.
CaTrust discover_ca_trust(const CaProbe& probe, std::string_view fallback_file);

// discover_ca_trust() against the real process, computed once (first call) and then cached
// for the life of the process: environment changes after the first request are not seen.
const CaTrust& default_ca_trust();

// certifi's bundle, the last resort. Takes effect only before default_ca_trust() first runs
// (the Python package sets it at import); returns false when it came too late.
bool set_ca_fallback_file(std::string path);

}  // namespace asiofetch
