#include "asiofetch/attempt_policy.hpp"

#include <cctype>

#include "asiofetch/headers.hpp"
#include "asiofetch/url.hpp"

namespace asiofetch {

std::optional<Millis> decide_retry(const RetryPolicy* p, const AttemptState& s, const AttemptEnd& end,
                                   std::chrono::steady_clock::time_point now) {
  if (!p || s.outcome_sent || s.closing || s.batch_aborted || s.attempts >= p->attempts || !s.has_original) return std::nullopt;
  if (!p->retries_method(s.method)) return std::nullopt;
  std::optional<double> retry_after;
  if (end.error) {
    if (!p->retries_error(end.error->kind)) return std::nullopt;
  } else {
    if (!p->statuses.count(end.status)) return std::nullopt;
    if (p->respect_retry_after && end.headers)
      if (const std::string* v = find_header(*end.headers, "retry-after")) retry_after = parse_retry_after(*v);
  }
  const Millis wait = p->delay(s.attempts + 1, retry_after);
  if (p->total_budget_s > 0 && now + wait - s.first_started > std::chrono::duration<double>(p->total_budget_s))
    return std::nullopt;
  return wait;
}

bool decide_fallback(const AttemptState& s, std::size_t pos, std::size_t count, const AttemptEnd& end) {
  if (!s.has_original || pos >= count || s.outcome_sent || s.closing) return false;
  if (end.error) return end.error->kind != ErrorKind::Cancelled && end.error->kind != ErrorKind::SessionClosed;
  return end.status >= 500;
}

const std::string* redirect_target(const Headers& headers) {
  // `Location:` with an empty value loops on the same URL if followed; aiohttp's
  // `headers.get(LOCATION) or headers.get(URI)` falls through an empty one.
  for (std::string_view name : {"location", "uri"})
    if (const std::string* v = find_header(headers, name); v && !v->empty()) return v;
  return nullptr;
}

namespace {

// The scheme of a URL reference (RFC 3986 3.1), lower-cased; empty for a relative reference.
std::string reference_scheme(std::string_view ref) {
  const auto colon = ref.find(':');
  if (colon == 0 || colon == std::string_view::npos) return {};
  std::string scheme;
  for (std::size_t i = 0; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(ref[i]);
    const bool ok = std::isalpha(c) || (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return {};
    scheme += static_cast<char>(std::tolower(c));
  }
  return scheme;
}

}  // namespace

RedirectStep decide_redirect(const Request& req, const std::string& origin, int status,
                             const std::string* location, std::size_t hops, int max_redirects) {
  RedirectStep step;
  std::string target = location ? *location : std::string();
  if (const std::string scheme = reference_scheme(target); !scheme.empty()) {
    // aiohttp: a scheme other than http(s) is NonHttpUrlRedirectClientError, checked before
    // anything tries to parse the rest ("skype:handle" has no authority to parse).
    if (scheme != "http" && scheme != "https") {
      step.error = Error{ErrorKind::InvalidUrl, 0, "redirect to a non-HTTP URL '" + target + "'", target,
                         ErrorSubKind::RedirectNonHttp};
      return step;
    }
    // "http:/ok" and "http:ok" carry no authority: browsers, yarl and aiohttp read them as
    // references to the current origin when the scheme is the current one (libcurl would
    // take "ok" for a host name).
    const std::string_view rest = std::string_view(target).substr(scheme.size() + 1);
    // "http:///x" and "http://" do name an authority, an empty one: aiohttp 3.14 refuses them
    // (yarl's origin() fails) where libcurl would take "x" for the host.
    if (rest.substr(0, 2) == "//" && (rest.size() == 2 || rest.find_first_of("/?#", 2) == 2)) {
      step.error = Error{ErrorKind::InvalidUrl, 0, "Invalid redirect URL origin", target,
                         ErrorSubKind::RedirectInvalidUrl};
      return step;
    }
    if (rest.substr(0, 2) != "//") {
      if (reference_scheme(req.url) != scheme) {
        step.error = Error{ErrorKind::InvalidUrl, 0, "cannot follow redirect to '" + target + "': Invalid redirect URL origin",
                           target, ErrorSubKind::RedirectInvalidUrl};
        return step;
      }
      target.erase(0, scheme.size() + 1);
    }
  }
  // aiohttp's words for a Location yarl cannot parse (code and tests match on them).
  static constexpr const char* kNotAUrl = "Server attempted redirecting to a location that does not look like a URL";
  auto next = location ? resolve_redirect(req.url, target) : std::nullopt;
  if (!next) {
    step.error = Error{ErrorKind::InvalidUrl, 0, location ? kNotAUrl : "cannot follow redirect to ''",
                       location ? *location : "", ErrorSubKind::RedirectInvalidUrl};
    return step;
  }
  std::string why;
  auto parsed = parse_http_url(*next, why);
  if (!parsed) {
    // aiohttp tells a non-http(s) target (NonHttpUrlRedirectClientError) from an http URL
    // it cannot use (InvalidUrlRedirectClientError).
    if (!has_http_scheme(*next))
      step.error = Error{ErrorKind::InvalidUrl, 0, "redirect to a non-HTTP URL '" + *next + "': " + why, *next,
                         ErrorSubKind::RedirectNonHttp};
    else
      step.error = Error{ErrorKind::InvalidUrl, 0, std::string(kNotAUrl) + " (" + why + ")", *location,
                         ErrorSubKind::RedirectInvalidUrl};
    return step;
  }
  // aiohttp's rule: the n-th redirect fails when n reaches max_redirects.
  if (static_cast<int>(hops) >= max_redirects) {
    step.error = Error{ErrorKind::TooManyRedirects, 0,
                       "too many redirects (" + std::to_string(hops) + "), last to " + *next};
    return step;
  }
  step.to_get = (status == 303 && req.method != "HEAD") || ((status == 301 || status == 302) && req.method == "POST");
  step.cross_origin = parsed->origin != origin;
  step.origin = std::move(parsed->origin);
  step.url = std::move(*next);
  return step;
}

void apply_redirect(Request& req, std::string& origin, RedirectStep&& step, const std::string& session_authorization) {
  if (step.to_get) {
    req.method = "GET";
    req.body.clear();
    drop_header(req.headers, "content-length");
  }
  if (step.cross_origin) {
    // Credentials are for the origin they were given to. Proxy-Authorization too: a caller
    // that set it by hand meant it for the hop it configured, and forwarding it to another
    // host leaks the proxy's credentials (requests' CVE-2023-32681 is the same leak).
    drop_header(req.headers, "authorization");
    drop_header(req.headers, "proxy-authorization");
    drop_header(req.headers, "cookie");
    if (!session_authorization.empty()) req.headers.emplace_back("Authorization", session_authorization);
    origin = std::move(step.origin);
  }
  req.url = std::move(step.url);
}

bool is_hedged(const RequestOptions& o, const Request& req, int copy) {
  return o.hedge_max_extra > 0 && o.hedge_after.count() > 0 && !o.stream && copy == 0 &&
         (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS");
}

bool may_hedge_again(int launched, int max_extra) { return launched < max_extra; }

}  // namespace asiofetch
