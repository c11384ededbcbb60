// A synchronous test client for the engine: submit, then wait on the mailbox fd for outcomes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "asiofetch/engine.hpp"
#include "asiofetch/mailbox.hpp"

namespace asiofetch::testing {

// Not thread-safe: one test thread drives it. Owns a private Engine so cases never share
// state, and a session on it (more sessions via open_session()).
class EngineClient {
 public:
  explicit EngineClient(PoolConfig cfg = {});
  ~EngineClient();

  Engine& engine() { return *engine_; }
  SessionId session() const { return session_; }
  PoolCounters& counters() { return *counters_; }
  std::shared_ptr<Mailbox> mailbox() { return mailbox_; }
  SessionId open_session(PoolConfig cfg);

  // Queues a request and returns its id; the outcome is collected by wait().
  RequestId submit(Request req, RequestOptions opts = {}, SessionId session = 0);
  // The outcome of `id`, waiting up to `limit` (a test failure, not a hang, past it).
  Outcome wait(RequestId id, std::chrono::milliseconds limit = std::chrono::seconds(20));
  // submit + wait.
  Outcome fetch(Request req, RequestOptions opts = {}, SessionId session = 0);
  Outcome get(const std::string& url, RequestOptions opts = {});

  // A batch of GETs (or given requests) with one set of options; returns its id.
  RequestId submit_batch(std::vector<Request> reqs, std::shared_ptr<const RequestOptions> opts,
                         std::size_t concurrency, bool fail_fast, std::chrono::milliseconds deadline = {},
                         bool streaming = false, RequestId progress_id = 0);
  void feed_batch(RequestId id, std::vector<Request> reqs, std::shared_ptr<const RequestOptions> opts, bool close);
  // Every outcome queued under `id` so far (streamed items, progress notes), waiting for at
  // least `min` of them.
  std::vector<Outcome> wait_many(RequestId id, std::size_t min,
                                 std::chrono::milliseconds limit = std::chrono::seconds(20));

  // Waits until pred() holds, polling; false after `limit`.
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

 private:
  void collect(std::chrono::milliseconds limit);

  std::shared_ptr<Engine> engine_;
  std::shared_ptr<PoolCounters> counters_;
  SessionId session_;
  std::shared_ptr<Mailbox> mailbox_;
  std::multimap<RequestId, Outcome> ready_;
};

std::string header(const Response& r, std::string_view name);  // first match, case-insensitive

}  // namespace asiofetch::testing
