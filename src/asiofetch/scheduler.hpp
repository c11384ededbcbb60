// The way to a connection slot: semaphore permits, rate-limit tokens, the pool's FIFO queue.
#pragma once

#include <boost/asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "asiofetch/pool.hpp"
#include "asiofetch/rate_limit.hpp"
#include "asiofetch/semaphore.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

// The engine's live requests by id (owned by the engine; the scheduler looks ids up in it).
using Registry = std::unordered_map<RequestId, std::unique_ptr<Transfer>>;

// Whether the transfer's HTTP version may multiplex (h2): such requests share pool lane 0.
// Must agree with curl_http_version() (easy_setup.hpp), which the unit tests check.
bool may_multiplex(HttpVersion v, std::string_view url) noexcept;

// Decides when each request may start; never talks to libcurl or to a mailbox. A request
// passes its semaphore, then its rate limiter, then waits in its pool's FIFO queue; when a
// slot is free the scheduler takes it for the request (state Active, lane chosen) and puts
// the id on the ready list, which the engine drains to start the attempts. Requests leave
// the ready list in the order they got their slots.
//
// Engine thread only, except queued(). Timers run on the engine's io_context; what they
// cause goes through the hooks (off the per-request path: the hot path is admit/leave/pump
// and the ready list, with no indirect call).
class Scheduler {
 public:
  struct Hooks {
    void* ctx = nullptr;
    void (*ready)(void* ctx) = nullptr;                   // a timer put requests on the ready list
    void (*expired)(void* ctx, Transfer& t) = nullptr;    // pool_timeout passed while queued
    // A Python waiter of a semaphore got its permit.
    void (*granted)(void* ctx, const std::shared_ptr<Mailbox>& mb, RequestId id) = nullptr;
  };

  Scheduler(boost::asio::io_context& io, Registry& transfers, Hooks hooks);

  // Through the gates the transfer has not passed yet (a permit is kept across attempts).
  void admit(Transfer& t);
  // Starts queued requests of the pool while it has room (FIFO, looking past a full host).
  void pump(Pool& pool);
  // The transfer stops waiting or gives its slot back (its attempt ended). Does not pump.
  void leave(Transfer& t);
  // A permit of `sem` came free: the next waiter (native or Python) gets it.
  void return_permit(Semaphore& sem);
  // A request ended and is gone from the registry: the slot it had (had_slot) and its
  // permit (null: none) go to the next in line.
  void after_release(Pool& pool, bool had_slot, Semaphore* permit);

  // Python's side of a semaphore. acquire: true when granted at once (else queued).
  bool sem_acquire(Semaphore& sem, RequestId id, std::shared_ptr<Mailbox> mailbox);
  void sem_release(Semaphore& sem, RequestId id);
  void sem_cancel(Semaphore& sem, RequestId id);

  bool has_ready() const noexcept { return ready_head_ < ready_.size(); }
  RequestId pop_ready() noexcept;

  void shutdown();  // drops rate-limit waits and the ready list
  std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }  // any thread

 private:
  struct RateWait {
    std::shared_ptr<RateLimiter> limiter;  // kept alive while requests wait on it
    boost::asio::steady_timer timer;
  };

  Transfer* find(RequestId id) const;
  void enqueue_pool(Transfer& t);
  void take_slot(Transfer& t);
  void wait_for_token(Transfer& t);
  void arm_rate_timer(RateLimiter* rl, RateWait& w);
  void on_rate_timer(RateLimiter* rl);
  void arm_pool_timer(Transfer& t);

  boost::asio::io_context& io_;  // the engine's; outlives this object
  Registry& transfers_;          // the engine's; outlives this object
  const Hooks hooks_;

  // Engine thread only.
  std::unordered_map<RateLimiter*, std::unique_ptr<RateWait>> rate_waits_;
  std::vector<RequestId> ready_;  // got a slot, not started yet; read from ready_head_ on
  std::size_t ready_head_ = 0;

  std::atomic<std::size_t> queued_{0};  // waiting in a pool queue; written on the engine thread
};

}  // namespace asiofetch
