// Pure units with no server: URL checks, error mapping, mailbox and stream-buffer invariants.
#include <gtest/gtest.h>

#include "asiofetch/curl_errors.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/stream_buffer.hpp"
#include "asiofetch/url.hpp"

namespace asiofetch {
namespace {

TEST(Units, url_checks) {
  std::string why;
  auto ok = parse_http_url("HTTPS://Example.com/a?b", why);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->scheme, "https");
  EXPECT_EQ(ok->origin, "https://example.com:443");
  EXPECT_FALSE(parse_http_url("ftp://x/", why));
  EXPECT_NE(why.find("ftp"), std::string::npos);
  EXPECT_FALSE(parse_http_url("http://", why));
  // libcurl would read these as host "h"; yarl and aiohttp see no host at all.
  for (const char* no_host : {"http:///h/x", "http:/h/x", "http:h/x", "https:///h", "http://?q", "http://#f"}) {
    EXPECT_FALSE(parse_http_url(no_host, why)) << no_host;
    EXPECT_EQ(why, "no host") << no_host;
  }
  EXPECT_TRUE(has_forbidden_header_chars("a\r\nb"));
  EXPECT_TRUE(has_forbidden_header_chars(std::string_view("a\0b", 3)));
  EXPECT_FALSE(has_forbidden_header_chars("text/html; q=1"));
}

// What yarl (and so aiohttp) makes of a URL string, where that is safe, and a refusal where a
// byte would let libcurl read another host than the string shows.
TEST(Units, url_normalization) {
  std::string why;
  using namespace std::string_literals;
  EXPECT_EQ(normalize_url("http://h/a?b=c", why), "http://h/a?b=c");         // untouched
  EXPECT_EQ(normalize_url("http://h/echo\0x"s, why), "http://h/echo%00x");   // NUL in the path
  EXPECT_EQ(normalize_url("http://h/a b", why), "http://h/a%20b");
  EXPECT_EQ(normalize_url("http://h/?q=a b&c=\x01", why), "http://h/?q=a+b&c=%01");
  EXPECT_EQ(normalize_url("http://h/?q=\xc3\xa9", why), "http://h/?q=%C3%A9");  // UTF-8 "é"
  EXPECT_EQ(normalize_url("http://h/%zz%41", why), "http://h/%25zz%41");
  EXPECT_EQ(normalize_url("http://h/a\tb\r\n", why), "http://h/ab");  // WHATWG drops TAB/CR/LF
  EXPECT_EQ(normalize_url("http://h/\x7f", why), "http://h/%7F");
  EXPECT_EQ(normalize_url("/rel path", why), "/rel%20path");  // a relative Location
  // In the authority a control character or space is refused, never cut or encoded.
  EXPECT_EQ(normalize_url("http://u\0:p@h/"s, why), "http://u%00:p@h/");  // userinfo: encoded
  for (auto bad : {"http://127.0.0.1:80\0.evil.invalid/echo"s, "http://u:p@127.0.0.1\0.evil/x"s,
                   "http://ho st/"s, "http://h\x01/"s, "//h\0.evil/p"s}) {
    why.clear();
    EXPECT_FALSE(normalize_url(bad, why)) << bad;
    EXPECT_NE(why.find("host part"), std::string::npos) << bad;
  }
  // parse_http_url refuses a NUL outright, for callers that skip normalize_url.
  EXPECT_FALSE(parse_http_url("http://127.0.0.1\0.evil/"s, why));
  // A Location with a NUL in its host is not followed; one with a NUL in its path is encoded.
  EXPECT_FALSE(resolve_redirect("http://h/a", "http://h\0.evil/"s));
  EXPECT_EQ(resolve_redirect("http://h/a", "/b\0c"s), "http://h/b%00c");
}

TEST(Units, redirect_resolution) {
  EXPECT_EQ(resolve_redirect("http://h/a/b?q", "c"), "http://h/a/c");
  EXPECT_EQ(resolve_redirect("http://h/a/b", "/x"), "http://h/x");
  EXPECT_EQ(resolve_redirect("http://h/a", "https://o/p"), "https://o/p");
  EXPECT_EQ(resolve_redirect("http://h/a", "//o/p"), "http://o/p");
}

TEST(Units, error_mapping_by_phase) {
  FailurePhase before;
  EXPECT_EQ(map_curl_error(CURLE_RECV_ERROR, before, "", "u").kind, ErrorKind::ServerDisconnected);
  FailurePhase in_body;
  in_body.connected = in_body.got_status = true;
  EXPECT_EQ(map_curl_error(CURLE_RECV_ERROR, in_body, "", "u").kind, ErrorKind::PayloadIncomplete);
  FailurePhase connecting;
  connecting.connect_deadline = true;
  EXPECT_EQ(map_curl_error(CURLE_OPERATION_TIMEDOUT, connecting, "", "u").kind, ErrorKind::ConnectTimeout);
  EXPECT_EQ(map_curl_error(CURLE_OPERATION_TIMEDOUT, in_body, "", "u").kind, ErrorKind::TotalTimeout);
  auto e = map_curl_error(CURLE_PEER_FAILED_VERIFICATION, before, "detail here", "https://x/");
  EXPECT_EQ(e.kind, ErrorKind::TlsCertificate);
  EXPECT_NE(e.message.find("detail here"), std::string::npos);
  EXPECT_NE(e.message.find("https://x/"), std::string::npos);
}

Outcome wake(RequestId id) {
  Outcome o;
  o.id = id;
  return o;
}

TEST(Units, mailbox_signals_once_per_burst) {
  Mailbox mb;
  for (RequestId i = 1; i <= 3; ++i) mb.push(wake(i));
  std::uint64_t count = 0;
  ASSERT_EQ(::read(mb.fd(), &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_EQ(count, 1u) << "one write for the empty -> non-empty transition only";
  EXPECT_EQ(mb.take_all().size(), 3u);
  mb.push(wake(4));
  EXPECT_EQ(mb.take_all().size(), 1u);
  mb.close();
  mb.push(wake(5));
  EXPECT_TRUE(mb.take_all().empty());
}

TEST(Units, mailbox_deferred_push_signals_on_wake) {
  Mailbox mb;
  std::uint64_t count = 0;
  EXPECT_TRUE(mb.push_deferred(wake(1))) << "empty -> non-empty: a wake-up is owed";
  EXPECT_FALSE(mb.push_deferred(wake(2))) << "already owed: one wake() covers the burst";
  EXPECT_EQ(::read(mb.fd(), &count, sizeof count), -1) << "no signal before wake()";
  mb.wake();
  ASSERT_EQ(::read(mb.fd(), &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(mb.take_all().size(), 2u);

  // The consumer took everything before the owed wake-up ran: no empty signal.
  EXPECT_TRUE(mb.push_deferred(wake(3)));
  EXPECT_EQ(mb.take_all().size(), 1u);
  mb.wake();
  EXPECT_EQ(::read(mb.fd(), &count, sizeof count), -1);

  // An outcome queued while a wake-up is still owed is covered by that wake-up.
  EXPECT_TRUE(mb.push_deferred(wake(4)));
  EXPECT_EQ(mb.take_all().size(), 1u);
  EXPECT_FALSE(mb.push_deferred(wake(5)));
  mb.wake();
  ASSERT_EQ(::read(mb.fd(), &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_EQ(mb.take_all().size(), 1u);

  mb.close();
  EXPECT_FALSE(mb.push_deferred(wake(6))) << "closed: dropped, nothing owed";
  mb.wake();
}

TEST(Units, stream_buffer_backpressure_and_resume) {
  int resumed = 0, aborted = 0;
  StreamBuffer s(10, [&] { ++resumed; }, [&] { ++aborted; });
  EXPECT_EQ(s.offer("0123456789"), StreamBuffer::Offer::Taken);
  EXPECT_EQ(s.offer("x"), StreamBuffer::Offer::Full) << "full: the engine must pause";
  EXPECT_EQ(s.read(4), "0123");
  EXPECT_EQ(resumed, 0) << "still above half of high water";
  EXPECT_EQ(s.read(4), "4567");
  EXPECT_EQ(resumed, 1);
  EXPECT_FALSE(s.read(0) == std::nullopt);
  EXPECT_EQ(s.read(-1), "89");
  EXPECT_EQ(s.read(-1), std::nullopt) << "nothing yet, not the end";
  s.finish({});
  EXPECT_EQ(s.read(-1), "");
  EXPECT_TRUE(s.at_eof());
  EXPECT_EQ(aborted, 0);
}

TEST(Units, stream_buffer_wakes_waiter_once) {
  auto mb = std::make_shared<Mailbox>();
  StreamBuffer s(100, [] {}, [] {});
  s.wait(mb, 42);
  EXPECT_TRUE(mb->take_all().empty());
  s.offer("abc");
  s.offer("def");
  auto woken = mb->take_all();
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0].id, 42u);
  s.abort();
  EXPECT_TRUE(s.at_eof());
}

}  // namespace
}  // namespace asiofetch
