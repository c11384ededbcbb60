// How a request ends on the engine thread: its head handed over (then its body streams),
// its whole response, or its error, and the slot and counters given back.
#include <cstdint>
#include <memory>
#include <string>

#include "asiofetch/content_decoder.hpp"
#include "asiofetch/easy_info.hpp"
#include "asiofetch/easy_setup.hpp"
#include "asiofetch/engine.hpp"
#include "asiofetch/stream_buffer.hpp"
#include "asiofetch/upload_source.hpp"

namespace asiofetch {

void Engine::promote(Transfer& t) {
  const RequestId id = t.id;
  // The consumer may hold the stream after the engine is gone (interpreter exit).
  std::weak_ptr<Engine> self = weak_from_this();
  t.stream = std::make_shared<StreamBuffer>(
      t.opts->stream_high_water,
      [self, id] { if (auto e = self.lock()) e->enqueue(cmd::Resume{id}); },
      [self, id] { if (auto e = self.lock()) e->enqueue(cmd::Cancel{id}); });
  t.stream->start(std::move(t.decoder), BodyLimits{t.opts->max_body_size, t.opts->max_decompressed_size},
                  std::move(t.resp->body), t.raw_bytes, t.paused);
  t.paused = false;  // the stream owns the pause state from here
  t.resp->body.clear();
  delivery_.head(t);
}

void Engine::promote_heads() {
  for (RequestId id : delivery_.take_heads_due()) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    Transfer& t = *it->second;
    if (t.outcome_sent || t.stream || t.state != Transfer::State::Active || !t.headers_done || t.follow ||
        t.hold_head)
      continue;
    guarded(id, [&] { promote(t); });
  }
}

void Engine::finish_ok(Transfer& t) {
  if (t.stream) {
    t.stream->finish(Error{}, total_time(t.easy.get()));
    if (!t.outcome_sent) delivery_.head(t);  // no body callback came (HEAD, 204): head now
    release(t);
    return;
  }
  if (t.decoder) {
    // What the decoder still holds: within the mark it travels with the head (the fast
    // path); beyond it, the rest streams.
    const bool bounded = t.opts->stream && !t.hold_head;
    if (!t.decode_into_body(bounded ? t.opts->stream_high_water : SIZE_MAX)) {
      finish(t, std::move(*t.body_error));
      return;
    }
    if (bounded && t.decoder->has_more()) {
      promote(t);
      t.stream->finish(Error{}, total_time(t.easy.get()));
      release(t);
      return;
    }
    try {
      t.decoder->finish();
    } catch (const DecodeError& e) {
      finish(t, Error{ErrorKind::PayloadIncomplete, 0,
                      "Can not decode content-encoding: " + t.decoder->encoding() + " (" + e.what() + ")"});
      return;
    }
    t.decoder.reset();
  }
  auto resp = std::move(t.resp);
  read_response_info(t.easy.get(), *resp);
  if (curl_http_version(t) == CURL_HTTP_VERSION_2TLS) t.pool->note_protocol(t.origin, resp->http_version == "2");
  resp->attempts = t.attempts;
  resp->url = t.req.url;
  resp->method = t.req.method;
  resp->raw_bytes = t.raw_bytes;
  resp->high_water = t.opts->stream_high_water;
  Outcome o;
  o.id = t.id;
  o.response = std::move(resp);
  t.outcome_sent = true;
  deliver(t, std::move(o));
}

void Engine::finish(Transfer& t, Error error) {
  if (t.easy && t.state == Transfer::State::Active) driver_.remove(t.easy.get());
  if (!t.outcome_sent && !t.stream && t.opts->stream && t.headers_done && !t.follow && !t.hold_head &&
      t.resp->status > 0 && error.kind != ErrorKind::Cancelled && error.kind != ErrorKind::SessionClosed) {
    // The head is complete, so it is the response and the failure is its body's: the
    // caller sees it from read(), as with aiohttp, after the bytes that did arrive.
    t.decoder.reset();
    promote(t);
  }
  if (t.stream && t.outcome_sent) {
    t.stream->finish(std::move(error), total_time(t.easy.get()));
  } else if (!t.outcome_sent) {
    if (t.stream) t.stream->finish(error, total_time(t.easy.get()));
    Outcome o;
    o.id = t.id;
    o.error = std::move(error);
    t.outcome_sent = true;
    deliver(t, std::move(o));
    return;
  }
  release(t);
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
    delivery_.push(mailbox, std::move(o));
}

void Engine::release(Transfer& t) {
  Pool* pool = t.pool;
  const bool was_active = t.state == Transfer::State::Active;
  scheduler_.leave(t);
  t.state = Transfer::State::Done;
  t.idle_timer.reset();
  t.backoff_timer.reset();
  t.hedge_timer.reset();
  if (t.easy) easy_.recycle(std::move(t.easy), !stopping_);
  if (t.req.upload) t.req.upload->detach();  // the feeder stops: nothing reads any more
  std::shared_ptr<Semaphore> permit = t.holds_permit ? t.opts->semaphore : nullptr;
  transfers_.erase(t.id);  // destroys t
  stat_in_flight_.store(transfers_.size());
  if (!stopping_) scheduler_.after_release(*pool, was_active, permit.get());
}

}  // namespace asiofetch
