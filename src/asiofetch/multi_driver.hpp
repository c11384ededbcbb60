// libcurl's multi socket API on an Asio io_context: the CURLM, socket watches, timer, watchdog.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "asiofetch/curl_handles.hpp"

namespace asiofetch {

struct SocketWatch;

// The glue of curl's docs/examples/multi-uv.c, on Asio: libcurl says which sockets to watch
// (on_socket) and when to time out (on_timer); readiness and expiry go back to libcurl as
// curl_multi_socket_action, and each finished transfer is reported through `on_done`.
// After each action the loop ran for an event (a socket's readiness, libcurl's timer), once
// libcurl returned and its finished transfers are drained, `on_event_end` runs: the one point
// where the owner may add handles and kick() between events (see engine_multi.cpp).
//
// Constructed on any thread; every other member runs on the thread that runs `io` (the engine
// thread), except socket_count(). Never calls back into libcurl from a libcurl callback.
class MultiDriver {
 public:
  // A finished transfer (CURLMSG_DONE). Still in the multi: the callee removes it. A plain
  // function pointer, called once per transfer: no allocation, no virtual dispatch.
  using DoneFn = void (*)(void* ctx, CURL* easy, CURLcode rc);
  // An event's action is over: libcurl returned and curl_multi_info_read's loop ended, and
  // the caller is the event loop itself (no libcurl frame, no owner frame on the stack).
  // Never called for kick(), so a kick from this hook does not call it again.
  using EventEndFn = void (*)(void* ctx);

  // Throws on curl failure.
  MultiDriver(boost::asio::io_context& io, DoneFn on_done, void* ctx, EventEndFn on_event_end = nullptr);
  ~MultiDriver();
  MultiDriver(const MultiDriver&) = delete;
  MultiDriver& operator=(const MultiDriver&) = delete;

  // Engine thread. Installs the close/sockopt callbacks that tell connection sockets (kept
  // registered while idle) from helper sockets; call on every easy handle given to add().
  CURLcode prepare(CURL* easy);
  CURLMcode add(CURL* easy);
  void remove(CURL* easy);  // a no-op when the handle is not in the multi
  // Runs libcurl's timeouts now (new handles start here) and drops a "now" action already
  // posted for them by the timer callback.
  void kick();
  void start_watchdog();
  // Forgets every socket and handle; later calls do nothing. Engine thread.
  void shutdown();
  bool running() const noexcept { return static_cast<bool>(multi_); }

  // When a socket libcurl watches for this handle was last readable (bytes, or the peer's
  // close); the epoch when none was. Bytes of a header line arrive before libcurl hands the
  // line over, so this is the read timeout's measure of activity. Engine thread; walks the
  // watched sockets, so it is for timer expiry, not per event.
  std::chrono::steady_clock::time_point last_read(const CURL* easy) const noexcept;

  std::size_t socket_count() const noexcept { return socket_count_.load(std::memory_order_relaxed); }  // any thread
  // Connection sockets libcurl opened since start (asiofetch.testing asserts none). Any thread.
  std::size_t sockets_opened() const noexcept { return sockets_opened_.load(std::memory_order_relaxed); }

 private:
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  static int on_close_socket(void* self, curl_socket_t s);
  static int on_sockopt(void* self, curl_socket_t s, curlsocktype purpose);
  void watch(curl_socket_t s, int what, CURL* easy);
  void unwatch(curl_socket_t s);
  void forget(curl_socket_t s);
  void arm(const std::shared_ptr<SocketWatch>& w, curl_socket_t s);
  void socket_action(curl_socket_t s, int events);  // an event's action, then on_event_end_
  void run_action(curl_socket_t s, int events);     // the action and its messages only
  void drain_messages();
  void arm_watchdog();

  boost::asio::io_context& io_;  // outlives this object
  const DoneFn on_done_;
  void* const ctx_;
  const EventEndFn on_event_end_;

  // Engine thread only.
  MultiPtr multi_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer watchdog_;
  bool timeout_posted_ = false;  // a "now" action is posted and not yet run
  int running_ = 0;              // transfers libcurl still runs (last socket_action's count)
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  // Connection sockets libcurl opened and will close through on_close_socket: only these may
  // keep their registration while idle, because only their close is announced to us.
  std::unordered_set<curl_socket_t> conn_fds_;

  std::atomic<std::size_t> socket_count_{0};  // written on the engine thread, read anywhere
  std::atomic<std::size_t> sockets_opened_{0};  // likewise
};

}  // namespace asiofetch
