#include "support/engine_client.hpp"

#include <poll.h>

#include <stdexcept>

#include "asiofetch/headers.hpp"
#include "asiofetch/url.hpp"

namespace asiofetch::testing {

EngineClient::EngineClient(PoolConfig cfg)
    : engine_(std::make_shared<Engine>()),
      counters_(std::make_shared<PoolCounters>()),
      session_(engine_->open_session(cfg, counters_)),
      mailbox_(std::make_shared<Mailbox>()) {}

EngineClient::~EngineClient() {
  engine_->stop();
}

SessionId EngineClient::open_session(PoolConfig cfg) {
  return engine_->open_session(cfg, std::make_shared<PoolCounters>());
}

RequestId EngineClient::submit(Request req, RequestOptions opts, SessionId session) {
  auto t = std::make_unique<Transfer>();
  std::string why;
  auto parsed = parse_http_url(req.url, why);
  if (!parsed) throw std::invalid_argument(req.url + ": " + why);
  t->origin = parsed->origin;
  t->req = std::move(req);
  t->id = Engine::next_id();
  t->session = session ? session : session_;
  t->opts = std::make_shared<RequestOptions>(std::move(opts));
  t->mailbox = mailbox_;
  RequestId id = t->id;
  engine_->submit(std::move(t));
  return id;
}

void EngineClient::collect(std::chrono::milliseconds limit) {
  pollfd p{mailbox_->fd(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return;
  for (auto& o : mailbox_->take_all()) ready_.emplace(o.id, std::move(o));
}

Outcome EngineClient::wait(RequestId id, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!ready_.count(id)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no outcome for request " + std::to_string(id));
    collect(left);
  }
  auto it = ready_.find(id);
  Outcome o = std::move(it->second);
  ready_.erase(it);
  return o;
}

namespace {
std::deque<BatchItem> to_items(std::vector<Request> reqs, const std::shared_ptr<const RequestOptions>& opts) {
  std::deque<BatchItem> items;
  for (auto& r : reqs) {
    std::string why;
    auto parsed = parse_http_url(r.url, why);
    if (!parsed) throw std::invalid_argument(r.url + ": " + why);
    items.push_back(BatchItem{std::move(r), parsed->origin, opts});
  }
  return items;
}
}  // namespace

RequestId EngineClient::submit_batch(std::vector<Request> reqs, std::shared_ptr<const RequestOptions> opts,
                                     std::size_t concurrency, bool fail_fast, std::chrono::milliseconds deadline,
                                     bool streaming, RequestId progress_id) {
  auto b = std::make_unique<Batch>();
  b->id = Engine::next_id();
  b->session = session_;
  b->mailbox = mailbox_;
  b->pending = to_items(std::move(reqs), opts);
  b->total = b->pending.size();
  b->concurrency = concurrency;
  b->fail_fast = fail_fast;
  b->deadline = deadline;
  b->streaming = streaming;
  b->input_closed = !streaming;
  b->progress_id = progress_id;
  b->progress_every = std::chrono::milliseconds(0);
  RequestId id = b->id;
  engine_->submit_batch(std::move(b));
  return id;
}

void EngineClient::feed_batch(RequestId id, std::vector<Request> reqs, std::shared_ptr<const RequestOptions> opts,
                              bool close) {
  engine_->feed_batch(id, to_items(std::move(reqs), opts), close);
}

std::vector<Outcome> EngineClient::wait_many(RequestId id, std::size_t min, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (ready_.count(id) < min) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    collect(left);
  }
  std::vector<Outcome> out;
  auto [b, e] = ready_.equal_range(id);
  for (auto it = b; it != e; ++it) out.push_back(std::move(it->second));
  ready_.erase(b, e);
  return out;
}

Outcome EngineClient::fetch(Request req, RequestOptions opts, SessionId session) {
  return wait(submit(std::move(req), std::move(opts), session));
}

Outcome EngineClient::get(const std::string& url, RequestOptions opts) {
  Request r;
  r.url = url;
  return fetch(std::move(r), std::move(opts));
}

std::string header(const Response& r, std::string_view name) {
  const std::string* v = find_header(r.headers, name);
  return v ? *v : std::string();
}

}  // namespace asiofetch::testing
