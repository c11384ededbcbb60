#include "asiofetch/url.hpp"

#include <algorithm>
#include <cstdio>

#include "asiofetch/curl_handles.hpp"

namespace asiofetch {

namespace {

std::optional<std::string> get_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK) return std::nullopt;
  CurlString owned(raw);
  return std::string(owned.get());
}

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Bytes yarl percent-encodes in every part: controls, space, DEL and everything non-ASCII.
bool needs_escape(unsigned char c) noexcept { return c <= 0x20 || c >= 0x7f; }

// Where the authority ends: the first '/', '?' or '#' after `from`.
std::size_t authority_end(std::string_view s, std::size_t from) noexcept {
  auto e = s.find_first_of("/?#", from);
  return e == std::string_view::npos ? s.size() : e;
}

}  // namespace

std::optional<std::string> normalize_url(std::string_view in, std::string& why) {
  std::string s;
  s.reserve(in.size());
  for (char c : in)
    if (c != '\t' && c != '\r' && c != '\n') s.push_back(c);

  // The authority: after "scheme://", or after a leading "//" (a scheme-relative Location).
  // Its host and port follow the last '@'; userinfo before it is encoded like a path.
  std::size_t host_begin = 0, host_end = 0;
  std::size_t auth_begin = std::string::npos;
  if (auto p = s.find("://"); p != std::string::npos && s.find_first_of("/?#") > p) auth_begin = p + 3;
  else if (s.rfind("//", 0) == 0) auth_begin = 2;
  if (auth_begin != std::string::npos) {
    host_end = authority_end(s, auth_begin);
    auto at = s.rfind('@', host_end == 0 ? 0 : host_end - 1);
    host_begin = (at != std::string::npos && at >= auth_begin) ? at + 1 : auth_begin;
    for (std::size_t i = host_begin; i < host_end; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c <= 0x20 || c == 0x7f) {  // non-ASCII stays: an IDN host is libcurl's to judge
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        why = std::string("control character or space (") + hex + ") in the URL's host part";
        return std::nullopt;
      }
    }
  }

  // A byte that must be escaped outside the host: see needs_escape, plus a '%' that starts
  // no %XX escape.
  auto escape_at = [&](std::size_t i) {
    if (i >= host_begin && i < host_end) return false;
    const auto c = static_cast<unsigned char>(s[i]);
    return needs_escape(c) || (c == '%' && !(i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])));
  };
  // Most URLs need nothing: return them without building a second string.
  std::size_t first = 0;
  while (first < s.size() && !escape_at(first)) ++first;
  if (first == s.size()) return s;

  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out(s, 0, first);
  out.reserve(s.size() + 16);
  bool in_query = s.find('?') < first, in_fragment = s.find('#') < first;
  if (in_fragment) in_query = false;
  for (std::size_t i = first; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '?' && !in_fragment) in_query = true;
    if (c == '#') in_fragment = true, in_query = false;
    if (c == ' ' && in_query) {
      out.push_back('+');
    } else if (escape_at(i)) {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::optional<ParsedUrl> parse_http_url(const std::string& url, std::string& why) {
  ensure_curl_global_init();
  // A caller that skipped normalize_url must still never hand libcurl a string it would cut.
  if (url.find('\0') != std::string::npos) {
    why = "NUL byte in the URL";
    return std::nullopt;
  }
  // libcurl reads "http:/host" and "http:///host" as "http://host"; yarl (so aiohttp) reads
  // both as a URL without a host and aiohttp refuses them. A request to a host the caller
  // never wrote is the worse surprise, so refuse them too.
  if (has_http_scheme(url)) {
    const auto colon = url.find(':');
    const bool has_authority =
        url.size() > colon + 3 && url.compare(colon + 1, 2, "//") == 0 &&
        std::string_view("/?#").find(url[colon + 3]) == std::string_view::npos;
    if (!has_authority) {
      why = "no host";
      return std::nullopt;
    }
  }
  UrlPtr u(curl_url());
  if (!u) {
    why = "out of memory";
    return std::nullopt;
  }
  // NON_SUPPORT_SCHEME lets us say "not http(s)" instead of a generic parse error.
  if (auto rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK) {
    why = curl_url_strerror(rc);
    return std::nullopt;
  }
  ParsedUrl out;
  out.scheme = get_part(u.get(), CURLUPART_SCHEME).value_or("");
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https") {
    why = "scheme '" + out.scheme + "' is not http or https";
    return std::nullopt;
  }
  auto host = get_part(u.get(), CURLUPART_HOST);
  if (!host || host->empty()) {
    why = "no host";
    return std::nullopt;
  }
  std::transform(host->begin(), host->end(), host->begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto port = get_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("");
  out.origin = out.scheme + "://" + *host + ":" + port;
  return out;
}

std::optional<std::string> resolve_redirect(const std::string& base, const std::string& raw_location) {
  ensure_curl_global_init();
  std::string why;
  auto location = normalize_url(raw_location, why);
  if (!location) return std::nullopt;
  UrlPtr u(curl_url());
  if (!u) return std::nullopt;
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return std::nullopt;
  // Setting a relative URL on a handle that holds an absolute one resolves it (RFC 3986 5.2).
  if (curl_url_set(u.get(), CURLUPART_URL, location->c_str(),
                   CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE) != CURLUE_OK)
    return std::nullopt;
  return get_part(u.get(), CURLUPART_URL);
}

bool has_http_scheme(std::string_view url) noexcept {
  auto starts = [url](std::string_view p) {
    if (url.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    return true;
  };
  return starts("http:") || starts("https:");
}

bool has_https_scheme(std::string_view url) noexcept {
  static constexpr std::string_view p = "https:";
  if (url.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
  return true;
}

std::optional<std::string> connect_key(const std::string& url) {
  ensure_curl_global_init();
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto host = get_part(u.get(), CURLUPART_HOST);
  auto port = get_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || host->empty() || !port) return std::nullopt;
  std::transform(host->begin(), host->end(), host->begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return *host + ":" + *port;
}

bool has_forbidden_header_chars(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace asiofetch
