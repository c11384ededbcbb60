// The engine's facade: lifetime and fork, commands from other threads, recovery from throws.
#include "asiofetch/engine.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>
#include <mutex>

#include "asiofetch/fault.hpp"

namespace asio = boost::asio;

namespace asiofetch {

namespace {

std::mutex g_instance_mutex;
std::shared_ptr<Engine>& g_instance() {
  static auto* holder = new std::shared_ptr<Engine>();  // immortal: see forget_after_fork
  return *holder;
}
std::atomic<std::uint64_t> g_epoch{1};
std::atomic<RequestId> g_next_id{1};
std::atomic<SessionId> g_next_session{1};

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The request or batch a command acts on (0: none, e.g. a session command).
RequestId command_target(const Command& c) {
  return std::visit(
      [](const auto& cmd) -> RequestId {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, cmd::Submit>) return cmd.t ? cmd.t->id : 0;
        else if constexpr (std::is_same_v<T, cmd::SubmitBatch>) return cmd.b ? cmd.b->id : 0;
        else if constexpr (std::is_same_v<T, cmd::OpenSession> || std::is_same_v<T, cmd::CloseSession> ||
                           std::is_same_v<T, cmd::ClearDns>)
          return 0;
        else return cmd.id;
      },
      c);
}

}  // namespace

// ---- lifetime ---------------------------------------------------------------------------

Engine::Engine()
    : work_(asio::make_work_guard(io_)),
      driver_(io_, &Engine::on_done, this, &Engine::on_event_end),
      delivery_(io_, &Engine::on_round_end, this),
      scheduler_(io_, transfers_, Scheduler::Hooks{this, &Engine::on_ready, &Engine::on_pool_timeout, &Engine::on_granted}),
      inbox_(io_) {
  thread_ = std::thread([this] {
    driver_.start_watchdog();
    arm_inbox();
    // Handlers catch what belongs to a request (guarded); this catches the rest, so no
    // exception ever ends the engine thread (and with it the process).
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "asiofetch: engine thread recovered from an exception: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "asiofetch: engine thread recovered from an unknown exception\n");
      }
    }
  });
}

Engine::~Engine() {
  stop();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<Engine> Engine::instance() {
  std::lock_guard lock(g_instance_mutex);
  auto& inst = g_instance();
  if (!inst) inst = std::make_shared<Engine>();
  return inst;
}

void Engine::forget_after_fork() {
  // Callers hold the GIL, and every instance() caller does too, so the mutex was free at fork.
  std::lock_guard lock(g_instance_mutex);
  static auto* orphans = new std::vector<std::shared_ptr<Engine>>();  // never destroyed
  auto& inst = g_instance();
  if (inst) orphans->push_back(std::move(inst));
  inst.reset();
  g_epoch.fetch_add(1);
}

void Engine::shutdown_instance() {
  std::shared_ptr<Engine> inst;
  {
    std::lock_guard lock(g_instance_mutex);
    inst = std::move(g_instance());
  }
  if (inst) {
    inst->stop();
    if (inst->thread_.joinable()) inst->thread_.join();
  }
}

std::uint64_t Engine::epoch() noexcept { return g_epoch.load(); }

RequestId Engine::next_id() noexcept { return g_next_id.fetch_add(1, std::memory_order_relaxed); }

void Engine::stop() {
  if (!inbox_.close()) return;
  asio::post(io_, [this] { shutdown_on_thread(); });
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.in_flight = stat_in_flight_.load();
  s.queued = scheduler_.queued();
  s.easy_handles = easy_.count();
  s.sockets = driver_.socket_count();
  s.sockets_opened = driver_.sockets_opened();
  s.sessions = stat_sessions_.load();
  s.add_wait_max = stat_add_wait_max_.load(std::memory_order_relaxed);
  return s;
}

// ---- commands from other threads --------------------------------------------------------

SessionId Engine::open_session(PoolConfig cfg, std::shared_ptr<PoolCounters> counters) {
  SessionId id = g_next_session.fetch_add(1);
  enqueue(cmd::OpenSession{id, cfg, std::move(counters)});
  return id;
}

void Engine::close_session(SessionId id) { enqueue(cmd::CloseSession{id}); }
void Engine::clear_dns(SessionId id) { enqueue(cmd::ClearDns{id}); }
void Engine::submit(std::unique_ptr<Transfer> t) { enqueue(cmd::Submit{std::move(t)}); }
void Engine::cancel(RequestId id) { enqueue(cmd::Cancel{id}); }
void Engine::resolved(RequestId id, std::vector<std::string> entries) {
  enqueue(cmd::Resolved{id, std::move(entries)});
}
void Engine::submit_batch(std::unique_ptr<Batch> b) { enqueue(cmd::SubmitBatch{std::move(b)}); }
void Engine::feed_batch(RequestId id, std::deque<BatchItem> items, bool close) {
  enqueue(cmd::FeedBatch{id, std::move(items), close});
}
void Engine::semaphore_acquire(std::shared_ptr<Semaphore> sem, RequestId id, std::shared_ptr<Mailbox> mailbox) {
  enqueue(cmd::SemOp{cmd::SemOp::Kind::Acquire, std::move(sem), id, std::move(mailbox)});
}
void Engine::semaphore_release(std::shared_ptr<Semaphore> sem, RequestId id) {
  enqueue(cmd::SemOp{cmd::SemOp::Kind::Release, std::move(sem), id, nullptr});
}
void Engine::semaphore_cancel(std::shared_ptr<Semaphore> sem, RequestId id) {
  enqueue(cmd::SemOp{cmd::SemOp::Kind::Cancel, std::move(sem), id, nullptr});
}

void Engine::enqueue(Command&& c) {
  if (inbox_.push(c)) return;
  // Too late to run: whatever waits for an answer still gets its one outcome.
  if (auto* s = std::get_if<cmd::Submit>(&c)) Delivery::refuse(s->t->mailbox, s->t->id);
  if (auto* b = std::get_if<cmd::SubmitBatch>(&c)) Delivery::refuse(b->b->mailbox, b->b->id);
  if (auto* a = std::get_if<cmd::SemOp>(&c); a && a->kind == cmd::SemOp::Kind::Acquire)
    Delivery::refuse(a->mailbox, a->id);
}

void Engine::arm_inbox() {
  inbox_.wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    run_inbox();
    if (!stopping_) arm_inbox();
  });
}

void Engine::run_inbox() {
  std::vector<Command> batch = inbox_.take();
  for (auto& c : batch)
    guarded(command_target(c), [&] { std::visit([this](auto& cmd) { handle(cmd); }, c); });
}

void Engine::handle(cmd::OpenSession& c) {
  pools_.emplace(c.id, std::make_unique<Pool>(c.id, c.cfg, std::move(c.counters)));
  stat_sessions_.store(pools_.size());
}

void Engine::handle(cmd::Submit& c) {
  try {
    register_transfer(c.t);
  } catch (...) {
    if (!c.t) throw;  // registered: guarded() fails it through the registry
    // Never registered, so nothing else will answer it.
    Transfer& t = *c.t;
    Outcome o;
    o.id = t.id;
    o.error = Error{ErrorKind::Other, 0, "asiofetch engine internal error: " + describe(std::current_exception())};
    if (t.batch)
      batch_outcome(t.batch, t.index, std::move(o));
    else
      delivery_.push(t.mailbox, std::move(o));
  }
}

void Engine::handle(cmd::Cancel& c) {
  if (auto git = groups_.find(c.id); git != groups_.end()) {
    std::vector<RequestId> members = git->second.members;  // the last one delivers
    for (RequestId id : members)
      if (auto it = transfers_.find(id); it != transfers_.end())
        finish(*it->second, Error{ErrorKind::Cancelled, 0, "cancelled"});
    return;
  }
  if (auto it = transfers_.find(c.id); it != transfers_.end()) {
    finish(*it->second, Error{ErrorKind::Cancelled, 0, "cancelled"});
    return;
  }
  if (auto bit = batches_.find(c.id); bit != batches_.end()) {
    Batch& b = *bit->second;
    b.cancelled = true;
    abort_batch(b, Error{ErrorKind::Cancelled, 0, "cancelled"});
    maybe_complete(b);
  }
  // Otherwise finished already: its outcome is on its way.
}

void Engine::handle(cmd::SemOp& c) {
  Semaphore& sem = *c.sem;
  switch (c.kind) {
    case cmd::SemOp::Kind::Acquire:
      if (scheduler_.sem_acquire(sem, c.id, c.mailbox)) on_granted(this, c.mailbox, c.id);
      break;
    case cmd::SemOp::Kind::Release:
      scheduler_.sem_release(sem, c.id);
      break;
    case cmd::SemOp::Kind::Cancel:
      scheduler_.sem_cancel(sem, c.id);
      break;
  }
}

void Engine::handle(cmd::Resume& c) {
  auto it = transfers_.find(c.id);
  if (it == transfers_.end() || !it->second->easy) return;
  if (it->second->mock_play) return mock_resume(*it->second);
  // May call the write callback right here with the held-back bytes: that is fine, we are
  // on the engine thread and not inside another curl call.
  curl_easy_pause(it->second->easy.get(), CURLPAUSE_CONT);
}

void Engine::handle(cmd::ClearDns& c) {
  if (auto pit = pools_.find(c.id); pit != pools_.end()) pit->second->dns_cleared_at = std::chrono::steady_clock::now();
}

void Engine::handle(cmd::CloseSession& c) {
  auto pit = pools_.find(c.id);
  if (pit == pools_.end()) return;
  std::vector<RequestId> batch_ids;
  for (auto& [id, b] : batches_)
    if (b->session == c.id) batch_ids.push_back(id);
  for (RequestId id : batch_ids) {
    auto bit = batches_.find(id);
    if (bit == batches_.end()) continue;
    abort_batch(*bit->second, Error{ErrorKind::SessionClosed, 0, "session closed with the batch in flight"});
    maybe_complete(*bit->second);
  }
  std::vector<RequestId> ids;
  for (auto& [id, t] : transfers_)
    if (t->session == c.id) ids.push_back(id);
  for (RequestId id : ids) {
    auto it = transfers_.find(id);
    if (it != transfers_.end())
      finish(*it->second, Error{ErrorKind::SessionClosed, 0, "session closed with the request in flight"});
  }
  pools_.erase(pit);  // curl_share_cleanup closes the session's kept-alive connections
  stat_sessions_.store(pools_.size());
}

void Engine::shutdown_on_thread() {
  stopping_ = true;
  std::vector<RequestId> batch_ids;
  for (auto& [id, b] : batches_) batch_ids.push_back(id);
  for (RequestId id : batch_ids)
    guarded(id, [&] {
      auto bit = batches_.find(id);
      if (bit == batches_.end()) return;
      abort_batch(*bit->second, Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"});
      maybe_complete(*bit->second);
    });
  std::vector<RequestId> ids;
  ids.reserve(transfers_.size());
  for (auto& [id, t] : transfers_) ids.push_back(id);
  for (RequestId id : ids)
    guarded(id, [&] {
      auto it = transfers_.find(id);
      if (it != transfers_.end())
        finish(*it->second, Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"});
    });
  // Late commands: run them so submits get their outcome (the inbox is closed to new ones).
  run_inbox();
  delivery_.flush();  // nothing may wait for a signal still owed when the loop stops
  pools_.clear();
  batches_.clear();
  groups_.clear();
  scheduler_.shutdown();
  easy_.clear();
  driver_.shutdown();
  inbox_.stop_waiting();
  work_.reset();
}

// ---- recovery ---------------------------------------------------------------------------

void Engine::fail_internal(RequestId id, std::exception_ptr e) noexcept {
  try {
    Error error{ErrorKind::Other, 0, "asiofetch engine internal error: " + describe(e)};
    if (auto it = transfers_.find(id); it != transfers_.end()) {
      finish(*it->second, std::move(error));
      return;
    }
    if (auto bit = batches_.find(id); bit != batches_.end()) {
      abort_batch(*bit->second, std::move(error));
      maybe_complete(*bit->second);
      return;
    }
    if (auto git = groups_.find(id); git != groups_.end()) {
      std::vector<RequestId> members = git->second.members;
      for (RequestId m : members)
        if (auto it = transfers_.find(m); it != transfers_.end()) finish(*it->second, error);
      return;
    }
    // Nothing left to fail: the request had its outcome, or the error was no request's.
    std::fprintf(stderr, "asiofetch: engine recovered from an exception (request %llu): %s\n",
                 static_cast<unsigned long long>(id), error.message.c_str());
  } catch (...) {
    // Failing it threw as well (memory exhausted): the thread goes on; io_.run's catch
    // cannot help this request either.
    std::fprintf(stderr, "asiofetch: could not fail request %llu after an internal error\n",
                 static_cast<unsigned long long>(id));
  }
}

void Engine::run_ready() noexcept {
  while (scheduler_.has_ready()) {
    const RequestId id = scheduler_.pop_ready();
    auto it = transfers_.find(id);
    if (it == transfers_.end() || it->second->state != Transfer::State::Active) continue;
    try {
      start(*it->second);
    } catch (...) {
      fail_internal(id, std::current_exception());
    }
  }
}

// ---- hooks --------------------------------------------------------------------------------

void Engine::on_ready(void* self) { static_cast<Engine*>(self)->run_ready(); }

void Engine::on_pool_timeout(void* self, Transfer& t) {
  auto& e = *static_cast<Engine*>(self);
  e.guarded(t.id, [&] {
    e.finish(t, Error{ErrorKind::PoolTimeout, 0, "no connection slot free within the pool timeout (" + t.req.url + ")"});
  });
}

void Engine::on_granted(void* self, const std::shared_ptr<Mailbox>& mb, RequestId id) {
  Outcome o;
  o.id = id;  // a bare wake-up: the permit is the caller's
  static_cast<Engine*>(self)->delivery_.push(mb, std::move(o));
}

void Engine::on_round_end(void* self) {
  auto& e = *static_cast<Engine*>(self);
  e.promote_heads();
  e.flush_adds();
}

}  // namespace asiofetch
