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

// The URL as it may go on the wire, or nullopt with `why` filled. Mirrors what yarl (and so
// aiohttp) does to a URL string, where that is safe: TAB, CR and LF are removed (WHATWG);
// outside the authority, other control characters, space, DEL and non-ASCII bytes are
// percent-encoded (space as '+' in the query, as yarl does) and a '%' that starts no escape
// becomes %25. Inside the authority (userinfo, host, port) a control character or space is
// refused: libcurl reads the URL as a C string, so a NUL there cut "host\0.evil" to "host".
// Also used for a Location header before it is resolved. Thread-safe.
std::optional<std::string> normalize_url(std::string_view url, std::string& why);

// Returns the parsed URL, or nullopt with `why` filled when libcurl cannot parse it or the
// scheme is not http(s). Thread-safe (no shared state).
std::optional<ParsedUrl> parse_http_url(const std::string& url, std::string& why);

// True when the URL starts with "http:" or "https:" (any case).
bool has_http_scheme(std::string_view url) noexcept;
// True when the URL starts with "https:" (any case).
bool has_https_scheme(std::string_view url) noexcept;

// Host and port of an http(s) URL as CURLOPT_CONNECT_TO names them ("host:port", the port
// explicit, an IPv6 host in brackets), or nullopt when it does not parse. Thread-safe.
std::optional<std::string> connect_key(const std::string& url);

// Resolves a Location header against the URL it came from (RFC 3986), or nullopt on failure.
std::optional<std::string> resolve_redirect(const std::string& base, const std::string& location);

// Text a header name or value must not contain: CR, LF or NUL (request smuggling).
bool has_forbidden_header_chars(std::string_view s) noexcept;

}  // namespace asiofetch
