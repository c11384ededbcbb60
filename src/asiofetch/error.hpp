// The small set of failure kinds every libcurl error is mapped to, with curl's detail kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asiofetch {

struct RedirectTrail;  // response.hpp

// Stable numbers: the Python layer maps them to aiohttp's exception classes.
enum class ErrorKind : std::uint8_t {
  None = 0,
  InvalidUrl = 1,
  Dns = 2,
  Connect = 3,
  Tls = 4,
  TlsCertificate = 5,
  ConnectTimeout = 6,
  ReadTimeout = 7,
  TotalTimeout = 8,
  PoolTimeout = 9,
  ServerDisconnected = 10,
  PayloadIncomplete = 11,
  TooManyRedirects = 12,
  Cancelled = 13,
  SessionClosed = 14,
  Other = 15,
  Proxy = 16,
  BadResponse = 17,  // the server's answer is not valid HTTP (aiohttp: ClientResponseError 400)
  // Not a failure: the request waits for Python's resolver to map `url`'s host:port
  // (RequestOptions::resolve_hook); the same id gets its real outcome later.
  ResolveNeeded = 18,
  // The peer certificate's SHA-256 is not RequestOptions::fingerprint (`detail` holds both;
  // `url` is "https://addr:port/" of the peer, which aiohttp's exception names).
  FingerprintMismatch = 19,
};

std::string_view error_kind_name(ErrorKind kind) noexcept;

// A finer reason inside one kind, where the Python layer raises a more specific class
// (stable numbers, like ErrorKind).
enum class ErrorSubKind : std::uint8_t {
  None = 0,
  RedirectInvalidUrl = 1,  // InvalidUrl: a Location that does not resolve to a URL
  RedirectNonHttp = 2,     // InvalidUrl: a Location that resolves to a non-http(s) URL
};

// Not an aggregate: the constructor keeps `Error{kind, code, message}` valid while the
// structured fields below default to empty.
struct Error {
  Error() = default;
  Error(ErrorKind k, int code, std::string msg, std::string about_url = {},
        ErrorSubKind sub = ErrorSubKind::None)
      : kind(k), curl_code(code), message(std::move(msg)), url(std::move(about_url)), sub_kind(sub) {}

  ErrorKind kind = ErrorKind::None;
  int curl_code = 0;      // CURLcode, 0 when the error is the engine's own
  std::string message;    // human-readable, curl's error buffer included
  std::string url;        // the URL it is about (the request's, or a redirect's target); may be ""
  ErrorSubKind sub_kind = ErrorSubKind::None;
  // TooManyRedirects: the redirect responses followed (aiohttp's TooManyRedirects.history).
  std::shared_ptr<const RedirectTrail> trail;
  // FingerprintMismatch: the expected SHA-256 digest (32 raw bytes) followed by the one the
  // peer's certificate has (32 bytes; none when no certificate could be read).
  std::string detail;

  explicit operator bool() const noexcept { return kind != ErrorKind::None; }
};

}  // namespace asiofetch
