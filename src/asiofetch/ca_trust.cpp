#include "asiofetch/ca_trust.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace asiofetch {
namespace {

// The bundles and hashed directories distributions ship, most common first (the same set
// Go's crypto/x509 and Python's certifi-less distros rely on).
constexpr std::array kPlatformFiles = {
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL, CentOS
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+, CentOS 7+, Amazon Linux
    "/etc/ssl/ca-bundle.pem",                             // openSUSE, SLES
    "/etc/pki/tls/cacert.pem",                            // OpenELEC
    "/etc/ssl/cert.pem",                                  // Alpine, Void, macOS-like layouts
};
constexpr std::array kPlatformDirs = {
    "/etc/ssl/certs",      // Debian, Ubuntu, SUSE, Alpine (hashed links)
    "/etc/pki/tls/certs",  // Fedora, RHEL
};

// OpenSSL's CAPATH lookup only finds certificates under their subject-hash names
// (`1a2b3c4d.0`); a directory without any (an empty /etc/ssl/certs in a slim container)
// trusts nothing and must not shadow the certifi fallback.
bool has_hashed_certs(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return false;
  while (const dirent* e = ::readdir(d.get())) {
    std::string_view n = e->d_name;
    if (n.size() >= 10 && n[8] == '.' &&
        n.substr(0, 8).find_first_not_of("0123456789abcdef") == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

const char* env_value(const CaProbe& probe, const char* name) {
  const char* v = probe.getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// Guards g_fallback until default_ca_trust() has consumed it (g_sealed).
std::mutex g_fallback_mutex;
std::string g_fallback;  // guarded by g_fallback_mutex
bool g_sealed = false;   // guarded by g_fallback_mutex

}  // namespace

CaTrust discover_ca_trust(const CaProbe& probe, std::string_view fallback_file) {
  CaTrust t;
  std::string file_from, dir_from;
  if (const char* f = env_value(probe, "SSL_CERT_FILE")) {
    t.file = f;
    file_from = "SSL_CERT_FILE";
  } else {
    for (const char* p : kPlatformFiles) {
      if (probe.is_file(p)) {
        t.file = p;
        file_from = "platform";
        break;
      }
    }
  }
  if (const char* d = env_value(probe, "SSL_CERT_DIR")) {
    t.dir = d;
    dir_from = "SSL_CERT_DIR";
  } else {
    for (const char* p : kPlatformDirs) {
      if (probe.is_dir(p)) {
        t.dir = p;
        dir_from = "platform";
        break;
      }
    }
  }
  // The platform's directory beside the platform's own bundle is left out: on the
  // distributions probed the bundle is built from that directory (update-ca-certificates,
  // update-ca-trust), and libcurl caches a certificate store only when it comes from a file
  // alone, so with a directory every new connection re-read the CAs (8 % of a client's
  // samples in perf on new HTTPS connections). With SSL_CERT_FILE or SSL_CERT_DIR set, both
  // slots stay as OpenSSL's default paths have them, as Python's ssl does.
  if (file_from == "platform" && dir_from == "platform") {
    t.dir.clear();
    dir_from.clear();
  }
  if (t.file.empty() && t.dir.empty() && !fallback_file.empty()) {
    t.file = fallback_file;
    file_from = "certifi";
  }
  t.source = "file=" + (file_from.empty() ? std::string("none") : file_from) +
             " dir=" + (dir_from.empty() ? std::string("none") : dir_from);
  return t;
}

const CaTrust& default_ca_trust() {
  static const CaTrust trust = [] {
    std::string fallback;
    {
      std::lock_guard lock(g_fallback_mutex);
      g_sealed = true;
      fallback = g_fallback;
    }
    CaProbe probe{
        [](const char* name) -> const char* { return std::getenv(name); },
        [](const std::string& p) {
          struct stat st{};
          return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), R_OK) == 0;
        },
        [](const std::string& p) { return has_hashed_certs(p); },
    };
    return discover_ca_trust(probe, fallback);
  }();
  return trust;
}

bool set_ca_fallback_file(std::string path) {
  std::lock_guard lock(g_fallback_mutex);
  if (g_sealed) return false;
  g_fallback = std::move(path);
  return true;
}

}  // namespace asiofetch
