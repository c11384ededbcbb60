#include "asiofetch/transfer.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "asiofetch/attempt_policy.hpp"
#include "asiofetch/delivery.hpp"
#include "asiofetch/fault.hpp"
#include "asiofetch/headers.hpp"

namespace asiofetch {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

int Transfer::on_prereq(void* self, char*, char*, int, int) noexcept {
  auto& t = *static_cast<Transfer*>(self);
  if (++t.requests_sent == 1) return CURL_PREREQFUNC_OK;
  t.resend_refused = true;
  return CURL_PREREQFUNC_ABORT;
}

bool is_redirect_status(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

namespace {

// Runs a callback body; an exception becomes a refused callback (libcurl then aborts the
// transfer with CURLE_WRITE_ERROR) and its text is kept for the request's error.
template <class F>
std::size_t guarded(Transfer& t, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    try {
      t.callback_error = e.what();
    } catch (...) {
    }
  } catch (...) {
    try {
      t.callback_error = "unknown exception";
    } catch (...) {
    }
  }
  return 0;
}

}  // namespace

std::size_t Transfer::on_header(char* data, std::size_t size, std::size_t n, void* self_) noexcept {
  auto& self = *static_cast<Transfer*>(self_);
  return guarded(self, [&] { return self.header_line(std::string_view(data, size * n)); });
}

std::size_t Transfer::on_body(char* data, std::size_t size, std::size_t n, void* self_) noexcept {
  auto& self = *static_cast<Transfer*>(self_);
  return guarded(self, [&] { return self.body_bytes(data, size * n); });
}

std::size_t Transfer::header_line(std::string_view line) {
  auto& self = *this;
  const std::size_t len = line.size();
  self.last_activity = Clock::now();
  if (!self.head_checks.line(line, self.opts->head_limits)) return 0;  // aborts: CURLE_WRITE_ERROR
  if (line.starts_with("HTTP/")) {
    // A new header block: an interim 1xx, a redirect hop, or the final response.
    self.parse_status_line(line);
    return len;
  }
  if (self.headers_done) return len;  // trailers after a chunked body: not headers
  if (line == "\r\n" || line == "\n") {
    self.end_of_headers();
    return len;
  }
  auto& headers = self.resp->headers;
  if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
    // obs-fold continuation (RFC 9112 5.2): join with one space.
    headers.back().second.push_back(' ');
    headers.back().second.append(trim(line));
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // malformed line: ignore like aiohttp's lax parser
  auto name = line.substr(0, colon);
  auto value = trim(line.substr(colon + 1));
  if (!self.opts->stream && iequals(name, "content-length")) {
    std::size_t cl = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), cl);
    if (ec == std::errc() && p == value.data() + value.size())
      self.resp->body.reserve(std::min<std::size_t>(cl, 64u << 20));
  }
  headers.emplace_back(std::string(name), std::string(value));
  return len;
}

void Transfer::parse_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK", "HTTP/2 200": version, code, optional reason.
  headers_done = false;
  follow = false;
  resp->headers.clear();
  resp->headers.reserve(8);  // one allocation for a typical response instead of four
  resp->reason.clear();
  resp->body.clear();
  line = trim(line);
  auto sp = line.find(' ');
  auto version = line.substr(5, sp == std::string_view::npos ? std::string_view::npos : sp - 5);
  resp->http_version.assign(version);
  if (sp == std::string_view::npos) return;
  auto rest = line.substr(sp + 1);
  int status = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (ec == std::errc()) resp->status = status;
  auto reason = trim(std::string_view(p, static_cast<std::size_t>(rest.data() + rest.size() - p)));
  resp->reason.assign(reason);
}

void Transfer::end_of_headers() {
  const int status = resp->status;
  if (status >= 100 && status < 200 && status != 101) return;  // interim: the real one follows
  headers_done = true;
  if (opts->follow_redirects && is_redirect_status(status) && req.method != "CONNECT") {
    if (redirect_target(resp->headers)) {
      follow = true;
      return;
    }
  }
  if (stream && head_to) head_to->head(*this);
}

std::size_t Transfer::body_bytes(char* data, std::size_t len) {
  auto& self = *this;
  self.last_activity = Clock::now();
  fault::check(fault::Site::Body, id);
  if (self.follow) return len;  // a redirect's body is never shown to anyone
  if (self.stream) {
    if (!self.stream->offer(std::string_view(data, len))) return CURL_WRITEFUNC_PAUSE;
    return len;
  }
  self.resp->body.append(data, len);
  return len;
}

}  // namespace asiofetch
