// Each row of curl_errors.cpp's table produced on loopback, and the response-head checks
// (head_checks.cpp): what the engine reports for every way a server can fail a request.
#include <algorithm>

#include "asiofetch/curl_errors.hpp"
#include "support/closed_port.hpp"
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

class ErrorTable : public ServerTest {
 protected:
  // /raw answers with exactly these bytes (plus `fill` bytes of 'a' between head and tail).
  static std::string raw(std::string_view head, std::size_t fill = 0, std::string_view tail = {},
                         int byte_delay_ms = 0) {
    auto enc = [](std::string_view s) {
      static constexpr char hex[] = "0123456789ABCDEF";
      std::string out;
      for (unsigned char c : s) {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 0xf];
      }
      return out;
    };
    return url("/raw?head=" + enc(head) + "&fill=" + std::to_string(fill) + "&tail=" + enc(tail) +
               "&byte_delay_ms=" + std::to_string(byte_delay_ms));
  }
  static Error fails(EngineClient& c, const std::string& u, RequestOptions opts = {}) {
    auto o = c.get(u, opts);
    EXPECT_FALSE(o.response) << u;
    return o.error;
  }
};

// -- the status line ----------------------------------------------------------------------

TEST_F(ErrorTable, http09_answer_is_a_bad_response_not_a_bad_url) {
  EngineClient c;
  Error e = fails(c, raw("hello world\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
  EXPECT_TRUE(e.message.starts_with("Bad status line: ")) << e.message;
}

TEST_F(ErrorTable, unknown_http_version_is_a_bad_response) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
}

TEST_F(ErrorTable, status_codes_that_are_not_three_digits_are_bad_responses) {
  EngineClient c;
  for (std::string_view code : {"99", "abc", "2000"}) {
    Error e = fails(c, raw("HTTP/1.1 " + std::string(code) + " OK\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_EQ(e.kind, ErrorKind::BadResponse) << code << ": " << e.message;
  }
}

TEST_F(ErrorTable, reason_phrase_over_max_line_size) {
  EngineClient c;
  RequestOptions opts;
  opts.head_limits.max_line_size = 100;
  Error e = fails(c, raw("HTTP/1.1 200 ", 101, "\r\nContent-Length: 0\r\n\r\n"), opts);
  EXPECT_EQ(e.kind, ErrorKind::BadResponse);
  EXPECT_EQ(e.message, "Got more than 100 bytes when reading: b'" + std::string(100, 'a') + "...'.");
  auto ok = c.get(raw("HTTP/1.1 200 ", 100, "\r\nContent-Length: 0\r\n\r\n"), opts);
  ASSERT_FALSE(ok.error) << ok.error.message;
  EXPECT_EQ(ok.response->reason, std::string(100, 'a'));
}

// -- header fields ------------------------------------------------------------------------

TEST_F(ErrorTable, duplicate_content_length_is_refused) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse);
  EXPECT_EQ(e.message, "Duplicate Content-Length:\n\n  b'Content-Length: 10'\n                    ^");
  // Equal values too, as llhttp (aiohttp's parser) refuses them.
  Error same = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello"));
  EXPECT_EQ(same.kind, ErrorKind::BadResponse) << same.message;
}

TEST_F(ErrorTable, malformed_content_length_is_a_bad_response) {
  EngineClient c;
  for (std::string_view v : {"abc", "-1", "5 5", "+5"}) {
    Error e = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(v) + "\r\n\r\nhello"));
    EXPECT_EQ(e.kind, ErrorKind::BadResponse) << v << ": " << e.message;
  }
}

TEST_F(ErrorTable, header_name_that_is_not_a_token_is_refused) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nBad Name: v\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse);
  EXPECT_EQ(e.message, "Invalid header token:\n\n  b'Bad Name: v'\n       ^");
}

TEST_F(ErrorTable, header_field_over_max_field_size) {
  EngineClient c;
  // Name plus value: "X-Long" (6) + 8184 = 8190 passes, one more byte fails (aiohttp's rule).
  auto ok = c.get(raw("HTTP/1.1 200 OK\r\nX-Long: ", 8184, "\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_FALSE(ok.error) << ok.error.message;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nX-Long: ", 8185, "\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse);
  EXPECT_EQ(e.message, "Got more than 8190 bytes when reading: b'" + std::string(100, 'a') + "...'.");
  RequestOptions small;
  small.head_limits.max_field_size = 20;
  Error s = fails(c, raw("HTTP/1.1 200 OK\r\nX-Long: ", 15, "\r\nContent-Length: 0\r\n\r\n"), small);
  EXPECT_EQ(s.message, "Got more than 20 bytes when reading: b'" + std::string(15, 'a') + "...'.");
}

TEST_F(ErrorTable, header_line_over_libcurls_own_limit_is_a_bad_response) {
  EngineClient c;
  RequestOptions opts;
  opts.head_limits.max_field_size = 1 << 20;  // libcurl's 100 KiB line limit comes first
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nX-Long: ", 200000, "\r\nContent-Length: 0\r\n\r\n"), opts);
  EXPECT_EQ(e.kind, ErrorKind::BadResponse) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_TOO_LARGE);
  EXPECT_EQ(e.message.find("curl error"), std::string::npos) << e.message;
}

TEST_F(ErrorTable, more_than_max_headers) {
  EngineClient c;
  auto head = [](int n) {
    std::string h = "HTTP/1.1 200 OK\r\n";
    for (int i = 1; i < n; ++i) h += "X-H" + std::to_string(i) + ": v\r\n";
    return h + "Content-Length: 0\r\n\r\n";
  };
  auto ok = c.get(raw(head(128)));
  ASSERT_FALSE(ok.error) << ok.error.message;
  EXPECT_EQ(ok.response->headers.size(), 128u);
  Error e = fails(c, raw(head(129)));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse);
  EXPECT_EQ(e.message, "Too many headers received");
  RequestOptions few;
  few.head_limits.max_headers = 2;
  Error f = fails(c, raw(head(3)), few);
  EXPECT_EQ(f.message, "Too many headers received");
}

TEST_F(ErrorTable, limits_count_per_header_block) {
  EngineClient c;
  auto plain = c.get(url("/redirect/2"));
  ASSERT_FALSE(plain.error) << plain.error.message;
  std::size_t most = plain.response->headers.size(), all = most;
  for (const auto& hop : plain.response->history) {
    most = std::max(most, hop.headers.size());
    all += hop.headers.size();
  }
  ASSERT_GT(all, most);
  // Each hop of a redirect is its own head: the largest one fits, the sum would not.
  RequestOptions opts;
  opts.head_limits.max_headers = most;
  auto o = c.get(url("/redirect/2"), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->status, 200);
  opts.head_limits.max_headers = most - 1;
  EXPECT_EQ(fails(c, url("/redirect/2"), opts).kind, ErrorKind::BadResponse);
}

TEST_F(ErrorTable, bad_response_in_a_batch_fails_that_item_and_keeps_its_history) {
  EngineClient c;
  std::vector<Request> reqs{make_request("GET", raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345")),
                            make_request("GET", url("/bytes/3")), make_request("GET", url("/redirect-loop"))};
  auto o = c.wait(c.submit_batch(std::move(reqs), std::make_shared<RequestOptions>(), 0, false));
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), 3u);
  EXPECT_EQ((*o.batch)[0].error.kind, ErrorKind::BadResponse) << (*o.batch)[0].error.message;
  ASSERT_TRUE((*o.batch)[1].response);
  EXPECT_EQ((*o.batch)[1].response->body, "abc");
  const Error& loop = (*o.batch)[2].error;
  EXPECT_EQ(loop.kind, ErrorKind::TooManyRedirects);
  ASSERT_TRUE(loop.trail);
  EXPECT_EQ(loop.trail->hops.size(), 10u);  // the default limit: the 10th redirect fails
  EXPECT_EQ(loop.trail->hops.front().status, 302);
}

// -- the connection -----------------------------------------------------------------------

TEST_F(ErrorTable, refused_connection_is_connect) {
  EngineClient c;
  ClosedPort p;
  Error e = fails(c, "http://127.0.0.1:" + std::to_string(p.port) + "/");
  EXPECT_EQ(e.kind, ErrorKind::Connect);
  EXPECT_EQ(e.curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_TRUE(e.message.ends_with("[curl error 7]")) << e.message;
  EXPECT_NE(e.message.find("Failed to connect"), std::string::npos) << e.message;
}

TEST_F(ErrorTable, refused_proxy_is_proxy) {
  EngineClient c;
  ClosedPort p;
  RequestOptions opts;
  opts.proxy = "http://127.0.0.1:" + std::to_string(p.port);
  Error e = fails(c, url("/bytes/1"), opts);
  EXPECT_EQ(e.kind, ErrorKind::Proxy) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_COULDNT_CONNECT);
}

TEST_F(ErrorTable, unresolvable_host_and_proxy) {
  EngineClient c;
  Error e = fails(c, "http://does-not-exist.invalid/");
  EXPECT_EQ(e.kind, ErrorKind::Dns);
  EXPECT_EQ(e.curl_code, CURLE_COULDNT_RESOLVE_HOST);
  RequestOptions opts;
  opts.proxy = "http://does-not-exist.invalid:3128";
  Error p = fails(c, url("/bytes/1"), opts);
  EXPECT_EQ(p.kind, ErrorKind::Proxy);
  EXPECT_EQ(p.curl_code, CURLE_COULDNT_RESOLVE_PROXY);
}

TEST_F(ErrorTable, empty_reply_is_server_disconnected) {
  EngineClient c;
  Error e = fails(c, url("/close-before-response"));
  EXPECT_EQ(e.kind, ErrorKind::ServerDisconnected);
  EXPECT_EQ(e.curl_code, CURLE_GOT_NOTHING);
  // A head cut by the close: libcurl calls that a success, aiohttp a disconnect.
  Error head = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Le"));
  EXPECT_EQ(head.kind, ErrorKind::ServerDisconnected) << head.message;
}

TEST_F(ErrorTable, reset_before_the_status_is_server_disconnected) {
  EngineClient c;
  Error e = fails(c, url("/reset"));
  EXPECT_EQ(e.kind, ErrorKind::ServerDisconnected) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_RECV_ERROR);
}

TEST_F(ErrorTable, cut_body_is_payload_incomplete) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));
  EXPECT_EQ(e.kind, ErrorKind::PayloadIncomplete);
  EXPECT_EQ(e.curl_code, CURLE_PARTIAL_FILE);
  Error chunked = fails(c, url("/close-mid-body?size=1000"));
  EXPECT_EQ(chunked.kind, ErrorKind::PayloadIncomplete) << chunked.message;
}

TEST_F(ErrorTable, undecodable_body_is_payload_incomplete) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!"));
  EXPECT_EQ(e.kind, ErrorKind::PayloadIncomplete) << e.message;
  // asiofetch decodes Content-Encoding itself (libcurl's decoding is off, issue 12), so the
  // error is its decoder's, not libcurl's CURLE_BAD_CONTENT_ENCODING.
  EXPECT_EQ(e.curl_code, 0);
  EXPECT_NE(e.message.find("Can not decode content-encoding: gzip"), std::string::npos) << e.message;
}

TEST_F(ErrorTable, bad_chunk_size_is_payload_incomplete) {
  EngineClient c;
  // The body's framing, after the head: aiohttp's payload parser raises ClientPayloadError
  // (TransferEncodingError) once the head has been handed over.
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::PayloadIncomplete) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_RECV_ERROR);
}

TEST_F(ErrorTable, header_line_without_colon_is_a_bad_response) {
  EngineClient c;
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\nnocolon\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(e.kind, ErrorKind::BadResponse) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_WEIRD_SERVER_REPLY);
  EXPECT_EQ(e.message, "Header without colon");
}

// -- TLS ----------------------------------------------------------------------------------

TEST_F(ErrorTable, untrusted_certificate_is_tls_certificate) {
  EngineClient c;
  Error e = fails(c, server().tls_url("/bytes/1"));
  EXPECT_EQ(e.kind, ErrorKind::TlsCertificate);
  EXPECT_EQ(e.curl_code, CURLE_PEER_FAILED_VERIFICATION);
}

TEST_F(ErrorTable, tls_to_a_plain_port_is_tls) {
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  std::string u = url("/bytes/1");
  u.replace(0, 4, "https");
  Error e = fails(c, u, opts);
  EXPECT_EQ(e.kind, ErrorKind::Tls) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_SSL_CONNECT_ERROR);
}

TEST_F(ErrorTable, unreadable_client_certificate_is_tls) {
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = test_certs().ca_cert;
  opts.client_cert = "/nonexistent/client.pem";
  Error e = fails(c, server().tls_url("/bytes/1"), opts);
  EXPECT_EQ(e.kind, ErrorKind::Tls) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_SSL_CERTPROBLEM);
}

TEST_F(ErrorTable, unreadable_ca_file_trusts_nothing) {
  EngineClient c;
  RequestOptions opts;
  opts.ca_file = "/nonexistent/ca.pem";
  Error e = fails(c, server().tls_url("/bytes/1"), opts);
  EXPECT_EQ(e.kind, ErrorKind::TlsCertificate) << e.message;
  EXPECT_EQ(e.curl_code, CURLE_SSL_CACERT_BADFILE);
}

// -- timeouts -----------------------------------------------------------------------------

TEST_F(ErrorTable, timeouts_by_phase) {
  EngineClient c;
  RequestOptions connect;
  connect.connect_timeout = Millis(200);
  connect.total_timeout = Millis(10000);
  Error ce = fails(c, "https://localhost:" + std::to_string(server().silent_port()) + "/", connect);
  EXPECT_EQ(ce.kind, ErrorKind::ConnectTimeout) << ce.message;
  EXPECT_EQ(ce.curl_code, CURLE_OPERATION_TIMEDOUT);
  RequestOptions total;
  total.total_timeout = Millis(300);
  Error te = fails(c, url("/drip?chunks=50&size=10&delay_ms=100"), total);
  EXPECT_EQ(te.kind, ErrorKind::TotalTimeout) << te.message;
  EXPECT_EQ(te.curl_code, CURLE_OPERATION_TIMEDOUT);
}

TEST_F(ErrorTable, head_dribbled_slower_than_lines_but_faster_than_the_read_timeout) {
  EngineClient c;
  RequestOptions opts;
  opts.read_timeout = Millis(400);
  // 40 bytes 50 ms apart: 2 s for the head, each line far longer than the timeout, but no
  // silence longer than 50 ms. aiohttp's sock_read restarts on every read.
  auto o = c.get(raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, {}, 50), opts);
  ASSERT_FALSE(o.error) << o.error.message;
  EXPECT_EQ(o.response->body, "ok");
  // Silence longer than the timeout still fails.
  RequestOptions tight;
  tight.read_timeout = Millis(150);
  Error e = fails(c, raw("HTTP/1.1 200 OK\r\n", 0, {}, 400), tight);
  EXPECT_EQ(e.kind, ErrorKind::ReadTimeout) << e.message;
}

// -- rows no loopback server can produce through the engine's options ----------------------

TEST(ErrorTableRows, unreachable_rows_still_map_by_class) {
  FailurePhase none;
  FailurePhase connected;
  connected.connected = true;
  EXPECT_EQ(map_curl_error(CURLE_SSL_PINNEDPUBKEYNOTMATCH, connected, "", "u").kind, ErrorKind::TlsCertificate);
  EXPECT_EQ(map_curl_error(CURLE_SSL_ISSUER_ERROR, connected, "", "u").kind, ErrorKind::TlsCertificate);
  EXPECT_EQ(map_curl_error(CURLE_SSL_CIPHER, none, "", "u").kind, ErrorKind::Tls);
  EXPECT_EQ(map_curl_error(CURLE_URL_MALFORMAT, none, "", "u").kind, ErrorKind::InvalidUrl);
  EXPECT_EQ(map_curl_error(CURLE_UNSUPPORTED_PROTOCOL, none, "", "u").kind, ErrorKind::InvalidUrl);
  FailurePhase body = connected;
  body.got_status = true;
  EXPECT_EQ(map_curl_error(CURLE_HTTP2_STREAM, body, "", "u").kind, ErrorKind::PayloadIncomplete);
  EXPECT_EQ(map_curl_error(CURLE_HTTP2_STREAM, connected, "", "u").kind, ErrorKind::ServerDisconnected);
  EXPECT_EQ(map_curl_error(CURLE_SEND_ERROR, connected, "", "u").kind, ErrorKind::ServerDisconnected);
  body.head_done = true;
  EXPECT_EQ(map_curl_error(CURLE_TOO_LARGE, body, "", "u").kind, ErrorKind::Other);
  // Unlisted codes keep curl's text, never the number alone.
  Error other = map_curl_error(CURLE_OUT_OF_MEMORY, none, "", "http://x/");
  EXPECT_EQ(other.kind, ErrorKind::Other);
  EXPECT_EQ(other.message, "request failed (http://x/): Out of memory [curl error 27]");
}

}  // namespace
}  // namespace asiofetch::testing
