// asiofetch.testing on the engine thread: attempts answered by a MockTable instead of libcurl.
//
// The seam is the attempt: the scheduler, retry/fallback/hedge policy, redirects, timeouts and
// delivery run as for a network transfer; only the bytes come from a scripted answer, fed
// through the same Transfer header/body callbacks libcurl calls, and the attempt ends in the
// same attempt_done() a finished curl transfer reaches.
#include <boost/asio/post.hpp>
#include <algorithm>

#include "asiofetch/engine.hpp"
#include "asiofetch/mock_transport.hpp"

namespace asiofetch {

void Engine::install_mock(std::shared_ptr<MockTable> table) {
  std::lock_guard lock(mock_mutex_);
  mock_ = std::move(table);
  mock_on_.store(mock_ != nullptr, std::memory_order_release);
}

std::shared_ptr<MockTable> Engine::current_mock() const {
  // The common case, no router installed, costs one atomic load per request.
  if (!mock_on_.load(std::memory_order_acquire)) return nullptr;
  std::lock_guard lock(mock_mutex_);
  return mock_;
}

bool Engine::mock_begin(Transfer& t) {
  MockDecision d = t.mock->decide(t.req);
  if (d.kind == MockDecision::Kind::Passthrough) {
    t.mock_play.reset();
    return false;
  }
  t.mock_play = std::make_shared<MockPlay>(io_, ++mock_serial_);
  mock_apply(t, std::move(d));
  return true;
}

void Engine::mock_apply(Transfer& t, MockDecision d) {
  MockPlay& p = *t.mock_play;
  switch (d.kind) {
    case MockDecision::Kind::Passthrough:
      mock_passthrough(t);
      return;
    case MockDecision::Kind::AskPython:
      mock_ask(t, d.route);
      return;
    case MockDecision::Kind::Unmatched: {
      auto a = std::make_shared<MockAnswer>();
      a->error = Error{ErrorKind::Other, 0, std::move(d.message), t.req.url};
      d.answer = std::move(a);
      break;
    }
    case MockDecision::Kind::Answer:
      break;
  }
  p.answer = std::move(d.answer);
  p.step = MockPlay::Step::Head;
  mock_schedule(t, p.answer->head_delay);
}

void Engine::mock_ask(Transfer& t, std::size_t route) {
  MockPlay& p = *t.mock_play;
  p.step = MockPlay::Step::Waiting;
  p.route = route;
  MockJob job;
  job.route = route;
  job.call = MockCall{t.req.method, t.req.url, t.req.headers, t.req.body};
  // Called on Python's thread (or here, when the table is closed): back to the engine thread.
  std::weak_ptr<Engine> self = weak_from_this();
  job.reply = [self, id = t.id, serial = p.serial](bool matched, std::shared_ptr<const MockAnswer> a) {
    auto e = self.lock();
    if (!e) return;
    boost::asio::post(e->io_, [self, id, serial, matched, a = std::move(a)]() mutable {
      if (auto en = self.lock()) en->guarded(id, [&] { en->mock_replied(id, serial, matched, std::move(a)); });
    });
  };
  t.mock->post(std::move(job));
}

void Engine::mock_replied(RequestId id, std::uint64_t serial, bool matched, std::shared_ptr<const MockAnswer> a) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  if (!t.mock_play || t.mock_play->serial != serial || t.mock_play->step != MockPlay::Step::Waiting) return;
  const std::size_t route = t.mock_play->route;
  if (matched) {
    if (auto answer = t.mock->accept(route, t.req, std::move(a))) {
      MockDecision d;
      d.kind = MockDecision::Kind::Answer;
      d.answer = std::move(answer);
      mock_apply(t, std::move(d));
      return;
    }
  }
  mock_apply(t, t.mock->decide(t.req, route + 1));
}

void Engine::mock_passthrough(Transfer& t) {
  // The tail of configure_attempt() and start(): the attempt goes to the network after all.
  t.mock_play.reset();
  if (auto error = configure_easy(t, curl_http_version(t), driver_)) {
    finish(t, std::move(*error));
    return;
  }
  queue_add(t);
  arm_idle_timer(t);
}

void Engine::mock_schedule(Transfer& t, Millis delay) {
  MockPlay& p = *t.mock_play;
  const auto due = Clock::now() + delay;
  auto wake = due;
  const RequestOptions& o = *t.opts;
  if (o.total_timeout.count() > 0) wake = std::min(wake, t.started_at + o.total_timeout);
  if (o.read_timeout.count() > 0) wake = std::min(wake, t.last_activity + o.read_timeout);
  p.timer.expires_at(wake);
  p.timer.async_wait([this, id = t.id, serial = p.serial, due](const boost::system::error_code& ec) {
    if (!ec) guarded(id, [&] { mock_wake(id, serial, due); });
  });
}

void Engine::mock_wake(RequestId id, std::uint64_t serial, Clock::time_point due) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  if (!t.mock_play || t.mock_play->serial != serial || t.state != Transfer::State::Active) return;
  const auto now = Clock::now();
  if (now < due) {  // a deadline came first
    const RequestOptions& o = *t.opts;
    if (o.total_timeout.count() > 0 && now >= t.started_at + o.total_timeout) {
      mock_fail(t, Error{ErrorKind::TotalTimeout, CURLE_OPERATION_TIMEDOUT, "total timeout (" + t.req.url + ")"});
      return;
    }
    if (o.read_timeout.count() > 0 && now >= t.last_activity + o.read_timeout) {
      t.idle_expired = true;
      mock_fail(t, Error{ErrorKind::ReadTimeout, 0,
                         "read timeout: no data for " + std::to_string(o.read_timeout.count()) + " ms (" +
                             t.req.url + ")"});
      return;
    }
    mock_schedule(t, std::chrono::duration_cast<Millis>(due - now) + Millis(1));
    return;
  }
  mock_step(t);
}

void Engine::mock_step(Transfer& t) {
  MockPlay& p = *t.mock_play;
  const std::shared_ptr<const MockAnswer> keep = p.answer;  // attempt_done may replace the play
  const MockAnswer& a = *keep;
  if (p.step == MockPlay::Step::Head) {
    if (a.error && !a.error_after_body) {
      mock_fail(t, a.error);
      return;
    }
    std::string line = "HTTP/1.1 " + std::to_string(a.status);
    if (!a.reason.empty()) line += " " + a.reason;
    line += "\r\n";
    auto feed = [&t](std::string& l) { return Transfer::on_header(l.data(), 1, l.size(), &t) == l.size(); };
    bool ok = feed(line);
    for (const auto& [k, v] : a.headers) {
      if (!ok) break;
      line = k + ": " + v + "\r\n";
      ok = feed(line);
    }
    line = "\r\n";
    if (!ok || !feed(line)) {
      attempt_done(t, CURLE_WRITE_ERROR);
      return;
    }
    if (t.follow) {  // a redirect we follow: its body is never read
      attempt_done(t, CURLE_OK);
      return;
    }
    p.step = t.req.method == "HEAD" ? MockPlay::Step::End : MockPlay::Step::Body;
  }
  while (p.step == MockPlay::Step::Body && p.chunk < a.chunks.size()) {
    const auto& [delay, data] = a.chunks[p.chunk];
    if (delay.count() > 0 && !p.delay_done) {
      p.delay_done = true;
      mock_schedule(t, delay);
      return;
    }
    if (!data.empty()) {
      const std::size_t n = Transfer::on_body(const_cast<char*>(data.data()), 1, data.size(), &t);
      if (n == CURL_WRITEFUNC_PAUSE) {  // the stream is full: the same bytes again on Resume
        p.paused = true;
        return;
      }
      if (n != data.size()) {
        attempt_done(t, CURLE_WRITE_ERROR);
        return;
      }
    }
    p.delay_done = false;
    ++p.chunk;
  }
  p.step = MockPlay::Step::End;
  if (a.error) {
    mock_fail(t, a.error);
    return;
  }
  attempt_done(t, CURLE_OK);
}

void Engine::mock_resume(Transfer& t) {
  if (!t.mock_play || !t.mock_play->paused) return;
  t.mock_play->paused = false;
  mock_step(t);
}

void Engine::mock_fail(Transfer& t, Error e) {
  if (e.url.empty()) e.url = t.req.url;
  if (!try_again(t, &e)) finish(t, std::move(e));
}

}  // namespace asiofetch
