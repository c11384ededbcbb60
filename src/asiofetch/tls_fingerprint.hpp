// aiohttp's Fingerprint: the SHA-256 digest of the certificate on a transfer's TLS connection.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

namespace asiofetch {

// Engine thread (the transfer's own). The SHA-256 of the peer's DER certificate on the
// connection `easy` uses now (new or reused: CURLINFO_TLS_SSL_PTR names the connection's SSL),
// as 32 raw bytes; nullopt when there is no TLS connection, no peer certificate, or this
// libcurl runs on another OpenSSL than ours (TlsSessionCache::supported() is false).
std::optional<std::string> peer_certificate_sha256(CURL* easy);

// True when peer_certificate_sha256() can work in this process (same OpenSSL as libcurl's).
bool fingerprint_supported();

}  // namespace asiofetch
