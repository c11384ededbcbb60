#include "asiofetch/engine.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <algorithm>
#include <cstring>
#include <unistd.h>

#include "asiofetch/ca_trust.hpp"
#include "asiofetch/curl_errors.hpp"
#include "asiofetch/headers.hpp"
#include "asiofetch/retry.hpp"
#include "asiofetch/url.hpp"

namespace asio = boost::asio;

namespace asiofetch {

// What the engine knows about one socket libcurl asked it to watch. Shared with the pending
// wait handlers, so a REMOVE while a wait is in flight leaves them a live object to look at.
struct SocketWatch {
  SocketWatch(asio::io_context& io, curl_socket_t s) : desc(io, s) {}
  asio::posix::stream_descriptor desc;  // never owns the fd: released, never closed (curl closes it)
  int want = 0;                         // CURL_POLL_IN / CURL_POLL_OUT bits
  bool read_armed = false;
  bool write_armed = false;
  bool gone = false;
};

namespace {

constexpr std::size_t kMaxIdleEasy = 256;  // above this, finished handles are freed, not kept
constexpr auto kWatchdogPeriod = std::chrono::seconds(1);
constexpr long kReceiveBuffer = 256 * 1024;

std::mutex g_instance_mutex;
std::shared_ptr<Engine>& g_instance() {
  static auto* holder = new std::shared_ptr<Engine>();  // immortal: see forget_after_fork
  return *holder;
}
std::atomic<std::uint64_t> g_epoch{1};
std::atomic<RequestId> g_next_id{1};
std::atomic<SessionId> g_next_session{1};

long ms_count(Millis m) { return static_cast<long>(m.count()); }

double secs(curl_off_t us) { return static_cast<double>(us) / 1e6; }

// CURLOPT_HTTP_VERSION for the transfer's current URL: anything but 1.1 may multiplex.
long curl_http_version(const Transfer& t) {
  const bool https = t.req.url.size() >= 6 && iequals(std::string_view(t.req.url).substr(0, 6), "https:");
  switch (t.opts->http_version) {
    case HttpVersion::Any: return https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
    case HttpVersion::Http1_1: return CURL_HTTP_VERSION_1_1;
    case HttpVersion::Http2: return https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case HttpVersion::Http2PriorKnowledge: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  }
  return CURL_HTTP_VERSION_1_1;
}

}  // namespace

// ---- lifetime ---------------------------------------------------------------------------

Engine::Engine()
    : work_(asio::make_work_guard(io_)), curl_timer_(io_), watchdog_(io_) {
  ensure_curl_global_init();
  multi_.reset(curl_multi_init());
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  CURLM* m = multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &Engine::on_socket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &Engine::on_timer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  // Connection caches live in each session's share; this only bounds what the multi keeps.
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 100000L);
  inbox_wait_.emplace(io_, inbox_fd_.fd());
  thread_ = std::thread([this] {
    arm_watchdog();
    arm_inbox();
    io_.run();
  });
}

Engine::~Engine() {
  stop();
  if (thread_.joinable()) thread_.join();
  if (inbox_wait_) inbox_wait_->release();  // the EventFd owns the fd
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
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  asio::post(io_, [this] { shutdown_on_thread(); });
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.in_flight = stat_in_flight_.load();
  s.queued = stat_queued_.load();
  s.easy_handles = stat_easy_.load();
  s.sockets = stat_sockets_.load();
  s.sessions = stat_sessions_.load();
  return s;
}

// ---- commands from other threads --------------------------------------------------------

SessionId Engine::open_session(PoolConfig cfg, std::shared_ptr<PoolCounters> counters) {
  SessionId id = g_next_session.fetch_add(1);
  enqueue(OpenSession{id, cfg, std::move(counters)});
  return id;
}

void Engine::close_session(SessionId id) { enqueue(CloseSession{id}); }
void Engine::submit(std::unique_ptr<Transfer> t) { enqueue(Submit{std::move(t)}); }
void Engine::cancel(RequestId id) { enqueue(Cancel{id}); }
void Engine::submit_batch(std::unique_ptr<Batch> b) { enqueue(SubmitBatch{std::move(b)}); }
void Engine::feed_batch(RequestId id, std::deque<BatchItem> items, bool close) {
  enqueue(FeedBatch{id, std::move(items), close});
}
void Engine::semaphore_acquire(std::shared_ptr<Semaphore> sem, RequestId id, std::shared_ptr<Mailbox> mailbox) {
  enqueue(SemOp{SemOp::Kind::Acquire, std::move(sem), id, std::move(mailbox)});
}
void Engine::semaphore_release(std::shared_ptr<Semaphore> sem, RequestId id) {
  enqueue(SemOp{SemOp::Kind::Release, std::move(sem), id, nullptr});
}
void Engine::semaphore_cancel(std::shared_ptr<Semaphore> sem, RequestId id) {
  enqueue(SemOp{SemOp::Kind::Cancel, std::move(sem), id, nullptr});
}

void Engine::enqueue(Command&& c) {
  bool wake;
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopped_) {
      // Too late to run: whatever waits for an answer still gets its one outcome.
      auto refuse = [](const std::shared_ptr<Mailbox>& mb, RequestId id) {
        Outcome o;
        o.id = id;
        o.error = Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"};
        mb->push(std::move(o));
      };
      if (auto* s = std::get_if<Submit>(&c)) refuse(s->t->mailbox, s->t->id);
      if (auto* b = std::get_if<SubmitBatch>(&c)) refuse(b->b->mailbox, b->b->id);
      if (auto* a = std::get_if<SemOp>(&c); a && a->kind == SemOp::Kind::Acquire) refuse(a->mailbox, a->id);
      return;
    }
    wake = inbox_.empty();
    inbox_.push_back(std::move(c));
  }
  if (wake) inbox_fd_.signal();
}

void Engine::arm_inbox() {
  inbox_wait_->async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    inbox_fd_.clear();  // before taking the inbox: a command queued after the swap signals again
    run_inbox();
    if (!stopping_) arm_inbox();
  });
}

void Engine::run_inbox() {
  std::vector<Command> batch;
  {
    std::lock_guard lock(inbox_mutex_);
    batch.swap(inbox_);
  }
  for (auto& c : batch) std::visit([this](auto& cmd) { handle(cmd); }, c);
}

void Engine::handle(OpenSession& c) {
  pools_.emplace(c.id, std::make_unique<Pool>(c.id, c.cfg, std::move(c.counters)));
  stat_sessions_.store(pools_.size());
}

void Engine::handle(Submit& c) { register_transfer(std::move(c.t)); }

void Engine::register_transfer(std::unique_ptr<Transfer> tp) {
  Transfer& t = *tp;
  auto pit = pools_.find(t.session);
  if (pit == pools_.end()) {
    Outcome o;
    o.id = t.id;
    o.error = Error{ErrorKind::SessionClosed, 0, "session is closed"};
    if (t.batch)
      batch_outcome(t.batch, t.index, std::move(o));
    else
      t.mailbox->push(std::move(o));
    return;
  }
  t.pool = pit->second.get();
  t.submitted_at = Clock::now();
  t.slot_origin = t.origin;
  const bool hedged = t.opts->hedge_max_extra > 0 && t.opts->hedge_after.count() > 0 && !t.opts->stream &&
                      t.copy == 0 && (t.req.method == "GET" || t.req.method == "HEAD" || t.req.method == "OPTIONS");
  // A retry, fallback or hedge starts over from here, not from a redirect hop.
  if (t.opts->retry || hedged || !t.req.fallback.empty()) t.original = t.req;
  if (hedged) {
    t.group = t.id;
    groups_[t.id].members.push_back(t.id);
  }
  transfers_.emplace(t.id, std::move(tp));
  stat_in_flight_.store(transfers_.size());
  admit(t);
}

void Engine::admit(Transfer& t) {
  t.state = Transfer::State::Gated;
  if (Semaphore* sem = t.opts->semaphore.get(); sem && !t.holds_permit) {
    if (!sem->try_acquire()) {
      sem->enqueue({t.id, nullptr});
      return;
    }
    t.holds_permit = true;
  }
  if (RateLimiter* rl = t.opts->rate_limit.get()) {
    if (!rl->waiters.empty() || !rl->try_take(Clock::now())) {
      wait_for_token(t);
      return;
    }
  }
  enqueue_pool(t);
}

void Engine::enqueue_pool(Transfer& t) {
  Pool& pool = *t.pool;
  t.state = Transfer::State::Queued;
  const RequestId id = t.id;
  pool.waiting.push_back(id);
  pool.counters->queued.fetch_add(1, std::memory_order_relaxed);
  stat_queued_.fetch_add(1, std::memory_order_relaxed);
  pump(pool);
  auto it = transfers_.find(id);
  if (it != transfers_.end() && it->second->state == Transfer::State::Queued)
    arm_pool_timer(*it->second);
}

void Engine::grant_permit(Semaphore& sem) {
  while (auto w = sem.pop_waiter()) {
    if (w->mailbox) {
      if (w->mailbox->closed()) continue;  // its loop is gone: nobody would release it
      sem.python_holders.insert(w->id);
      Outcome o;
      o.id = w->id;
      w->mailbox->push(std::move(o));
      return;
    }
    auto it = transfers_.find(w->id);
    if (it == transfers_.end() || it->second->state != Transfer::State::Gated || it->second->holds_permit)
      continue;  // finished or cancelled while it waited
    it->second->holds_permit = true;
    admit(*it->second);
    return;
  }
  sem.give_back();
}

void Engine::wait_for_token(Transfer& t) {
  RateLimiter* rl = t.opts->rate_limit.get();
  rl->waiters.push_back(t.id);
  auto& w = rate_waits_[rl];
  if (!w) w = std::make_unique<RateWait>(RateWait{t.opts->rate_limit, asio::steady_timer(io_)});
  if (rl->timer_armed) return;
  rl->timer_armed = true;
  w->timer.expires_at(rl->next_token_at(Clock::now()));
  w->timer.async_wait([this, rl](const boost::system::error_code& ec) {
    if (!ec) on_rate_timer(rl);
  });
}

void Engine::on_rate_timer(RateLimiter* rl) {
  auto wit = rate_waits_.find(rl);
  if (wit == rate_waits_.end()) return;
  std::shared_ptr<RateLimiter> keep = wit->second->limiter;
  rl->timer_armed = false;
  while (!rl->waiters.empty()) {
    auto it = transfers_.find(rl->waiters.front());
    if (it == transfers_.end() || it->second->state != Transfer::State::Gated) {
      rl->waiters.pop_front();  // finished or cancelled while it waited
      continue;
    }
    if (!rl->try_take(Clock::now())) break;
    rl->waiters.pop_front();
    enqueue_pool(*it->second);
  }
  wit = rate_waits_.find(rl);  // enqueue_pool may have re-entered wait_for_token
  if (wit == rate_waits_.end()) return;
  if (rl->waiters.empty()) {
    rate_waits_.erase(wit);
    return;
  }
  if (rl->timer_armed) return;
  rl->timer_armed = true;
  wit->second->timer.expires_at(rl->next_token_at(Clock::now()));
  wit->second->timer.async_wait([this, rl](const boost::system::error_code& ec) {
    if (!ec) on_rate_timer(rl);
  });
}

void Engine::handle(Cancel& c) {
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

void Engine::handle(SemOp& c) {
  Semaphore& sem = *c.sem;
  switch (c.kind) {
    case SemOp::Kind::Acquire:
      if (sem.try_acquire()) {
        sem.python_holders.insert(c.id);
        Outcome o;
        o.id = c.id;
        c.mailbox->push(std::move(o));
      } else {
        sem.enqueue({c.id, std::move(c.mailbox)});
      }
      break;
    case SemOp::Kind::Release:
      if (sem.python_holders.erase(c.id)) grant_permit(sem);
      break;
    case SemOp::Kind::Cancel:
      if (!sem.remove_waiter(c.id) && sem.python_holders.erase(c.id)) grant_permit(sem);
      break;
  }
}

void Engine::handle(Resume& c) {
  auto it = transfers_.find(c.id);
  if (it == transfers_.end() || !it->second->easy) return;
  // May call the write callback right here with the held-back bytes: that is fine, we are
  // on the engine thread and not inside another curl call.
  curl_easy_pause(it->second->easy.get(), CURLPAUSE_CONT);
}

void Engine::handle(CloseSession& c) {
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
  for (RequestId id : batch_ids) {
    auto bit = batches_.find(id);
    if (bit == batches_.end()) continue;
    abort_batch(*bit->second, Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"});
    maybe_complete(*bit->second);
  }
  std::vector<RequestId> ids;
  ids.reserve(transfers_.size());
  for (auto& [id, t] : transfers_) ids.push_back(id);
  for (RequestId id : ids) {
    auto it = transfers_.find(id);
    if (it != transfers_.end())
      finish(*it->second, Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"});
  }
  // Late commands: run them so submits get their outcome (the inbox is closed to new ones).
  run_inbox();
  flush_wakes();  // nothing may wait for a signal still owed when the loop stops
  pools_.clear();
  batches_.clear();
  groups_.clear();
  rate_waits_.clear();
  idle_easy_.clear();
  stat_easy_.store(0);
  for (auto& [s, w] : sockets_) {
    w->gone = true;
    w->desc.release();
  }
  sockets_.clear();
  conn_fds_.clear();
  curl_timer_.cancel();
  watchdog_.cancel();
  if (inbox_wait_) inbox_wait_->release();  // cancels the wait; the fd stays open (see inbox_fd_)
  multi_.reset();
  work_.reset();
}

// ---- scheduling -------------------------------------------------------------------------

void Engine::pump(Pool& pool) {
  // FIFO: start waiting requests while there is room. With a per-host limit a blocked host
  // must not stall others, so look past it (bounded by the queue length).
  auto& q = pool.waiting;
  std::size_t scanned = 0;
  const std::size_t n = q.size();
  while (scanned < n && !q.empty() && (!pool.cfg.limit || pool.active < pool.cfg.limit)) {
    RequestId id = q.front();
    q.pop_front();
    ++scanned;
    auto it = transfers_.find(id);
    if (it == transfers_.end() || it->second->state != Transfer::State::Queued) continue;
    Transfer& t = *it->second;
    if (!pool.can_start(t.slot_origin)) {
      q.push_back(id);
      continue;
    }
    pool.counters->queued.fetch_sub(1, std::memory_order_relaxed);
    stat_queued_.fetch_sub(1, std::memory_order_relaxed);
    start(t);
  }
}

void Engine::start(Transfer& t) {
  t.state = Transfer::State::Active;
  t.pool_timer.reset();
  t.started_at = Clock::now();
  if (++t.attempts == 1) t.first_started = t.started_at;
  if (t.group && t.copy == 0 && !t.hedge_timer) arm_hedge(t);
  const long version = curl_http_version(t);
  t.lane = t.pool->on_start(t.slot_origin, version != CURL_HTTP_VERSION_1_1);
  t.resp->timings.queued = std::chrono::duration<double>(t.started_at - t.submitted_at).count();
  if (t.opts->stream) {
    const RequestId id = t.id;
    // The consumer may hold the stream after the engine is gone (interpreter exit).
    std::weak_ptr<Engine> self = weak_from_this();
    t.stream = std::make_shared<StreamBuffer>(
        t.opts->stream_high_water,
        [self, id] { if (auto e = self.lock()) e->enqueue(Resume{id}); },
        [self, id] { if (auto e = self.lock()) e->enqueue(Cancel{id}); });
    t.on_head = [](Transfer& tr) {
      // The engine pointer is not stored in the transfer; the head is pushed directly.
      Outcome o;
      o.id = tr.id;
      auto head = std::make_unique<Response>();
      head->status = tr.resp->status;
      head->reason = tr.resp->reason;
      head->http_version = tr.resp->http_version;
      head->headers = tr.resp->headers;
      head->url = tr.req.url;
      head->method = tr.req.method;
      head->history = tr.resp->history;
      head->timings = tr.resp->timings;
      head->attempts = tr.attempts;
      head->stream = tr.stream;
      if (tr.easy) {
        curl_off_t v = 0;
        if (curl_easy_getinfo(tr.easy.get(), CURLINFO_STARTTRANSFER_TIME_T, &v) == CURLE_OK)
          head->timings.first_byte = secs(v);
      }
      o.response = std::move(head);
      tr.mailbox->push(std::move(o));
      tr.outcome_sent = true;
    };
  }
  if (!configure_attempt(t, version)) return;
  arm_idle_timer(t);
}

bool Engine::configure_attempt(Transfer& t, long version) {
  if (!t.easy) t.easy = acquire_easy();
  CURL* e = t.easy.get();
  const RequestOptions& o = *t.opts;
  t.attempt_at = Clock::now();
  t.last_activity = t.attempt_at;
  t.headers_done = false;
  t.follow = false;
  t.errbuf[0] = '\0';

  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_SHARE, t.pool->lanes[t.lane].get());
  curl_easy_setopt(e, CURLOPT_URL, t.req.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  // One receive buffer per multi handle (borrowed per transfer), so a large one costs memory
  // once: a 1 MiB body then takes 4 recv calls and callbacks instead of 64.
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, kReceiveBuffer);
  // Connections remember this: when a cache purge closes one, its watch goes first, so a
  // new socket reusing the fd number never inherits a stale registration.
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Engine::on_close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
  curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &Engine::on_sockopt);
  curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, this);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours: aiohttp's rules, history
  curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(e, CURLOPT_PROXY, o.proxy.c_str());  // "" also stops libcurl's env lookup
  // Nor may libcurl read no_proxy/NO_PROXY: the session applies it to proxies it takes from
  // the environment (trust_env), and an explicit proxy= is used as given, as in aiohttp.
  curl_easy_setopt(e, CURLOPT_NOPROXY, "");
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, t.pool->cfg.keepalive_timeout_s);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, t.pool->cfg.force_close ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, t.pool->cfg.dns_cache_ttl_s);

  // Method and body. libcurl picks the method from the body options unless told otherwise.
  const std::string& m = t.req.method;
  const bool has_body = !t.req.body.empty();
  // Only these make libcurl add Expect or a form Content-Type of its own; a bodiless GET
  // skips two header lines libcurl would otherwise parse and drop on every request.
  const bool sends_body = has_body || m == "POST" || m == "PUT" || m == "PATCH";
  if (m == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (m == "GET" && !has_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    if (sends_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.req.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.req.body.data());
    }
  }

  // Headers: the caller's, in order; plus blanks that switch off libcurl's own additions
  // (Expect: 100-continue costs a round trip; a default form Content-Type would be a lie).
  curl_slist* list = nullptr;
  auto append = [&list](const std::string& line) {
    if (auto* l = curl_slist_append(list, line.c_str())) list = l;
  };
  std::string line;
  for (const auto& [k, v] : t.req.headers) {
    line.assign(k);
    if (v.empty()) {
      line.push_back(';');  // libcurl's syntax for "send this header with an empty value"
    } else {
      line.append(": ");
      line.append(v);
    }
    append(line);
  }
  if (sends_body) {
    if (!has_header(t.req.headers, "expect")) append("Expect:");
    if (!has_header(t.req.headers, "content-type")) append("Content-Type:");
  }
  t.header_list.reset(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

  if (o.auto_decompress) {
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  } else {
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, nullptr);
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  }

  // Timeouts. The total budget counts from the slot, across redirects.
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms_count(o.connect_timeout));
  if (o.total_timeout.count() > 0) {
    auto left = std::chrono::duration_cast<Millis>(t.started_at + o.total_timeout - Clock::now());
    if (left.count() <= 0) {
      finish(t, Error{ErrorKind::TotalTimeout, 0, "total timeout (" + t.req.url + ")"});
      return false;
    }
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms_count(left));
  }

  // TLS.
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_file.c_str());
  } else {  // no ssl= context: Python ssl's default paths, found once per process
    const CaTrust& ca = default_ca_trust();
    curl_easy_setopt(e, CURLOPT_CAINFO, ca.file.empty() ? nullptr : ca.file.c_str());
    curl_easy_setopt(e, CURLOPT_CAPATH, ca.dir.empty() ? nullptr : ca.dir.c_str());
  }
  if (!o.client_cert.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, o.client_cert.c_str());
  if (!o.client_key.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, o.client_key.c_str());

  // HTTP version. PIPEWAIT makes a second request wait for a pending h2 connection and
  // multiplex on it instead of opening another one.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, version);
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, version == CURL_HTTP_VERSION_1_1 ? 0L : 1L);

  queue_add(t);
  return true;
}

void Engine::queue_add(Transfer& t) {
  // Handles are added in one go after the events at hand are handled, not one by one as
  // slots free up: libcurl runs every expired handle on each socket_action, so an added
  // handle would send inside the next socket's action, one request per server wake-up.
  // Added together, they go out as a burst the server reads in one pass (nginx slept and
  // woke once per request before, and each wake-up cost this thread a cross-CPU interrupt).
  t.add_pending = true;
  pending_adds_.push_back(t.id);
  schedule_round_end();
}

void Engine::schedule_round_end() {
  // Posted behind the handlers already queued, i.e. after the events at hand.
  if (round_end_posted_) return;
  round_end_posted_ = true;
  asio::post(io_, [this] {
    round_end_posted_ = false;
    flush_adds();
    flush_wakes();  // after the adds: their requests are on the wire before the loop runs
  });
}

void Engine::flush_adds() {
  if (!multi_) return;
  std::vector<RequestId> ids;
  ids.swap(pending_adds_);
  bool added = false;
  for (RequestId id : ids) {
    auto it = transfers_.find(id);
    // Gone, or no longer waiting for this add (cancelled, failed, moved to a retry).
    if (it == transfers_.end() || !it->second->add_pending) continue;
    Transfer& t = *it->second;
    t.add_pending = false;
    if (t.state != Transfer::State::Active || !t.easy) continue;
    if (CURLMcode rc = curl_multi_add_handle(multi_.get(), t.easy.get()); rc != CURLM_OK) {
      finish(t, Error{ErrorKind::Other, 0, std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)});
      continue;
    }
    added = true;
  }
  // Start them all now, in this one action; the action the timer callback posted for them
  // then has nothing left to do and is skipped.
  if (added) {
    timeout_posted_ = false;
    socket_action(CURL_SOCKET_TIMEOUT, 0);
  }
}

// ---- outcomes ---------------------------------------------------------------------------

void Engine::drain_messages() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    if (t) on_done(*t, msg->data.result);
  }
}

void Engine::on_done(Transfer& t, CURLcode rc) {
  curl_multi_remove_handle(multi_.get(), t.easy.get());
  if (rc == CURLE_OK) {
    if (t.follow) {
      follow_redirect(t);
      return;
    }
    if (try_again(t, nullptr)) return;
    finish_ok(t);
    return;
  }
  if (t.idle_expired) {
    Error e{ErrorKind::ReadTimeout, 0, "read timeout (" + t.req.url + ")"};
    if (!try_again(t, &e)) finish(t, std::move(e));
    return;
  }
  FailurePhase phase;
  curl_off_t pre = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_PRETRANSFER_TIME_T, &pre);
  phase.connected = pre > 0;
  phase.got_status = t.resp->status > 0;
  phase.via_proxy = !t.opts->proxy.empty();
  if (t.opts->connect_timeout.count() > 0) {
    auto attempt = Clock::now() - t.attempt_at;
    bool total_nearer = t.opts->total_timeout.count() > 0 &&
                        t.started_at + t.opts->total_timeout < t.attempt_at + t.opts->connect_timeout;
    phase.connect_deadline = !total_nearer && attempt + Millis(5) >= t.opts->connect_timeout;
  }
  Error e = map_curl_error(rc, phase, t.errbuf, t.req.url);
  if (!try_again(t, &e)) finish(t, std::move(e));
}

void Engine::suspend_attempt(Transfer& t) {
  // Give back what this attempt held, except the semaphore permit: the next attempt is the
  // same logical request. The rate limiter is asked again (one token per attempt).
  if (t.easy) curl_multi_remove_handle(multi_.get(), t.easy.get());  // no-op when already out
  t.idle_timer.reset();
  if (t.state == Transfer::State::Active) t.pool->on_finish(t.slot_origin, t.lane);
  t.state = Transfer::State::Backoff;
  if (t.easy) recycle_easy(std::move(t.easy));
  t.resp = std::make_unique<Response>();
  t.stream.reset();
  t.idle_expired = false;
}

bool Engine::maybe_fallback(Transfer& t, const Error* error) {
  if (!t.original || t.fallback_pos >= t.original->fallback.size() || t.outcome_sent || stopping_) return false;
  if (error ? (error->kind == ErrorKind::Cancelled || error->kind == ErrorKind::SessionClosed)
            : t.resp->status < 500)
    return false;
  std::string why;
  auto parsed = parse_http_url(t.original->fallback[t.fallback_pos], why);
  if (!parsed) return false;  // validated at submit; kept as a guard
  suspend_attempt(t);
  t.original->url = t.original->fallback[t.fallback_pos++];
  t.req = *t.original;
  t.origin = t.slot_origin = parsed->origin;
  t.attempts = 0;  // each URL gets the whole retry policy
  pump(*t.pool);
  admit(t);
  return true;
}

void Engine::arm_hedge(Transfer& t) {
  auto git = groups_.find(t.group);
  if (git == groups_.end() || git->second.launched >= t.opts->hedge_max_extra) return;
  t.hedge_timer.emplace(io_);
  t.hedge_timer->expires_after(t.opts->hedge_after);
  const RequestId id = t.id;
  t.hedge_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    Transfer& orig = *it->second;
    auto git = groups_.find(orig.group);
    if (git == groups_.end() || !orig.original) return;
    auto copy = std::make_unique<Transfer>();
    copy->id = Engine::next_id();
    copy->session = orig.session;
    copy->req = *orig.original;
    copy->opts = orig.opts;
    copy->mailbox = orig.mailbox;
    copy->origin = orig.slot_origin;
    copy->batch = orig.batch;
    copy->index = orig.index;
    copy->group = orig.group;
    copy->copy = ++git->second.launched;
    git->second.members.push_back(copy->id);
    register_transfer(std::move(copy));
    if (auto again = transfers_.find(id); again != transfers_.end()) arm_hedge(*again->second);
  });
}

bool Engine::settle_group(Transfer& t, Outcome& o) {
  auto git = groups_.find(t.group);
  if (git == groups_.end()) return false;  // the group was settled by another copy
  auto& members = git->second.members;
  std::erase(members, t.id);
  const RequestId group = t.group;
  if (o.response) {
    o.response->hedge = t.copy;
    // The winner: the other copies are cancelled and their outcomes swallowed.
    std::vector<RequestId> losers = std::move(members);
    groups_.erase(git);
    for (RequestId id : losers)
      if (auto it = transfers_.find(id); it != transfers_.end())
        finish(*it->second, Error{ErrorKind::Cancelled, 0, "cancelled: another copy answered first"});
  } else if (!members.empty()) {
    return false;  // a copy still runs: it may yet succeed
  } else {
    groups_.erase(git);
  }
  o.id = group;
  return true;
}

bool Engine::maybe_retry(Transfer& t, const Error* error) {
  const RetryPolicy* p = t.opts->retry.get();
  if (!p || t.outcome_sent || stopping_ || t.attempts >= p->attempts || !t.original) return false;
  if (!p->retries_method(t.original->method)) return false;
  if (t.batch) {
    auto bit = batches_.find(t.batch);
    if (bit != batches_.end() && bit->second->abort) return false;
  }
  std::optional<double> retry_after;
  if (error) {
    if (!p->retries_error(error->kind)) return false;
  } else {
    if (!p->statuses.count(t.resp->status)) return false;
    if (p->respect_retry_after)
      if (const std::string* v = find_header(t.resp->headers, "retry-after")) retry_after = parse_retry_after(*v);
  }
  const Millis wait = p->delay(t.attempts + 1, retry_after);
  if (p->total_budget_s > 0 &&
      Clock::now() + wait - t.first_started > std::chrono::duration<double>(p->total_budget_s))
    return false;

  suspend_attempt(t);
  t.req = *t.original;
  t.origin = t.slot_origin;
  const RequestId id = t.id;
  t.backoff_timer.emplace(io_);
  t.backoff_timer->expires_after(wait);
  t.backoff_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = transfers_.find(id);
    if (it != transfers_.end() && it->second->state == Transfer::State::Backoff) admit(*it->second);
  });
  pump(*t.pool);
  return true;
}

void Engine::follow_redirect(Transfer& t) {
  Response& r = *t.resp;
  const std::string* location = find_header(r.headers, "location");
  auto next = location ? resolve_redirect(t.req.url, *location) : std::nullopt;
  HopResponse hop{r.status, r.reason, t.req.url, t.req.method, std::move(r.headers)};
  r.history.push_back(std::move(hop));
  r.headers.clear();
  if (!next) {
    finish(t, Error{ErrorKind::InvalidUrl, 0, "cannot follow redirect to '" + (location ? *location : "") + "'"});
    return;
  }
  std::string why;
  auto parsed = parse_http_url(*next, why);
  if (!parsed) {
    finish(t, Error{ErrorKind::InvalidUrl, 0, "redirect to a non-HTTP URL '" + *next + "': " + why});
    return;
  }
  // aiohttp's rule: the n-th redirect fails when n reaches max_redirects.
  if (static_cast<int>(r.history.size()) >= t.opts->max_redirects) {
    finish(t, Error{ErrorKind::TooManyRedirects, 0,
                    "too many redirects (" + std::to_string(r.history.size()) + "), last to " + *next});
    return;
  }
  const int status = r.history.back().status;
  if ((status == 303 && t.req.method != "HEAD") || ((status == 301 || status == 302) && t.req.method == "POST")) {
    t.req.method = "GET";
    t.req.body.clear();
    drop_header(t.req.headers, "content-length");
  }
  if (parsed->origin != t.origin) {
    // Credentials are for the origin they were given to.
    drop_header(t.req.headers, "authorization");
    drop_header(t.req.headers, "cookie");
    t.origin = parsed->origin;
  }
  t.req.url = std::move(*next);
  r.status = 0;
  r.reason.clear();
  r.body.clear();
  curl_easy_reset(t.easy.get());
  if (!configure_attempt(t, curl_http_version(t))) return;  // the new URL may change scheme
  arm_idle_timer(t);
}

void Engine::fill_timings(Transfer& t, Response& r) const {
  CURL* e = t.easy.get();
  curl_off_t v = 0;
  if (curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &v) == CURLE_OK) r.timings.dns = secs(v);
  if (curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &v) == CURLE_OK) r.timings.connect = secs(v);
  if (curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &v) == CURLE_OK) r.timings.tls = secs(v);
  if (curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &v) == CURLE_OK) r.timings.first_byte = secs(v);
  if (curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &v) == CURLE_OK) r.timings.total = secs(v);
}

void Engine::finish_ok(Transfer& t) {
  if (t.stream) {
    t.stream->finish(Error{});
    if (!t.outcome_sent) deliver_head(t);  // no body callback came (HEAD, 204): head now
    release(t);
    return;
  }
  auto resp = std::move(t.resp);
  long version = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0: resp->http_version = "1.0"; break;
    case CURL_HTTP_VERSION_1_1: resp->http_version = "1.1"; break;
    case CURL_HTTP_VERSION_2_0: resp->http_version = "2"; break;
    case CURL_HTTP_VERSION_3: resp->http_version = "3"; break;
    default: break;
  }
  fill_timings(t, *resp);
  resp->attempts = t.attempts;
  resp->url = t.req.url;
  resp->method = t.req.method;
  Outcome o;
  o.id = t.id;
  o.response = std::move(resp);
  t.outcome_sent = true;
  deliver(t, std::move(o));
}

void Engine::deliver(Transfer& t, Outcome&& o) {
  // Release first: whoever sees the outcome must also see the slot and counters freed.
  std::shared_ptr<Mailbox> mailbox = t.mailbox;
  const RequestId batch = t.batch;
  const std::size_t index = t.index;
  // A hedged copy delivers only as the winner, or as the last one standing.
  const bool deliverable = t.group == 0 || settle_group(t, o);
  release(t);
  if (!deliverable) return;
  if (batch)
    batch_outcome(batch, index, std::move(o));
  else
    push_outcome(mailbox, std::move(o));
}

void Engine::push_outcome(const std::shared_ptr<Mailbox>& mb, Outcome&& o) {
  // The consumer's loop shares the CPU with this thread more often than not: signalled per
  // completion, it preempted the engine after each one and ran a loop pass for a single
  // outcome. Signals now go out once the events at hand are handled.
  if (!mb->push_deferred(std::move(o))) return;
  pending_wakes_.push_back(mb);
  schedule_round_end();
}

void Engine::flush_wakes() {
  std::vector<std::shared_ptr<Mailbox>> mbs;
  mbs.swap(pending_wakes_);
  for (auto& mb : mbs) mb->wake();
}

void Engine::deliver_head(Transfer& t) {
  if (t.on_head) t.on_head(t);
}

void Engine::finish(Transfer& t, Error error) {
  if (t.easy && t.state == Transfer::State::Active) curl_multi_remove_handle(multi_.get(), t.easy.get());
  if (t.stream && t.outcome_sent) {
    t.stream->finish(std::move(error));
  } else if (!t.outcome_sent) {
    if (t.stream) t.stream->finish(error);
    Outcome o;
    o.id = t.id;
    o.error = std::move(error);
    t.outcome_sent = true;
    deliver(t, std::move(o));
    return;
  }
  release(t);
}

void Engine::release(Transfer& t) {
  Pool* pool = t.pool;
  const bool was_active = t.state == Transfer::State::Active;
  if (t.state == Transfer::State::Queued) {
    pool->counters->queued.fetch_sub(1, std::memory_order_relaxed);
    stat_queued_.fetch_sub(1, std::memory_order_relaxed);
  }
  t.state = Transfer::State::Done;
  t.idle_timer.reset();
  t.pool_timer.reset();
  t.backoff_timer.reset();
  t.hedge_timer.reset();
  if (was_active) pool->on_finish(t.slot_origin, t.lane);
  if (t.easy) recycle_easy(std::move(t.easy));
  std::shared_ptr<Semaphore> permit = t.holds_permit ? t.opts->semaphore : nullptr;
  transfers_.erase(t.id);  // destroys t
  stat_in_flight_.store(transfers_.size());
  if (was_active && !stopping_) pump(*pool);
  if (permit && !stopping_) grant_permit(*permit);
}

// ---- timers owned by a transfer ---------------------------------------------------------

void Engine::arm_idle_timer(Transfer& t) {
  if (t.opts->read_timeout.count() <= 0) return;
  if (!t.idle_timer) t.idle_timer.emplace(io_);
  t.idle_timer->expires_at(t.last_activity + t.opts->read_timeout);
  const RequestId id = t.id;
  t.idle_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    Transfer& tr = *it->second;
    curl_off_t pre = 0;
    curl_easy_getinfo(tr.easy.get(), CURLINFO_PRETRANSFER_TIME_T, &pre);
    // Silence counts only once the request is on the wire; before that the connect
    // timeout is in charge. Activity since arming just moves the deadline.
    if (pre == 0 || Clock::now() < tr.last_activity + tr.opts->read_timeout) {
      if (pre == 0) tr.last_activity = Clock::now();
      arm_idle_timer(tr);
      return;
    }
    tr.idle_expired = true;
    finish(tr, Error{ErrorKind::ReadTimeout, 0,
                     "read timeout: no data for " + std::to_string(tr.opts->read_timeout.count()) +
                         " ms (" + tr.req.url + ")"});
  });
}

void Engine::arm_pool_timer(Transfer& t) {
  if (t.opts->pool_timeout.count() <= 0) return;
  t.pool_timer.emplace(io_);
  t.pool_timer->expires_after(t.opts->pool_timeout);
  const RequestId id = t.id;
  t.pool_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = transfers_.find(id);
    if (it == transfers_.end() || it->second->state != Transfer::State::Queued) return;
    finish(*it->second, Error{ErrorKind::PoolTimeout, 0,
                              "no connection slot free within the pool timeout (" + it->second->req.url + ")"});
  });
}

// ---- easy handle reuse ------------------------------------------------------------------

EasyPtr Engine::acquire_easy() {
  if (!idle_easy_.empty()) {
    EasyPtr e = std::move(idle_easy_.back());
    idle_easy_.pop_back();
    return e;
  }
  EasyPtr e(curl_easy_init());
  if (!e) throw std::bad_alloc();
  stat_easy_.fetch_add(1);
  return e;
}

void Engine::recycle_easy(EasyPtr easy) {
  // curl_easy_reset keeps CURLOPT_SHARE, and a share still attached to a handle refuses
  // curl_share_cleanup (CURLSHE_IN_USE): the closed session's sockets would leak. Detach
  // first; the connection stays in the share's cache for the session's next request.
  curl_easy_setopt(easy.get(), CURLOPT_SHARE, nullptr);
  curl_easy_reset(easy.get());
  if (idle_easy_.size() < kMaxIdleEasy && !stopping_) {
    idle_easy_.push_back(std::move(easy));
  } else {
    easy.reset();
    stat_easy_.fetch_sub(1);
  }
}

// ---- libcurl multi socket API on Asio ---------------------------------------------------

int Engine::on_socket(CURL*, curl_socket_t s, int what, void* self, void*) {
  auto& eng = *static_cast<Engine*>(self);
  if (what == CURL_POLL_REMOVE)
    eng.unwatch(s);
  else
    eng.watch(s, what);
  return 0;
}

int Engine::on_close_socket(void* self, curl_socket_t s) {
  auto& eng = *static_cast<Engine*>(self);
  eng.forget(s);
  eng.conn_fds_.erase(s);
  return ::close(s);
}

int Engine::on_sockopt(void* self, curl_socket_t s, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) static_cast<Engine*>(self)->conn_fds_.insert(s);
  return CURL_SOCKOPT_OK;
}

void Engine::watch(curl_socket_t s, int what) {
  auto& w = sockets_[s];
  if (!w) {
    // Any fd libcurl names is accepted, including ones it opened without us (the threaded
    // resolver's socketpair): ignoring those would stall name resolution.
    w = std::make_shared<SocketWatch>(io_, s);
    stat_sockets_.store(sockets_.size());
  }
  w->want = what;
  arm(w, s);
}

void Engine::unwatch(curl_socket_t s) {
  // libcurl drops a keep-alive connection's socket from the watch list after every transfer
  // and names it again on the next one. Parking it (registered, nothing armed) instead of
  // deregistering saves an epoll_ctl DEL + ADD and an allocation per request; a stray event
  // while parked finds want == 0 and is ignored, and libcurl checks the connection is alive
  // before reusing it.
  if (conn_fds_.contains(s)) {
    if (auto it = sockets_.find(s); it != sockets_.end()) it->second->want = 0;
    return;
  }
  forget(s);
}

void Engine::forget(curl_socket_t s) {
  auto it = sockets_.find(s);
  if (it == sockets_.end()) return;
  it->second->gone = true;
  it->second->desc.release();  // deregisters and cancels waits; curl still owns the fd
  sockets_.erase(it);
  stat_sockets_.store(sockets_.size());
}

void Engine::arm(const std::shared_ptr<SocketWatch>& w, curl_socket_t s) {
  if ((w->want & CURL_POLL_IN) && !w->read_armed) {
    w->read_armed = true;
    w->desc.async_wait(asio::posix::descriptor_base::wait_read,
                       [this, w, s](const boost::system::error_code& ec) {
                         w->read_armed = false;
                         if (ec || w->gone || !(w->want & CURL_POLL_IN)) return;
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

int Engine::on_timer(CURLM*, long timeout_ms, void* self) {
  auto& eng = *static_cast<Engine*>(self);
  if (timeout_ms < 0) {
    eng.curl_timer_.cancel();
  } else if (timeout_ms == 0) {
    // Never call back into libcurl from its own callback (forbidden since 7.81): post, and
    // coalesce a burst of "now" requests (one per added handle) into one action.
    if (!eng.timeout_posted_) {
      eng.timeout_posted_ = true;
      asio::post(eng.io_, [&eng] {
        if (!eng.timeout_posted_) return;  // flush_adds already ran it
        eng.timeout_posted_ = false;
        eng.socket_action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
  } else {
    eng.curl_timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    eng.curl_timer_.async_wait([&eng](const boost::system::error_code& ec) {
      if (!ec) eng.socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
  }
  return 0;
}

void Engine::socket_action(curl_socket_t s, int events) {
  if (!multi_) return;
  int running = 0;
  curl_multi_socket_action(multi_.get(), s, events, &running);
  drain_messages();
}

void Engine::arm_watchdog() {
  // A lost readiness event must never hang a request: once a second, let libcurl look at
  // every watched socket itself (events = 0) and at its timers.
  watchdog_.expires_after(kWatchdogPeriod);
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (!transfers_.empty()) {
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
