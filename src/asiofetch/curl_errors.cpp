#include "asiofetch/curl_errors.hpp"

#include <string>

namespace asiofetch {

std::string_view error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::None: return "none";
    case ErrorKind::InvalidUrl: return "invalid URL";
    case ErrorKind::Dns: return "DNS resolution failed";
    case ErrorKind::Connect: return "cannot connect";
    case ErrorKind::Tls: return "TLS error";
    case ErrorKind::TlsCertificate: return "TLS certificate rejected";
    case ErrorKind::ConnectTimeout: return "connect timeout";
    case ErrorKind::ReadTimeout: return "read timeout";
    case ErrorKind::TotalTimeout: return "total timeout";
    case ErrorKind::PoolTimeout: return "timeout waiting for a connection slot";
    case ErrorKind::ServerDisconnected: return "server disconnected";
    case ErrorKind::PayloadIncomplete: return "response payload is not completed";
    case ErrorKind::TooManyRedirects: return "too many redirects";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::SessionClosed: return "session is closed";
    case ErrorKind::Other: return "request failed";
    case ErrorKind::Proxy: return "proxy error";
    case ErrorKind::BadResponse: return "bad response";
    case ErrorKind::ResolveNeeded: return "resolve needed";
    case ErrorKind::FingerprintMismatch: return "fingerprint mismatch";
  }
  return "unknown";
}

namespace {

// How a code's kind depends on what the transfer had reached (FailurePhase).
enum class Phase : std::uint8_t {
  Any,           // `kind` whatever the phase
  ViaProxy,      // ErrorKind::Proxy when a proxy is configured, else `kind`
  Timeout,       // ConnectTimeout when the connect deadline fired before connecting, else TotalTimeout
  HeadOrBody,    // ServerDisconnected before a status line, PayloadIncomplete after it
  UrlOrReply,    // InvalidUrl before the connection, BadResponse once the server answered
  HeadOrOther,   // BadResponse while the head is read, `kind` after it
};

struct Row {
  CURLcode code;
  ErrorKind kind;
  Phase phase;
};

// THE table: every libcurl failure an HTTP(S) transfer can end with, and the kind it becomes.
// The Python layer (_native_errors.py) turns each kind into aiohttp's exception class; the
// README's "Errors" section lists both steps, and tests_cpp/test_error_table.cpp produces each
// row on loopback. A code not listed is ErrorKind::Other (ClientError with curl's text).
constexpr Row kTable[] = {
    // The URL or the build cannot serve the request (URLs are checked before submission, so
    // after a connection this code means the answer is not HTTP/1.x: HTTP/0.9, "HTTP/9.9").
    {CURLE_UNSUPPORTED_PROTOCOL, ErrorKind::InvalidUrl, Phase::UrlOrReply},
    {CURLE_URL_MALFORMAT, ErrorKind::InvalidUrl, Phase::Any},
    // Name resolution and TCP.
    {CURLE_COULDNT_RESOLVE_PROXY, ErrorKind::Proxy, Phase::Any},
    {CURLE_COULDNT_RESOLVE_HOST, ErrorKind::Dns, Phase::Any},
    {CURLE_COULDNT_CONNECT, ErrorKind::Connect, Phase::ViaProxy},
    {CURLE_PROXY, ErrorKind::Proxy, Phase::Any},
    // Timeouts libcurl enforces (the connect and total deadlines; read silence is our timer).
    {CURLE_OPERATION_TIMEDOUT, ErrorKind::TotalTimeout, Phase::Timeout},
    // TLS: a rejected peer certificate, and every other handshake failure.
    {CURLE_PEER_FAILED_VERIFICATION, ErrorKind::TlsCertificate, Phase::Any},
    // A CA file named but unreadable trusts nothing, and then every peer is rejected: what
    // Python's ssl reports for a missing SSL_CERT_FILE (tests_py/test_ca_trust.py).
    {CURLE_SSL_CACERT_BADFILE, ErrorKind::TlsCertificate, Phase::Any},
    {CURLE_SSL_ISSUER_ERROR, ErrorKind::TlsCertificate, Phase::Any},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, ErrorKind::TlsCertificate, Phase::Any},
    {CURLE_SSL_INVALIDCERTSTATUS, ErrorKind::TlsCertificate, Phase::Any},
    {CURLE_SSL_CONNECT_ERROR, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_ENGINE_NOTFOUND, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_ENGINE_SETFAILED, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_CERTPROBLEM, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_CIPHER, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_ENGINE_INITFAILED, ErrorKind::Tls, Phase::Any},
    {CURLE_USE_SSL_FAILED, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_SHUTDOWN_FAILED, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_CRL_BADFILE, ErrorKind::Tls, Phase::Any},
    {CURLE_SSL_CLIENTCERT, ErrorKind::Tls, Phase::Any},
    {CURLE_ECH_REQUIRED, ErrorKind::Tls, Phase::Any},
    // The answer is not valid HTTP (bad status line, bad Content-Length, a header line over
    // libcurl's own 100 KiB limit): aiohttp's parser answers 400 for each.
    {CURLE_WEIRD_SERVER_REPLY, ErrorKind::BadResponse, Phase::Any},
    {CURLE_TOO_LARGE, ErrorKind::Other, Phase::HeadOrOther},
    // The connection ended early.
    {CURLE_GOT_NOTHING, ErrorKind::ServerDisconnected, Phase::Any},
    {CURLE_SEND_ERROR, ErrorKind::ServerDisconnected, Phase::Any},
    {CURLE_RECV_ERROR, ErrorKind::ServerDisconnected, Phase::HeadOrBody},
    {CURLE_HTTP2, ErrorKind::ServerDisconnected, Phase::HeadOrBody},
    {CURLE_HTTP2_STREAM, ErrorKind::ServerDisconnected, Phase::HeadOrBody},
    {CURLE_HTTP3, ErrorKind::ServerDisconnected, Phase::HeadOrBody},
    {CURLE_PARTIAL_FILE, ErrorKind::PayloadIncomplete, Phase::Any},
    {CURLE_BAD_CONTENT_ENCODING, ErrorKind::PayloadIncomplete, Phase::Any},
    // Our own callbacks stopped the transfer (cancel, stream abort).
    {CURLE_ABORTED_BY_CALLBACK, ErrorKind::Cancelled, Phase::Any},
};

ErrorKind kind_for(CURLcode code, const FailurePhase& p) {
  for (const Row& r : kTable) {
    if (r.code != code) continue;
    switch (r.phase) {
      case Phase::Any: return r.kind;
      case Phase::ViaProxy: return p.via_proxy ? ErrorKind::Proxy : r.kind;
      case Phase::Timeout:
        return !p.connected && p.connect_deadline ? ErrorKind::ConnectTimeout : ErrorKind::TotalTimeout;
      case Phase::HeadOrBody: return p.got_status ? ErrorKind::PayloadIncomplete : r.kind;
      case Phase::UrlOrReply: return p.connected ? ErrorKind::BadResponse : r.kind;
      case Phase::HeadOrOther: return p.head_done ? r.kind : ErrorKind::BadResponse;
    }
  }
  return ErrorKind::Other;
}

// aiohttp's wording where its parser names the same fault; curl's own text otherwise.
std::string bad_response_reason(CURLcode code, std::string_view detail) {
  if (code == CURLE_UNSUPPORTED_PROTOCOL) return "Bad status line: " + std::string(detail);
  if (code == CURLE_TOO_LARGE) return "Got more than the header size limit when reading the response head: " + std::string(detail);
  return std::string(detail);
}

}  // namespace

Error map_curl_error(CURLcode code, const FailurePhase& phase, std::string_view detail,
                     std::string_view url) {
  Error e;
  e.kind = kind_for(code, phase);
  e.curl_code = static_cast<int>(code);
  e.url.assign(url);
  if (detail.empty()) detail = curl_easy_strerror(code);
  if (e.kind == ErrorKind::BadResponse) {
    // ClientResponseError's message: the reason alone (its str() adds status and URL).
    e.message = bad_response_reason(code, detail);
    return e;
  }
  // "<what> (<url>): <curl's reason> [curl error N]": the code stays as a suffix for logs
  // and bug reports; NativeError.curl_code has it as a number.
  e.message.reserve(128);
  e.message.append(error_kind_name(e.kind));
  e.message.append(" (");
  e.message.append(url);
  e.message.append("): ");
  e.message.append(detail);
  e.message.append(" [curl error ");
  e.message.append(std::to_string(static_cast<int>(code)));
  e.message.append("]");
  return e;
}

}  // namespace asiofetch
