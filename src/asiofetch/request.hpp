// What a caller asks the engine to do: one HTTP request and the options that shape it.
#pragma once

#include <chrono>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asiofetch {

struct RetryPolicy;
class Semaphore;
class RateLimiter;
class UploadSource;

using Headers = std::vector<std::pair<std::string, std::string>>;
using Millis = std::chrono::milliseconds;

enum class HttpVersion : std::uint8_t {
  Any,            // libcurl's default for the scheme: HTTP/1.1 on http, h2 offered via ALPN on https
  Http1_1,
  Http2,          // h2 via ALPN on https, falls back to 1.1 when the server does not offer it
  Http2PriorKnowledge,  // h2c: speak HTTP/2 from the first byte on cleartext
};

// aiohttp's response-head limits (ClientSession(max_line_size=, max_field_size=, max_headers=)),
// with aiohttp 3.14's defaults; head_checks.cpp enforces them.
struct HeadLimits {
  std::size_t max_line_size = 8190;   // the status line's reason phrase
  std::size_t max_field_size = 8190;  // one header's name plus value
  std::size_t max_headers = 128;      // header lines in one head
};

// Options shared by many requests: built once (per session, per batch) and referenced, so the
// per-request path copies a pointer instead of a dozen fields. Immutable once submitted.
struct RequestOptions {
  // A zero duration means "no limit" for every timeout below.
  Millis connect_timeout{0};  // DNS + TCP + TLS of one attempt; never counts time queued for a slot
  Millis read_timeout{0};     // longest silence between two reads once the request is sent
  Millis total_timeout{0};    // whole request, redirects included, from the moment it gets a slot
  Millis pool_timeout{0};     // longest wait in the session's queue for a free slot
  bool follow_redirects = true;
  int max_redirects = 10;
  bool verify_tls = true;
  std::string ca_file;        // empty: the system store
  std::string client_cert;    // PEM file, empty: none
  std::string client_key;
  HttpVersion http_version = HttpVersion::Any;
  bool auto_decompress = true;  // advertise gzip/deflate/br/zstd and decode transparently
  std::string proxy;            // empty: none (libcurl's env lookup is disabled, Python decides)
  bool stream = false;          // deliver headers first and the body through a StreamBuffer
  std::size_t stream_high_water = 256 * 1024;  // pause the transfer above this many buffered (decoded) bytes
  // Hard bounds of one response body, 0: none. Over one, the body fails (PayloadIncomplete).
  std::uint64_t max_body_size = 0;          // bytes on the wire
  std::uint64_t max_decompressed_size = 0;  // bytes after Content-Encoding decoding
  // A native batch holds each member's body whole until the caller takes it: the most bytes
  // one may hold (on the wire, and decoded), 0: none. Batch members only: a lone request
  // streams its body (aiohttp has no cap). 16 MiB: see python/asiofetch/_options.py.
  std::uint64_t batch_max_body_size = 16u << 20;
  HeadLimits head_limits;
  // A custom resolver runs in Python (TCPConnector(resolver=)): before an attempt connects to
  // a host:port that Request::connect_to does not map, the engine asks Python for it (an
  // ErrorKind::ResolveNeeded outcome) and waits for Engine::resolved(). false: libcurl
  // resolves (getaddrinfo), nothing asked.
  bool resolve_hook = false;
  // A session's auth= (aiohttp's default auth, no base_url): the Authorization value a
  // cross-origin redirect hop sends again after dropping the caller's credentials. "": none.
  std::string session_authorization;
  // aiohttp's Fingerprint: the SHA-256 of the peer's DER certificate (32 raw bytes), checked
  // on every connection a request uses, new or reused, before the request is sent. Empty: none.
  std::string fingerprint;

  // Native flow control. The pointees are shared with Python objects and with other requests;
  // their state is touched on the engine thread only.
  std::shared_ptr<const RetryPolicy> retry;     // null: one attempt
  std::shared_ptr<Semaphore> semaphore;         // held from start to outcome, across retries
  std::shared_ptr<RateLimiter> rate_limit;      // one token per attempt
  // Hedging: when the first attempt has no answer after `hedge_after`, start a copy (up to
  // `hedge_max_extra` copies, one per period); the first success wins, the others are cancelled.
  Millis hedge_after{0};
  int hedge_max_extra = 0;
};

// aiohttp's idempotent methods: the only ones that may be sent again without being asked.
inline bool is_idempotent_method(std::string_view m) noexcept {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // A streamed body instead of `body` (read through libcurl's read callback), shared with the
  // feeder. One-shot: a request carrying one is never retried, hedged or re-sent on a redirect.
  std::shared_ptr<UploadSource> upload;
  std::vector<std::string> fallback;  // tried in order when the URL fails (validated by the caller)
  // CURLOPT_CONNECT_TO entries, "host:port:addr:addr_port": where a host:port of this request
  // connects (a resolver's answers, a TLS name differing from the host). Empty: none.
  std::vector<std::string> connect_to;
};

}  // namespace asiofetch
