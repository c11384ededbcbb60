// The multi driver on a loopback pair: one raw TCP peer in the test, libcurl on the driver.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <thread>
#include <vector>

#include "asiofetch/multi_driver.hpp"

namespace asiofetch::testing {
namespace {

// A listening socket on 127.0.0.1 and a thread that answers `replies` requests on the
// first connection with a fixed response, then waits for the client to close.
class LoopbackPeer {
 public:
  explicit LoopbackPeer(int replies) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listen_fd_, 4) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("loopback listen failed");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, replies] { serve(replies); });
  }
  ~LoopbackPeer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  void serve(int replies) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string in;
    char buf[4096];
    for (int done = 0; done < replies;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      while (in.find("\r\n\r\n") != std::string::npos) {
        in.erase(0, in.find("\r\n\r\n") + 4);
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        if (::write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) break;
        ++done;
      }
    }
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

struct Finished {
  MultiDriver* driver = nullptr;
  std::vector<CURLcode> codes;
  int event_ends = 0;
  std::size_t codes_at_first_end = 0;  // transfers reported before the first event's end
  static void on_event_end(void* self) {
    auto& f = *static_cast<Finished*>(self);
    if (f.event_ends++ == 0) f.codes_at_first_end = f.codes.size();
  }
  static void on_done(void* self, CURL* easy, CURLcode rc) {
    auto& f = *static_cast<Finished*>(self);
    f.codes.push_back(rc);
    f.driver->remove(easy);
  }
};

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A GET of `url` whose body lands in `body`, prepared by the driver (not yet added).
void prepare_get(MultiDriver& d, CURL* e, const std::string& url, std::string& body) {
  ASSERT_EQ(curl_easy_setopt(e, CURLOPT_URL, url.c_str()), CURLE_OK);
  ASSERT_EQ(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &append), CURLE_OK);
  ASSERT_EQ(curl_easy_setopt(e, CURLOPT_WRITEDATA, &body), CURLE_OK);
  ASSERT_EQ(d.prepare(e), CURLE_OK);
}

TEST(MultiDriver, runs_transfers_and_keeps_the_idle_connection_registered) {
  LoopbackPeer peer(2);
  boost::asio::io_context io;
  Finished f;
  MultiDriver d(io, &Finished::on_done, &f);
  f.driver = &d;
  EasyPtr e(curl_easy_init());
  std::string body;
  ASSERT_NO_FATAL_FAILURE(prepare_get(d, e.get(), peer.url(), body));

  for (int round = 1; round <= 2; ++round) {
    ASSERT_EQ(d.add(e.get()), CURLM_OK);
    io.restart();  // run_one() stopped the context when it ran out of work last round
    d.kick();
    while (f.codes.size() < static_cast<std::size_t>(round) && io.run_one()) {
    }
    ASSERT_EQ(f.codes.size(), static_cast<std::size_t>(round));
    EXPECT_EQ(f.codes.back(), CURLE_OK);
    // libcurl removed the idle connection's socket from its watch list; the driver parks it
    // (still registered) because it will hear about its close.
    EXPECT_EQ(d.socket_count(), 1u);
  }
  EXPECT_EQ(body, "hellohello");
  long connects = -1;
  ASSERT_EQ(curl_easy_getinfo(e.get(), CURLINFO_NUM_CONNECTS, &connects), CURLE_OK);
  EXPECT_EQ(connects, 0);  // the second transfer reused the first one's connection

  d.shutdown();  // closes the cached connection: the peer sees EOF
  EXPECT_EQ(d.socket_count(), 0u);
  EXPECT_FALSE(d.running());
}

TEST(MultiDriver, reports_a_refused_connection_as_a_finished_transfer) {
  // A port nobody listens on: bind, read the port, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);

  boost::asio::io_context io;
  Finished f;
  MultiDriver d(io, &Finished::on_done, &f);
  f.driver = &d;
  EasyPtr e(curl_easy_init());
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  ASSERT_EQ(curl_easy_setopt(e.get(), CURLOPT_URL, url.c_str()), CURLE_OK);
  ASSERT_EQ(d.prepare(e.get()), CURLE_OK);
  ASSERT_EQ(d.add(e.get()), CURLM_OK);
  d.kick();
  while (f.codes.empty() && io.run_one()) {
  }
  ASSERT_EQ(f.codes.size(), 1u);
  EXPECT_EQ(f.codes[0], CURLE_COULDNT_CONNECT);
  EXPECT_EQ(d.socket_count(), 0u);  // the failed socket was forgotten, not parked
}

// The owner's safe point: called after the event loop's own actions, once the finished
// transfers were reported, never for kick() (so a kick from the hook cannot recurse).
TEST(MultiDriver, event_end_follows_events_and_not_kicks) {
  LoopbackPeer peer(1);
  boost::asio::io_context io;
  Finished f;
  MultiDriver d(io, &Finished::on_done, &f, &Finished::on_event_end);
  f.driver = &d;
  EasyPtr e(curl_easy_init());
  std::string body;
  ASSERT_NO_FATAL_FAILURE(prepare_get(d, e.get(), peer.url(), body));
  ASSERT_EQ(d.add(e.get()), CURLM_OK);
  d.kick();
  EXPECT_EQ(f.event_ends, 0);  // the kick is the owner's call, not an event
  while (f.codes.empty() && io.run_one()) {
  }
  ASSERT_EQ(f.codes.size(), 1u);
  EXPECT_EQ(body, "hello");
  EXPECT_GE(f.event_ends, 1);  // the connect and the response were events
  const int ends = f.event_ends;
  d.kick();
  EXPECT_EQ(f.event_ends, ends);
  d.shutdown();
}

TEST(MultiDriver, after_shutdown_nothing_is_added) {
  boost::asio::io_context io;
  Finished f;
  MultiDriver d(io, &Finished::on_done, &f);
  d.shutdown();
  EasyPtr e(curl_easy_init());
  EXPECT_EQ(d.add(e.get()), CURLM_BAD_HANDLE);
  d.kick();     // no multi: nothing happens
  d.remove(e.get());
  EXPECT_TRUE(f.codes.empty());
}

}  // namespace
}  // namespace asiofetch::testing
