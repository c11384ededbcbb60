#include "asiofetch/url.hpp"

#include <algorithm>

#include "asiofetch/curl_handles.hpp"

namespace asiofetch {

namespace {

std::optional<std::string> get_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK) return std::nullopt;
  CurlString owned(raw);
  return std::string(owned.get());
}

}  // namespace

std::optional<ParsedUrl> parse_http_url(const std::string& url, std::string& why) {
  ensure_curl_global_init();
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

std::optional<std::string> resolve_redirect(const std::string& base, const std::string& location) {
  ensure_curl_global_init();
  UrlPtr u(curl_url());
  if (!u) return std::nullopt;
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return std::nullopt;
  // Setting a relative URL on a handle that holds an absolute one resolves it (RFC 3986 5.2).
  if (curl_url_set(u.get(), CURLUPART_URL, location.c_str(),
                   CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE) != CURLUE_OK)
    return std::nullopt;
  return get_part(u.get(), CURLUPART_URL);
}

bool has_forbidden_header_chars(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace asiofetch
