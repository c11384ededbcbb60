#include "asiofetch/multi_driver.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;

namespace asiofetch {

// What the driver knows about one socket libcurl asked it to watch. Shared with the pending
// wait handlers, so a REMOVE while a wait is in flight leaves them a live object to look at.
struct SocketWatch {
  SocketWatch(asio::io_context& io, curl_socket_t s) : desc(io, s) {}
  asio::posix::stream_descriptor desc;  // never owns the fd: released, never closed (curl closes it)
  int want = 0;                         // CURL_POLL_IN / CURL_POLL_OUT bits
  bool read_armed = false;
  bool write_armed = false;
  bool gone = false;
  // The handle libcurl last named for this socket (compared, never dereferenced: it may be
  // gone), and when the socket last woke up readable. For the read timeout (last_read()).
  const CURL* easy = nullptr;
  std::chrono::steady_clock::time_point last_read{};
};

namespace {

constexpr auto kWatchdogPeriod = std::chrono::seconds(1);

void check(CURLMcode rc, const char* what) {
  if (rc != CURLM_OK) throw std::runtime_error(std::string(what) + ": " + curl_multi_strerror(rc));
}

}  // namespace

MultiDriver::MultiDriver(asio::io_context& io, DoneFn on_done, void* ctx, EventEndFn on_event_end)
    : io_(io), on_done_(on_done), ctx_(ctx), on_event_end_(on_event_end), timer_(io), watchdog_(io) {
  ensure_curl_global_init();
  multi_.reset(curl_multi_init());
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  CURLM* m = multi_.get();
  check(curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &MultiDriver::on_socket), "CURLMOPT_SOCKETFUNCTION");
  check(curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this), "CURLMOPT_SOCKETDATA");
  check(curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &MultiDriver::on_timer), "CURLMOPT_TIMERFUNCTION");
  check(curl_multi_setopt(m, CURLMOPT_TIMERDATA, this), "CURLMOPT_TIMERDATA");
  check(curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX), "CURLMOPT_PIPELINING");
  // Connection caches live in each session's share; this only bounds what the multi keeps.
  check(curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 100000L), "CURLMOPT_MAXCONNECTS");
}

MultiDriver::~MultiDriver() { shutdown(); }

CURLcode MultiDriver::prepare(CURL* e) {
  // Connections remember these: when a cache purge closes one, its watch goes first, so a
  // new socket reusing the fd number never inherits a stale registration.
  CURLcode rc = curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &MultiDriver::on_close_socket);
  if (rc == CURLE_OK) rc = curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
  if (rc == CURLE_OK) rc = curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &MultiDriver::on_sockopt);
  if (rc == CURLE_OK) rc = curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, this);
  return rc;
}

CURLMcode MultiDriver::add(CURL* e) {
  if (!multi_) return CURLM_BAD_HANDLE;
  return curl_multi_add_handle(multi_.get(), e);
}

void MultiDriver::remove(CURL* e) {
  if (multi_ && e) curl_multi_remove_handle(multi_.get(), e);
}

void MultiDriver::kick() {
  timeout_posted_ = false;
  run_action(CURL_SOCKET_TIMEOUT, 0);
}

void MultiDriver::shutdown() {
  for (auto& [s, w] : sockets_) {
    w->gone = true;
    w->desc.release();
  }
  sockets_.clear();
  socket_count_.store(0);
  conn_fds_.clear();
  timer_.cancel();
  watchdog_.cancel();
  multi_.reset();
}

int MultiDriver::on_socket(CURL* easy, curl_socket_t s, int what, void* self, void*) {
  auto& d = *static_cast<MultiDriver*>(self);
  if (what == CURL_POLL_REMOVE)
    d.unwatch(s);
  else
    d.watch(s, what, easy);
  return 0;
}

std::chrono::steady_clock::time_point MultiDriver::last_read(const CURL* easy) const noexcept {
  std::chrono::steady_clock::time_point t{};
  for (const auto& [s, w] : sockets_)
    if (w->easy == easy && w->last_read > t) t = w->last_read;
  return t;
}

int MultiDriver::on_close_socket(void* self, curl_socket_t s) {
  auto& d = *static_cast<MultiDriver*>(self);
  d.forget(s);
  d.conn_fds_.erase(s);
  return ::close(s);
}

int MultiDriver::on_sockopt(void* self, curl_socket_t s, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    static_cast<MultiDriver*>(self)->conn_fds_.insert(s);
    static_cast<MultiDriver*>(self)->sockets_opened_.fetch_add(1, std::memory_order_relaxed);
  }
  return CURL_SOCKOPT_OK;
}

void MultiDriver::watch(curl_socket_t s, int what, CURL* easy) {
  auto& w = sockets_[s];
  if (!w) {
    // Any fd libcurl names is accepted, including ones it opened without us (the threaded
    // resolver's socketpair): ignoring those would stall name resolution.
    w = std::make_shared<SocketWatch>(io_, s);
    socket_count_.store(sockets_.size(), std::memory_order_relaxed);
  }
  w->want = what;
  w->easy = easy;
  arm(w, s);
}

void MultiDriver::unwatch(curl_socket_t s) {
  // libcurl drops a keep-alive connection's socket from the watch list after every transfer
  // and names it again on the next one. Parking it (registered, nothing armed) instead of
  // deregistering saves an epoll_ctl DEL + ADD and an allocation per request; a stray event
  // while parked finds want == 0 and is ignored, and libcurl checks the connection is alive
  // before reusing it.
  if (conn_fds_.contains(s)) {
    if (auto it = sockets_.find(s); it != sockets_.end()) {
      it->second->want = 0;
      it->second->easy = nullptr;  // the next transfer on it is named when it starts
    }
    return;
  }
  forget(s);
}

void MultiDriver::forget(curl_socket_t s) {
  auto it = sockets_.find(s);
  if (it == sockets_.end()) return;
  it->second->gone = true;
  it->second->desc.release();  // deregisters and cancels waits; curl still owns the fd
  sockets_.erase(it);
  socket_count_.store(sockets_.size(), std::memory_order_relaxed);
}

void MultiDriver::arm(const std::shared_ptr<SocketWatch>& w, curl_socket_t s) {
  if ((w->want & CURL_POLL_IN) && !w->read_armed) {
    w->read_armed = true;
    w->desc.async_wait(asio::posix::descriptor_base::wait_read,
                       [this, w, s](const boost::system::error_code& ec) {
                         w->read_armed = false;
                         if (ec || w->gone || !(w->want & CURL_POLL_IN)) return;
                         w->last_read = std::chrono::steady_clock::now();
                         socket_action(s, CURL_CSELECT_IN);
                         if (!w->gone) arm(w, s);
                       });
  }
  if ((w->want & CURL_POLL_OUT) && !w->write_armed) {
    w->write_armed = true;
    w->desc.async_wait(asio::posix::descriptor_base::wait_write,
                       [this, w, s](const boost::system::error_code& ec) {
                         w->write_armed = false;
                         if (ec || w->gone || !(w->want & CURL_POLL_OUT)) return;
                         socket_action(s, CURL_CSELECT_OUT);
                         if (!w->gone) arm(w, s);
                       });
  }
}

int MultiDriver::on_timer(CURLM*, long timeout_ms, void* self) {
  auto& d = *static_cast<MultiDriver*>(self);
  if (timeout_ms < 0) {
    d.timer_.cancel();
  } else if (timeout_ms == 0) {
    // Never call back into libcurl from its own callback (forbidden since 7.81): post, and
    // coalesce a burst of "now" requests (one per added handle) into one action.
    if (!d.timeout_posted_) {
      d.timeout_posted_ = true;
      asio::post(d.io_, [&d] {
        if (!d.timeout_posted_) return;  // kick() already ran it
        d.timeout_posted_ = false;
        d.socket_action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
  } else {
    d.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    d.timer_.async_wait([&d](const boost::system::error_code& ec) {
      if (!ec) d.socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
  }
  return 0;
}

void MultiDriver::socket_action(curl_socket_t s, int events) {
  run_action(s, events);
  // Every caller of socket_action is a handler the event loop runs (readiness, timer, the
  // posted "now" action, the watchdog), never libcurl or the owner: a safe point.
  if (multi_ && on_event_end_) on_event_end_(ctx_);
}

void MultiDriver::run_action(curl_socket_t s, int events) {
  if (!multi_) return;
  curl_multi_socket_action(multi_.get(), s, events, &running_);
  drain_messages();
}

void MultiDriver::drain_messages() {
  int left = 0;
  while (multi_) {
    CURLMsg* msg = curl_multi_info_read(multi_.get(), &left);
    if (!msg) break;
    if (msg->msg == CURLMSG_DONE) on_done_(ctx_, msg->easy_handle, msg->data.result);
  }
}

void MultiDriver::start_watchdog() { arm_watchdog(); }

void MultiDriver::arm_watchdog() {
  // A lost readiness event must never hang a request: once a second, let libcurl look at
  // every watched socket itself (events = 0) and at its timers.
  watchdog_.expires_after(kWatchdogPeriod);
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !multi_) return;
    if (running_ > 0) {
      std::vector<curl_socket_t> fds;
      fds.reserve(sockets_.size());
      for (auto& [s, w] : sockets_) fds.push_back(s);
      for (curl_socket_t s : fds)
        if (sockets_.count(s)) socket_action(s, 0);
      socket_action(CURL_SOCKET_TIMEOUT, 0);
    }
    arm_watchdog();
  });
}

}  // namespace asiofetch
