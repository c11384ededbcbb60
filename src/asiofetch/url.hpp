// URL checks done on the caller's thread: parse once with libcurl's own parser, reject early.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asiofetch {

struct ParsedUrl {
  std::string scheme;    // "http" or "https"
  std::string origin;    // scheme://host:port, the key for per-host limits and origin checks
};

// Returns the parsed URL, or nullopt with `why` filled when libcurl cannot parse it or the
// scheme is not http(s). Thread-safe (no shared state).
std::optional<ParsedUrl> parse_http_url(const std::string& url, std::string& why);

// Resolves a Location header against the URL it came from (RFC 3986), or nullopt on failure.
std::optional<std::string> resolve_redirect(const std::string& base, const std::string& location);

// Text a header name or value must not contain: CR, LF or NUL (request smuggling).
bool has_forbidden_header_chars(std::string_view s) noexcept;

}  // namespace asiofetch
