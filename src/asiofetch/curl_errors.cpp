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
  }
  return "unknown";
}

namespace {

ErrorKind kind_for(CURLcode code, const FailurePhase& p) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return ErrorKind::InvalidUrl;
    case CURLE_COULDNT_RESOLVE_HOST:
      return ErrorKind::Dns;
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ErrorKind::Proxy;
    case CURLE_COULDNT_CONNECT:
      return p.via_proxy ? ErrorKind::Proxy : ErrorKind::Connect;
    case CURLE_OPERATION_TIMEDOUT:
      if (!p.connected && p.connect_deadline) return ErrorKind::ConnectTimeout;
      return ErrorKind::TotalTimeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return ErrorKind::TlsCertificate;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CLIENTCERT:
      return ErrorKind::Tls;
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
      return ErrorKind::PayloadIncomplete;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
      return ErrorKind::ServerDisconnected;
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      // Before the status line the server went away; inside the body the payload is cut.
      return p.got_status ? ErrorKind::PayloadIncomplete : ErrorKind::ServerDisconnected;
    case CURLE_RECURSIVE_API_CALL:
    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorKind::Cancelled;
    default:
      return ErrorKind::Other;
  }
}

}  // namespace

Error map_curl_error(CURLcode code, const FailurePhase& phase, std::string_view detail,
                     std::string_view url) {
  Error e;
  e.kind = kind_for(code, phase);
  e.curl_code = static_cast<int>(code);
  e.url.assign(url);
  e.message.reserve(128);
  e.message.append(error_kind_name(e.kind));
  e.message.append(" (");
  e.message.append(url);
  e.message.append("): curl error ");
  e.message.append(std::to_string(static_cast<int>(code)));
  e.message.append(": ");
  e.message.append(detail.empty() ? std::string_view(curl_easy_strerror(code)) : detail);
  return e;
}

}  // namespace asiofetch
