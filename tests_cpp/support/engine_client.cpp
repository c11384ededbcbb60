#include "support/engine_client.hpp"

#include <poll.h>

#include <algorithm>
#include <stdexcept>

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
  for (auto& o : mailbox_->take_all()) ready_[o.id] = std::move(o);
}

Outcome EngineClient::wait(RequestId id, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!ready_.count(id)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no outcome for request " + std::to_string(id));
    collect(left);
  }
  Outcome o = std::move(ready_[id]);
  ready_.erase(id);
  return o;
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
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return {};
}

}  // namespace asiofetch::testing
