// The engine's facade: thread-safe commands in, one engine thread running the parts below.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "asiofetch/add_queue.hpp"
#include "asiofetch/attempt_policy.hpp"
#include "asiofetch/batch.hpp"
#include "asiofetch/commands.hpp"
#include "asiofetch/delivery.hpp"
#include "asiofetch/easy_setup.hpp"
#include "asiofetch/inbox.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/multi_driver.hpp"
#include "asiofetch/pool.hpp"
#include "asiofetch/rate_limit.hpp"
#include "asiofetch/request.hpp"
#include "asiofetch/scheduler.hpp"
#include "asiofetch/semaphore.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

class MockTable;
struct MockDecision;
struct MockAnswer;

struct EngineStats {
  std::size_t in_flight = 0;    // requests submitted and not yet finished (queued included)
  std::size_t queued = 0;       // waiting for a slot
  std::size_t easy_handles = 0; // created and not yet cleaned up (idle ones included)
  std::size_t sockets = 0;      // sockets libcurl asked us to watch
  std::size_t sockets_opened = 0;  // connection sockets opened since the engine started
  std::size_t sessions = 0;
  // The most configured handles left waiting for their curl_multi_add_handle at the end of
  // a socket event since the engine started (AddQueue's rule keeps it under kBurst).
  std::size_t add_wait_max = 0;
};

// Always owned by a shared_ptr (stream buffers hold weak references back to it).
// Public methods are thread-safe and never block on the network: they queue a command in the
// Inbox and wake the engine thread. Everything else runs on the engine thread only, which
// owns the parts: Inbox (commands), Scheduler (gates and slots), easy_setup (libcurl options),
// MultiDriver (libcurl on Asio), attempt_policy (what next after an attempt), Delivery
// (outcomes to mailboxes). No method takes the Python GIL. An exception on the engine thread
// fails the request or batch it belongs to; it never ends the thread.
class Engine : public std::enable_shared_from_this<Engine> {
 public:
  Engine();
  ~Engine();  // stop() then join
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The process-wide engine, started on first use.
  static std::shared_ptr<Engine> instance();
  // In a fork child: the parent's engine thread does not exist here, so its object is left
  // untouched (deliberately leaked) and the next instance() starts a fresh one.
  static void forget_after_fork();
  // Stops the process-wide engine (interpreter exit); requests in flight are cancelled.
  static void shutdown_instance();
  // Bumped by forget_after_fork(): handles made by an older engine must be re-made.
  static std::uint64_t epoch() noexcept;

  SessionId open_session(PoolConfig cfg, std::shared_ptr<PoolCounters> counters);
  // Fails the session's queued and in-flight requests with SessionClosed, then drops its pool.
  void close_session(SessionId id);
  // Answers the session's DNS cache held before now are not used again (Pool::dns_cleared_at).
  void clear_dns(SessionId id);

  static RequestId next_id() noexcept;

  // Takes the transfer (id, session, req, opts, mailbox, origin filled in by the caller).
  void submit(std::unique_ptr<Transfer> t);
  // Cancels a request or a whole batch by id.
  void cancel(RequestId id);
  // Python's resolver answered a ResolveNeeded for `id`: CURLOPT_CONNECT_TO entries
  // ("host:port:addr:port") added to the request, then the waiting attempt goes on.
  void resolved(RequestId id, std::vector<std::string> entries);
  // Takes a batch (id, session, mailbox, items and bounds filled in by the caller).
  void submit_batch(std::unique_ptr<Batch> b);
  // Streaming batches: more input; `close` says no more will come.
  void feed_batch(RequestId id, std::deque<BatchItem> items, bool close);
  // Python's side of a Semaphore: the grant arrives in `mailbox` as a wake-up for `id`.
  void semaphore_acquire(std::shared_ptr<Semaphore> sem, RequestId id, std::shared_ptr<Mailbox> mailbox);
  void semaphore_release(std::shared_ptr<Semaphore> sem, RequestId id);
  // A waiter that gave up: dequeued if still waiting, its permit returned if already granted.
  void semaphore_cancel(std::shared_ptr<Semaphore> sem, RequestId id);
  void stop();
  // asiofetch.testing: requests registered from now on are answered by `table` (null: by the
  // network again). Any thread.
  void install_mock(std::shared_ptr<MockTable> table);

  EngineStats stats() const;

 private:
  // ---- engine.cpp: lifetime, commands, recovery -------------------------------------
  void enqueue(Command&& c);
  void arm_inbox();
  void run_inbox();
  void handle(cmd::Submit& c);
  void handle(cmd::Cancel& c);
  void handle(cmd::Resume& c);
  void handle(cmd::Resolved& c);
  void handle(cmd::OpenSession& c);
  void handle(cmd::CloseSession& c);
  void handle(cmd::ClearDns& c);
  void handle(cmd::SubmitBatch& c);
  void handle(cmd::FeedBatch& c);
  void handle(cmd::SemOp& c);
  void shutdown_on_thread();
  // Runs `f` for request or batch `id`, then starts what got a slot. An exception fails `id`.
  template <class F>
  void guarded(RequestId id, F&& f) noexcept;
  void fail_internal(RequestId id, std::exception_ptr e) noexcept;
  void run_ready() noexcept;  // starts every request the scheduler gave a slot

  // ---- engine_attempt.cpp: one request's attempts -----------------------------------
  void register_transfer(std::unique_ptr<Transfer>& t);  // moves from t once it is registered
  void start(Transfer& t);
  bool configure_attempt(Transfer& t, long version);  // false: the request failed
  // resolve_hook: true when the attempt's host:port has no connect_to entry yet; then Python
  // was asked (a ResolveNeeded outcome) and handle(cmd::Resolved) configures the attempt.
  bool needs_resolve(Transfer& t);
  // engine_multi.cpp: handles joining and leaving libcurl's multi.
  void queue_add(Transfer& t);  // curl_multi_add_handle soon (AddQueue's rule)
  void flush_adds();            // adds every waiting handle, then one kick
  static void on_event_end(void* self);  // MultiDriver: a socket event was handled
  static void on_done(void* self, CURL* easy, CURLcode rc);
  void attempt_done(Transfer& t, CURLcode rc);
  bool try_again(Transfer& t, const Error* error);  // true: a retry or fallback is scheduled
  void suspend_attempt(Transfer& t);  // hand back the attempt's slot and handle; state Backoff
  void follow_redirect(Transfer& t);
  // engine_hedge.cpp: hedged copies.
  void arm_hedge(Transfer& t);
  void launch_hedge(RequestId id);
  bool settle_group(Transfer& t, Outcome& o);  // false: a hedged copy's outcome is swallowed
  void finish(Transfer& t, Error error);
  void finish_ok(Transfer& t);
  // Head-first requests: the head goes to Python with a StreamBuffer that takes over the
  // body buffered so far, its decoder and its pause state (Delivery::head_due).
  void promote(Transfer& t);
  void promote_heads();  // at the round's end: each head still unanswered
  void deliver(Transfer& t, Outcome&& o);  // release, then hand the outcome to Delivery
  void release(Transfer& t);        // frees slot, handle, timers; erases the transfer
  void arm_idle_timer(Transfer& t);
  AttemptState attempt_state(const Transfer& t) const;

  // ---- engine_mock.cpp: attempts answered by asiofetch.testing's table ---------------
  std::shared_ptr<MockTable> current_mock() const;  // any thread
  bool mock_begin(Transfer& t);  // false: the table passes this attempt to the network
  void mock_apply(Transfer& t, MockDecision d);
  void mock_ask(Transfer& t, std::size_t route);
  void mock_replied(RequestId id, std::uint64_t serial, bool matched, std::shared_ptr<const MockAnswer> a);
  void mock_passthrough(Transfer& t);
  void mock_schedule(Transfer& t, Millis delay);
  void mock_wake(RequestId id, std::uint64_t serial, Clock::time_point due);
  void mock_step(Transfer& t);
  void mock_resume(Transfer& t);
  void mock_fail(Transfer& t, Error e);

  // ---- engine_batch.cpp: batches ------------------------------------------------------
  void launch(Batch& b);
  void batch_outcome(RequestId batch, std::size_t index, Outcome&& o);
  void abort_batch(Batch& b, Error error);
  void maybe_complete(Batch& b);
  void note_progress(Batch& b, bool force);

  // Scheduler hooks (timer paths only).
  static void on_ready(void* self);
  static void on_pool_timeout(void* self, Transfer& t);
  static void on_granted(void* self, const std::shared_ptr<Mailbox>& mb, RequestId id);
  static void on_round_end(void* self);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;

  // Engine thread only (constructed before the thread starts, destroyed after it ends).
  MultiDriver driver_;
  Delivery delivery_;
  Registry transfers_;
  Scheduler scheduler_;
  EasyCache easy_;
  AddQueue adds_;  // configured handles waiting for curl_multi_add_handle
  std::unordered_map<SessionId, std::unique_ptr<Pool>> pools_;
  std::unordered_map<RequestId, std::unique_ptr<Batch>> batches_;
  struct HedgeGroup {
    std::vector<RequestId> members;  // copies still running (the original included)
    int launched = 0;                // extra copies started so far
  };
  std::unordered_map<RequestId, HedgeGroup> groups_;  // by the original's id
  bool stopping_ = false;
  std::uint64_t mock_serial_ = 0;  // numbers each mocked attempt (stale timers and replies)

  // Any thread.
  mutable std::mutex mock_mutex_;
  std::shared_ptr<MockTable> mock_;  // guarded by mock_mutex_; mock_on_ says it is set
  std::atomic<bool> mock_on_{false};
  Inbox inbox_;
  std::atomic<std::size_t> stat_in_flight_{0}, stat_sessions_{0}, stat_add_wait_max_{0};

  std::thread thread_;  // last: started after every member above exists
};

template <class F>
void Engine::guarded(RequestId id, F&& f) noexcept {
  try {
    f();
  } catch (...) {
    fail_internal(id, std::current_exception());
  }
  run_ready();
}

}  // namespace asiofetch
