// The engine: one thread that owns the CURLM, every easy handle and the Asio loop driving them.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "asiofetch/batch.hpp"
#include "asiofetch/curl_handles.hpp"
#include "asiofetch/event_fd.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/pool.hpp"
#include "asiofetch/rate_limit.hpp"
#include "asiofetch/semaphore.hpp"
#include "asiofetch/request.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

struct SocketWatch;

struct EngineStats {
  std::size_t in_flight = 0;    // requests submitted and not yet finished (queued included)
  std::size_t queued = 0;       // waiting for a slot
  std::size_t easy_handles = 0; // created and not yet cleaned up (idle ones included)
  std::size_t sockets = 0;      // sockets libcurl asked us to watch
  std::size_t sessions = 0;
};

// Always owned by a shared_ptr (stream buffers hold weak references back to it).
// Public methods are thread-safe and never block on the network: they queue a command and
// wake the engine thread (one eventfd write per empty -> non-empty transition of the inbox).
// Everything else runs on the engine thread only. No method takes the Python GIL.
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

  static RequestId next_id() noexcept;

  // Takes the transfer (id, session, req, opts, mailbox, origin filled in by the caller).
  void submit(std::unique_ptr<Transfer> t);
  // Cancels a request or a whole batch by id.
  void cancel(RequestId id);
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

  EngineStats stats() const;

 private:
  struct Submit { std::unique_ptr<Transfer> t; };
  struct Cancel { RequestId id; };
  struct Resume { RequestId id; };
  struct OpenSession { SessionId id; PoolConfig cfg; std::shared_ptr<PoolCounters> counters; };
  struct CloseSession { SessionId id; };
  struct SubmitBatch { std::unique_ptr<Batch> b; };
  struct FeedBatch { RequestId id; std::deque<BatchItem> items; bool close; };
  struct SemOp {
    enum class Kind : std::uint8_t { Acquire, Release, Cancel } kind;
    std::shared_ptr<Semaphore> sem;
    RequestId id;
    std::shared_ptr<Mailbox> mailbox;
  };
  using Command = std::variant<Submit, Cancel, Resume, OpenSession, CloseSession, SubmitBatch, FeedBatch, SemOp>;

  void enqueue(Command&& c);
  void run_inbox();                 // engine thread from here on
  void arm_inbox();
  void handle(Submit& c);
  void handle(Cancel& c);
  void handle(Resume& c);
  void handle(OpenSession& c);
  void handle(CloseSession& c);
  void handle(SubmitBatch& c);
  void handle(FeedBatch& c);
  void handle(SemOp& c);
  void shutdown_on_thread();

  // A request's way to its first byte: semaphore permit, rate-limit token, pool slot.
  void register_transfer(std::unique_ptr<Transfer> t);
  void admit(Transfer& t);
  void enqueue_pool(Transfer& t);
  void grant_permit(Semaphore& sem);      // a permit came free: hand it to the next waiter
  void wait_for_token(Transfer& t);
  void on_rate_timer(RateLimiter* rl);
  bool maybe_retry(Transfer& t, const Error* error);  // true: another attempt is scheduled
  bool maybe_fallback(Transfer& t, const Error* error);  // true: restarted on the next URL
  void suspend_attempt(Transfer& t);  // hand back the attempt's slot and handle; state Backoff
  bool try_again(Transfer& t, const Error* error) { return maybe_retry(t, error) || maybe_fallback(t, error); }
  void arm_hedge(Transfer& t);
  bool settle_group(Transfer& t, Outcome& o);  // false: a hedged copy's outcome is swallowed

  // Batches.
  void launch(Batch& b);
  void batch_outcome(RequestId batch, std::size_t index, Outcome&& o);
  void abort_batch(Batch& b, Error error);
  void maybe_complete(Batch& b);
  void note_progress(Batch& b, bool force);

  void pump(Pool& pool);
  void start(Transfer& t);
  bool configure_attempt(Transfer& t, long version);  // version: curl_http_version(t)
  // The end of a round: once the events at hand are handled, freed slots' handles go into
  // the multi together (flush_adds) and waiting loops get one signal each (flush_wakes).
  void schedule_round_end();
  void queue_add(Transfer& t);  // curl_multi_add_handle at the round's end
  void flush_adds();
  void follow_redirect(Transfer& t);
  void on_done(Transfer& t, CURLcode rc);
  void finish(Transfer& t, Error error);
  void finish_ok(Transfer& t);
  void deliver(Transfer& t, Outcome&& o);  // release, then push the outcome
  void push_outcome(const std::shared_ptr<Mailbox>& mb, Outcome&& o);  // signal at the round's end
  void flush_wakes();
  void release(Transfer& t);        // frees slot, handle, timers; erases the transfer
  void deliver_head(Transfer& t);
  void arm_idle_timer(Transfer& t);
  void arm_pool_timer(Transfer& t);
  void fill_timings(Transfer& t, Response& r) const;

  EasyPtr acquire_easy();
  void recycle_easy(EasyPtr easy);

  // libcurl multi integration.
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  static int on_close_socket(void* self, curl_socket_t s);
  static int on_sockopt(void* self, curl_socket_t s, curlsocktype purpose);
  void watch(curl_socket_t s, int what);
  void unwatch(curl_socket_t s);
  void forget(curl_socket_t s);
  void arm(const std::shared_ptr<SocketWatch>& w, curl_socket_t s);
  void socket_action(curl_socket_t s, int events);
  void drain_messages();
  void arm_watchdog();

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;

  // Engine thread only.
  MultiPtr multi_;
  boost::asio::steady_timer curl_timer_;
  boost::asio::steady_timer watchdog_;
  bool timeout_posted_ = false;
  bool round_end_posted_ = false;
  std::vector<RequestId> pending_adds_;                  // configured handles, added at round end
  std::vector<std::shared_ptr<Mailbox>> pending_wakes_;  // mailboxes owed a signal at round end
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  // Connection sockets libcurl opened and will close through on_close_socket: only these may
  // keep their registration while idle, because only their close is announced to us.
  std::unordered_set<curl_socket_t> conn_fds_;
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<SessionId, std::unique_ptr<Pool>> pools_;
  std::unordered_map<RequestId, std::unique_ptr<Batch>> batches_;
  struct HedgeGroup {
    std::vector<RequestId> members;  // copies still running (the original included)
    int launched = 0;                // extra copies started so far
  };
  std::unordered_map<RequestId, HedgeGroup> groups_;  // by the original's id
  struct RateWait {
    std::shared_ptr<RateLimiter> limiter;  // kept alive while requests wait on it
    boost::asio::steady_timer timer;
  };
  std::unordered_map<RateLimiter*, std::unique_ptr<RateWait>> rate_waits_;
  std::vector<EasyPtr> idle_easy_;
  bool stopping_ = false;

  // Any thread.
  // The inbox's wake-up: an eventfd the engine waits on through Asio. A plain write from the
  // caller's thread, not asio::post: post interrupts the reactor while holding the scheduler's
  // mutex, so an engine thread woken on the same core blocked on that mutex (two extra context
  // switches per submit at concurrency 1).
  EventFd inbox_fd_;
  std::optional<boost::asio::posix::stream_descriptor> inbox_wait_;  // engine thread only
  std::mutex inbox_mutex_;
  std::vector<Command> inbox_;      // guarded by inbox_mutex_
  bool stopped_ = false;            // guarded by inbox_mutex_
  std::atomic<std::size_t> stat_in_flight_{0}, stat_queued_{0}, stat_easy_{0}, stat_sockets_{0},
      stat_sessions_{0};

  std::thread thread_;  // last: started after every member above exists
};

}  // namespace asiofetch
