#include "asiofetch/tls_fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "asiofetch/tls_sessions.hpp"

namespace asiofetch {

bool fingerprint_supported() { return TlsSessionCache::supported(); }

std::optional<std::string> peer_certificate_sha256(CURL* easy) {
  if (!easy || !fingerprint_supported()) return std::nullopt;
  // Asked from CURLOPT_PREREQFUNCTION: the connection is up (its handshake done, or reused)
  // and nothing of the request was sent. A resumed session keeps its peer certificate.
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
      info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
    return std::nullopt;
  const SSL* ssl = static_cast<const SSL*>(info->internals);
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(md), n);
}

}  // namespace asiofetch
