// The small set of failure kinds every libcurl error is mapped to, with curl's detail kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace asiofetch {

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
};

std::string_view error_kind_name(ErrorKind kind) noexcept;

struct Error {
  ErrorKind kind = ErrorKind::None;
  int curl_code = 0;      // CURLcode, 0 when the error is the engine's own
  std::string message;    // human-readable, curl's error buffer included

  explicit operator bool() const noexcept { return kind != ErrorKind::None; }
};

}  // namespace asiofetch
