// One request's attempts on the engine thread: start, retry, redirect, read timeout (hedged
// copies: engine_hedge.cpp).
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cstdint>

#include "asiofetch/curl_errors.hpp"
#include "asiofetch/easy_info.hpp"
#include "asiofetch/engine.hpp"
#include "asiofetch/fault.hpp"
#include "asiofetch/headers.hpp"
#include "asiofetch/upload_source.hpp"
#include "asiofetch/url.hpp"

namespace asiofetch {

void Engine::register_transfer(std::unique_ptr<Transfer>& tp) {
  Transfer& t = *tp;
  auto pit = pools_.find(t.session);
  if (pit == pools_.end()) {
    Outcome o;
    o.id = t.id;
    o.error = Error{ErrorKind::SessionClosed, 0, "session is closed"};
    std::unique_ptr<Transfer> gone = std::move(tp);  // answered: nothing else may answer it
    if (gone->batch)
      batch_outcome(gone->batch, gone->index, std::move(o));
    else
      delivery_.push(gone->mailbox, std::move(o));
    return;
  }
  t.pool = pit->second.get();
  t.submitted_at = Clock::now();
  t.slot_origin = t.origin;
  if (!t.mock) t.mock = current_mock();  // a hedge copy keeps its original's
  const bool hedged = !t.req.upload && is_hedged(*t.opts, t.req, t.copy);  // a stream is one-shot
  // A retry, fallback or hedge starts over from here, not from a redirect hop.
  if (t.opts->retry || hedged || !t.req.fallback.empty()) t.original = t.req;
  transfers_.emplace(t.id, std::move(tp));
  stat_in_flight_.store(transfers_.size());
  if (hedged) {
    t.group = t.id;
    groups_[t.id].members.push_back(t.id);
  }
  scheduler_.admit(t);
}

void Engine::start(Transfer& t) {
  fault::check(fault::Site::Start, t.id);
  t.started_at = Clock::now();
  if (++t.attempts == 1) t.first_started = t.started_at;
  if (t.group && t.copy == 0 && !t.hedge_timer) arm_hedge(t);
  t.resp->timings.queued = std::chrono::duration<double>(t.started_at - t.submitted_at).count();
  if (t.opts->stream) t.head_to = &delivery_;
  if (t.req.upload) {
    const RequestId id = t.id;
    std::weak_ptr<Engine> self = weak_from_this();
    t.req.upload->set_resume([self, id] { if (auto e = self.lock()) e->enqueue(cmd::Resume{id}); });
  }
  if (!configure_attempt(t, curl_http_version(t))) return;
  arm_idle_timer(t);
}

bool Engine::configure_attempt(Transfer& t, long version) {
  if (!t.easy) t.easy = easy_.acquire();
  t.attempt_at = Clock::now();
  t.last_activity = t.attempt_at;
  t.headers_done = false;
  t.follow = false;
  t.errbuf[0] = '\0';
  t.callback_error.clear();
  t.head_checks.clear();
  t.requests_sent = 0;
  t.resend_refused = false;
  t.body_error.reset();
  t.decoder.reset();
  t.raw_bytes = 0;
  t.paused = false;
  t.fingerprint_got.reset();
  t.ended_at_head = false;
  // Batches and hedged copies have no Python to ask (the session refuses a resolver for them).
  if (t.opts->resolve_hook && !t.mock && !t.batch && !t.group && needs_resolve(t)) return true;
  if (t.mock && mock_begin(t)) return true;
  if (auto error = configure_easy(t, version, driver_)) {
    finish(t, std::move(*error));
    return false;
  }
  queue_add(t);
  return true;
}

AttemptState Engine::attempt_state(const Transfer& t) const {
  AttemptState s;
  s.attempts = t.attempts;
  s.has_original = t.original.has_value();
  if (t.original) s.method = t.original->method;
  s.outcome_sent = t.outcome_sent;
  s.closing = stopping_;
  if (t.batch) {
    auto bit = batches_.find(t.batch);
    s.batch_aborted = bit != batches_.end() && bit->second->abort;
  }
  s.first_started = t.first_started;
  return s;
}

void Engine::attempt_done(Transfer& t, CURLcode rc) {
  driver_.remove(t.easy.get());
  if (t.ended_at_head && rc == CURLE_WRITE_ERROR) rc = CURLE_OK;  // a 101: its head is the response
  if (t.body_error) {
    // The body failed here (decoding, a size limit): the request's error, never retried
    // (the same server would send the same body).
    finish(t, std::move(*t.body_error));
    return;
  }
  if (rc == CURLE_OK && !t.headers_done) {
    // libcurl ends a transfer whose head was cut by the close as a success; aiohttp's parser
    // raises ServerDisconnectedError for it.
    Error e{ErrorKind::ServerDisconnected, 0, "server disconnected before the end of the response head (" + t.req.url + ")",
            t.req.url};
    if (!try_again(t, &e)) finish(t, std::move(e));
    return;
  }
  if (rc == CURLE_OK) {
    if (t.follow) {
      follow_redirect(t);
      return;
    }
    if (try_again(t, nullptr)) return;
    finish_ok(t);
    return;
  }
  if (t.req.upload && rc == CURLE_ABORTED_BY_CALLBACK) {
    if (std::string why = t.req.upload->failure(); !why.empty()) {
      finish(t, Error{ErrorKind::Other, static_cast<int>(rc), "the request body failed: " + why, t.req.url});
      return;
    }
  }
  if (!t.callback_error.empty()) {
    finish(t, Error{ErrorKind::Other, static_cast<int>(rc), "asiofetch engine internal error: " + t.callback_error});
    return;
  }
  if (t.head_checks.failed()) {
    Error e{ErrorKind::BadResponse, static_cast<int>(rc), t.head_checks.reason(), t.req.url};
    if (!try_again(t, &e)) finish(t, std::move(e));
    return;
  }
  if (t.idle_expired) {
    Error e{ErrorKind::ReadTimeout, 0, "read timeout (" + t.req.url + ")"};
    if (!try_again(t, &e)) finish(t, std::move(e));
    return;
  }
  if (t.fingerprint_got) {
    auto to_hex = [](const std::string& raw) {
      static constexpr char digits[] = "0123456789abcdef";
      std::string out;
      for (unsigned char c : raw) out.append({digits[c >> 4], digits[c & 0xf]});
      return out;
    };
    Error e{ErrorKind::FingerprintMismatch, static_cast<int>(rc),
            "certificate fingerprint mismatch: got sha256 " +
                (t.fingerprint_got->empty() ? std::string("(no certificate)") : to_hex(*t.fingerprint_got)) + " (" +
                t.req.url + ")",
            t.fingerprint_peer.empty() ? t.req.url : t.fingerprint_peer};
    e.detail = t.opts->fingerprint + *t.fingerprint_got;  // expected, then got (error.hpp)
    finish(t, std::move(e));  // never retried: the same server presents the same certificate
    return;
  }
  if (t.resend_refused) {
    Error e{ErrorKind::ServerDisconnected, 0,
            "server disconnected: the reused connection closed before a response, and a " +
                t.req.method + " is not sent again unless a retry policy asks (" + t.req.url + ")"};
    if (!try_again(t, &e)) finish(t, std::move(e));
    return;
  }
  FailurePhase phase;
  phase.connected = easy_info<curl_off_t>(t.easy.get(), CURLINFO_PRETRANSFER_TIME_T) > 0;
  phase.got_status = t.resp->status > 0;
  phase.head_done = t.headers_done;
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

bool Engine::try_again(Transfer& t, const Error* error) {
  if (!t.opts->retry && t.req.fallback.empty() && (!t.original || t.original->fallback.empty())) return false;
  // A streamed body is sent again only when its feeder can replay it (rewind() says so).
  const std::shared_ptr<UploadSource> upload = t.original ? t.original->upload : t.req.upload;
  if (upload && !upload->replayable()) return false;
  const AttemptState s = attempt_state(t);
  const AttemptEnd end{error, t.resp->status, &t.resp->headers};
  if (auto wait = decide_retry(t.opts->retry.get(), s, end, Clock::now())) {
    if (upload && !upload->rewind()) return false;  // the feeder failed or the transfer ended
    suspend_attempt(t);
    t.req = *t.original;
    t.origin = t.slot_origin;
    const RequestId id = t.id;
    t.backoff_timer.emplace(io_);
    t.backoff_timer->expires_after(*wait);
    t.backoff_timer->async_wait([this, id](const boost::system::error_code& ec) {
      if (ec) return;
      guarded(id, [&] {
        auto it = transfers_.find(id);
        if (it != transfers_.end() && it->second->state == Transfer::State::Backoff) scheduler_.admit(*it->second);
      });
    });
    scheduler_.pump(*t.pool);
    return true;
  }
  if (!t.original || !decide_fallback(s, t.fallback_pos, t.original->fallback.size(), end)) return false;
  std::string why;
  auto parsed = parse_http_url(t.original->fallback[t.fallback_pos], why);
  if (!parsed) return false;  // validated at submit; kept as a guard
  if (upload && !upload->rewind()) return false;
  suspend_attempt(t);
  t.original->url = t.original->fallback[t.fallback_pos++];
  t.req = *t.original;
  t.origin = t.slot_origin = parsed->origin;
  t.attempts = 0;  // each URL gets the whole retry policy
  scheduler_.pump(*t.pool);
  scheduler_.admit(t);
  return true;
}

void Engine::suspend_attempt(Transfer& t) {
  // Give back what this attempt held, except the semaphore permit: the next attempt is the
  // same logical request. The rate limiter is asked again (one token per attempt).
  if (t.easy) driver_.remove(t.easy.get());  // no-op when already out
  t.idle_timer.reset();
  t.mock_play.reset();
  scheduler_.leave(t);
  t.state = Transfer::State::Backoff;
  if (t.easy) easy_.recycle(std::move(t.easy), !stopping_);
  t.resp = std::make_unique<Response>();
  t.stream.reset();
  t.decoder.reset();
  t.idle_expired = false;
}

void Engine::follow_redirect(Transfer& t) {
  Response& r = *t.resp;
  const std::string* location = redirect_target(r.headers);
  const int status = r.status;
  RedirectStep step = decide_redirect(t.req, t.origin, status, location, r.history.size() + 1, t.opts->max_redirects);
  HopResponse hop{r.status, r.reason, t.req.url, t.req.method, std::move(r.headers)};
  r.history.push_back(std::move(hop));
  r.headers.clear();
  if (step.error) {
    if (step.error->kind == ErrorKind::TooManyRedirects)
      step.error->trail = std::make_shared<RedirectTrail>(RedirectTrail{r.http_version, std::move(r.history)});
    finish(t, std::move(*step.error));
    return;
  }
  if (t.req.upload) {
    if (!step.to_get) {
      // 307/308 (and 301/302 of a non-POST) keep the body: a replayable stream is fed again
      // from its start, a one-shot one fails as aiohttp fails it (ClientPayloadError).
      if (!t.req.upload->rewind()) {
        finish(t, Error{ErrorKind::PayloadIncomplete, 0,
                        "Cannot follow redirect with a consumed request body. Use bytes, a "
                        "seekable file-like object, or set allow_redirects=False.",
                        step.url});
        return;
      }
    } else if (!t.original) {
      t.req.upload->detach();  // the redirected GET has no body: release the feeder
      t.req.upload.reset();
    } else {
      t.req.upload.reset();  // a retry starts from t.original, whose body is still wanted
    }
  }
  apply_redirect(t.req, t.origin, std::move(step), t.opts->session_authorization);
  r.status = 0;
  r.reason.clear();
  r.body.clear();
  curl_easy_reset(t.easy.get());
  if (!configure_attempt(t, curl_http_version(t))) return;  // the new URL may change scheme
  arm_idle_timer(t);
}

bool Engine::needs_resolve(Transfer& t) {
  auto key = connect_key(t.req.url);
  if (!key) return false;  // libcurl reports the bad URL itself
  const std::string prefix = *key + ":";
  for (const std::string& entry : t.req.connect_to)
    if (entry.compare(0, prefix.size(), prefix) == 0) return false;
  // Asked once per host:port of the request (redirect hops included); the transfer keeps its
  // slot and its easy handle while Python's resolver runs, and the total timeout keeps going.
  t.awaiting_resolve = true;
  Outcome o;
  o.id = t.id;
  o.error = Error{ErrorKind::ResolveNeeded, 0, *key, t.req.url};
  delivery_.push(t.mailbox, std::move(o));
  return true;
}

void Engine::handle(cmd::Resolved& c) {
  auto it = transfers_.find(c.id);
  if (it == transfers_.end() || !it->second->awaiting_resolve) return;  // cancelled meanwhile
  Transfer& t = *it->second;
  t.awaiting_resolve = false;
  for (std::string& entry : c.entries) t.req.connect_to.push_back(std::move(entry));
  if (!configure_attempt(t, curl_http_version(t))) return;
  if (!t.awaiting_resolve) arm_idle_timer(t);
}

void Engine::arm_idle_timer(Transfer& t) {
  if (t.opts->read_timeout.count() <= 0 || t.mock_play) return;  // a mocked attempt keeps its own
  if (!t.idle_timer) t.idle_timer.emplace(io_);
  t.idle_timer->expires_at(t.last_activity + t.opts->read_timeout);
  const RequestId id = t.id;
  t.idle_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    guarded(id, [&] {
      auto it = transfers_.find(id);
      if (it == transfers_.end()) return;
      Transfer& tr = *it->second;
      // No handle: the attempt ended (a retry's backoff) after this wait completed; as before
      // the check, that reads as "not on the wire yet".
      const curl_off_t pre = tr.easy ? easy_info<curl_off_t>(tr.easy.get(), CURLINFO_PRETRANSFER_TIME_T) : 0;
      // Silence counts only once the request is on the wire; before that the connect
      // timeout is in charge. Activity since arming just moves the deadline. Like aiohttp's
      // sock_read, any byte counts: a header line dribbled slower than the timeout reaches
      // no callback until it ends, but its socket shows the reads. Asked only when the
      // callbacks saw silence: last_read() walks the watched sockets.
      // Nor while the transfer is paused for a slow reader: the silence is ours (aiohttp
      // drops its read timer while the transport is paused, too).
      if (Clock::now() >= tr.last_activity + tr.opts->read_timeout)
        tr.last_activity = std::max(tr.last_activity, driver_.last_read(tr.easy.get()));
      // Nor while the request body is still being sent: aiohttp arms sock_read once the
      // body is written (a slow async generator is not a silent server).
      const bool waits_for_reader = tr.paused || (tr.stream && tr.stream->paused()) ||
                                    (tr.req.upload && !tr.req.upload->drained());
      if (pre == 0 || waits_for_reader || Clock::now() < tr.last_activity + tr.opts->read_timeout) {
        if (pre == 0 || waits_for_reader) tr.last_activity = Clock::now();
        arm_idle_timer(tr);
        return;
      }
      tr.idle_expired = true;
      finish(tr, Error{ErrorKind::ReadTimeout, 0,
                       "read timeout: no data for " + std::to_string(tr.opts->read_timeout.count()) + " ms (" +
                           tr.req.url + ")"});
    });
  });
}

}  // namespace asiofetch
