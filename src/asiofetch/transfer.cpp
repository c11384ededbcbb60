#include "asiofetch/transfer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "asiofetch/attempt_policy.hpp"
#include "asiofetch/delivery.hpp"
#include "asiofetch/fault.hpp"
#include "asiofetch/headers.hpp"
#include "asiofetch/retry.hpp"
#include "asiofetch/stream_buffer.hpp"
#include "asiofetch/tls_fingerprint.hpp"
#include "asiofetch/url.hpp"

namespace asiofetch {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

int Transfer::on_prereq(void* self, char* remote_ip, char*, int remote_port, int) noexcept {
  auto& t = *static_cast<Transfer*>(self);
  if (!t.opts->fingerprint.empty() && has_https_scheme(t.req.url)) {
    // aiohttp checks the digest before it sends anything on the connection; a plain-http hop
    // has no certificate to check (aiohttp applies ssl= to https only).
    try {
      auto got = peer_certificate_sha256(t.easy.get());
      if (!got || *got != t.opts->fingerprint) {
        t.fingerprint_got = got ? std::move(*got) : std::string();
        // aiohttp names the peer it connected to (its address), not the URL's host.
        const std::string ip = remote_ip ? remote_ip : "";
        t.fingerprint_peer = "https://" + (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" +
                             std::to_string(remote_port) + "/";
        return CURL_PREREQFUNC_ABORT;
      }
    } catch (...) {
      t.fingerprint_got = std::string();
      return CURL_PREREQFUNC_ABORT;
    }
  }
  if (is_idempotent_method(t.req.method)) return CURL_PREREQFUNC_OK;
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
    // 101 Switching Protocols ends the HTTP exchange: aiohttp's response has an empty body.
    // libcurl, which did not ask for the upgrade, would read the other protocol's bytes as
    // a body until the peer closes (an aiohttp server never does): end the transfer here.
    if (self.resp->status == 101) {
      self.ended_at_head = true;
      return 0;  // CURLE_WRITE_ERROR, which attempt_done takes as the response's end
    }
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
  if (iequals(name, "content-length")) {
    std::size_t cl = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), cl);
    if (ec == std::errc() && p == value.data() + value.size()) {
      // Never more than the body may hold: a Content-Length alone must not allocate.
      const std::uint64_t cap = batch_cap() ? batch_cap() : std::uint64_t{64} << 20;
      self.resp->body.reserve(static_cast<std::size_t>(
          std::min<std::uint64_t>({cl, self.opts->stream ? self.opts->stream_high_water : cap})));
    }
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
  decoder.reset();
  raw_bytes = 0;
  hold_head = false;
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
  if (opts->auto_decompress && !mock_play) {
    // libcurl's decoding is off (easy_setup): every Content-Encoding line, in order. A mocked
    // answer's body is given decoded (asiofetch.testing), whatever Content-Encoding it names.
    std::string encodings;
    for (const auto& [k, v] : resp->headers)
      if (iequals(k, "content-encoding")) encodings.append(encodings.empty() ? "" : ", ").append(v);
    if (!encodings.empty()) decoder = ContentDecoder::create(encodings);
  }
  plain_cap = UINT64_MAX;
  for (std::uint64_t cap : {opts->max_body_size, decoder ? 0 : opts->max_decompressed_size, batch_cap()})
    if (cap) plain_cap = std::min(plain_cap, cap);
  // A status the retry policy or a fallback may answer by starting over: the whole body is
  // kept here so the decision is made at the end, as for a buffered request.
  const std::string& method = original ? original->method : req.method;
  hold_head = (opts->retry && opts->retry->statuses.count(status) && opts->retry->retries_method(method)) ||
              (original && fallback_pos < original->fallback.size() && status >= 500);
  if (opts->stream && head_to && !hold_head) head_to->head_due(*this);
}

namespace {

Error batch_cap_error(std::uint64_t cap) {
  return Error{ErrorKind::PayloadIncomplete, 0,
               "response body larger than the batch's max_body_size=" + std::to_string(cap) +
                   " bytes (a native batch holds each body whole in memory): raise it with "
                   "gather()/as_completed() max_body_size= or ClientSession(batch_max_body_size=), None "
                   "for no cap, or stream it with session.get()"};
}

}  // namespace

Error Transfer::over_plain_cap() const {
  // The smallest bound passed is the one named (one chunk may pass several).
  std::uint64_t best = UINT64_MAX;
  Error e;
  auto consider = [&](std::uint64_t cap, auto make) {
    if (cap && raw_bytes > cap && cap < best) {
      best = cap;
      e = make(cap);
    }
  };
  consider(opts->max_body_size, [](std::uint64_t c) { return body_limit_error(false, c); });
  if (!decoder) consider(opts->max_decompressed_size, [](std::uint64_t c) { return body_limit_error(true, c); });
  consider(batch_cap(), batch_cap_error);
  return e;
}

bool Transfer::check_decoded_size() {
  const std::uint64_t size = resp->body.size();
  if (opts->max_decompressed_size && size > opts->max_decompressed_size) {
    body_error = body_limit_error(true, opts->max_decompressed_size);
    return false;
  }
  // The whole body is held in memory (a batch, a hop a retry may redo): without a limit of
  // the caller's, refuse what only a decompression bomb produces, past 16 MiB more than 100
  // times the compressed size (zip-bomb guards use the same ratio; real content stays under 20).
  constexpr std::uint64_t kRatioFloor = 16u << 20, kMaxRatio = 100;
  if (!opts->max_decompressed_size && decoder && size > kRatioFloor && size > kMaxRatio * raw_bytes) {
    body_error = Error{ErrorKind::PayloadIncomplete, 0,
                       "refused a decompression bomb: the " + decoder->encoding() + " body decodes to over " +
                           std::to_string(kMaxRatio) + " times its size (" + std::to_string(raw_bytes) +
                           " bytes on the wire, " + std::to_string(size) +
                           " decoded so far); stream it, or set max_decompressed_size to allow it"};
    return false;
  }
  if (batch_cap() && size > batch_cap()) {  // what a batch holds is the decoded body
    body_error = batch_cap_error(batch_cap());
    return false;
  }
  return true;
}

bool Transfer::decode_into_body(std::size_t limit) {
  constexpr std::size_t kStep = 64 * 1024;
  try {
    while (resp->body.size() < limit) {
      if (decoder->decode(resp->body, std::min(kStep, limit - resp->body.size())) == 0) break;
      if (!check_decoded_size()) return false;
    }
  } catch (const DecodeError& e) {
    body_error = Error{ErrorKind::PayloadIncomplete, 0,
                       "Can not decode content-encoding: " + decoder->encoding() + " (" + e.what() + ")"};
    return false;
  }
  return true;
}

std::size_t Transfer::body_bytes(char* data, std::size_t len) {
  auto& self = *this;
  self.last_activity = Clock::now();
  fault::check(fault::Site::Body, id);
  if (self.follow) return len;  // a redirect's body is never shown to anyone
  if (self.stream) {
    switch (self.stream->offer(std::string_view(data, len))) {
      case StreamBuffer::Offer::Taken: return len;
      case StreamBuffer::Offer::Full: return CURL_WRITEFUNC_PAUSE;
      case StreamBuffer::Offer::Failed: body_error = self.stream->error(); return 0;
    }
  }
  // Buffered here. Head-first (stream mode, the head not yet handed over): up to the mark,
  // then the transfer pauses until the round's end gives the body a stream.
  const bool bounded = self.opts->stream && !self.hold_head;
  const std::size_t mark = bounded ? self.opts->stream_high_water : SIZE_MAX;
  if (bounded && self.decoder && self.decoder->has_more() && !decode_into_body(mark)) return 0;
  if (bounded && (self.resp->body.size() >= mark || (self.decoder && self.decoder->has_more()))) {
    self.paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  self.paused = false;
  self.raw_bytes += len;
  if (self.raw_bytes > self.plain_cap) {
    body_error = over_plain_cap();
    return 0;
  }
  if (!self.decoder) {
    self.resp->body.append(data, len);
    return len;
  }
  self.decoder->feed(std::string_view(data, len));
  return decode_into_body(mark) ? len : 0;
}

}  // namespace asiofetch
