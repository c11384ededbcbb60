// The engine's batches: launching a batch's requests, collecting outcomes, aborting, progress.
#include "asiofetch/engine.hpp"

namespace asiofetch {

void Engine::handle(cmd::SubmitBatch& c) {
  const RequestId id = c.b->id;
  if (!pools_.count(c.b->session)) {
    delivery_.fail(c.b->mailbox, id, Error{ErrorKind::SessionClosed, 0, "session is closed"});
    return;
  }
  try {
    batches_.emplace(id, nullptr);
  } catch (...) {
    // Never registered, so nothing else will answer it.
    delivery_.fail(c.b->mailbox, id, Error{ErrorKind::Other, 0, "asiofetch engine internal error: out of memory"});
    return;
  }
  Batch& b = *(batches_[id] = std::move(c.b));
  if (!b.streaming) b.results.resize(b.total);
  b.last_progress = Clock::now();
  if (b.deadline.count() > 0) {
    b.deadline_timer.emplace(io_);
    b.deadline_timer->expires_after(b.deadline);
    b.deadline_timer->async_wait([this, id](const boost::system::error_code& ec) {
      if (ec) return;
      guarded(id, [&] {
        auto it = batches_.find(id);
        if (it == batches_.end()) return;
        abort_batch(*it->second, Error{ErrorKind::TotalTimeout, 0, "batch deadline exceeded"});
        maybe_complete(*it->second);
      });
    });
  }
  launch(b);
  maybe_complete(b);
}

void Engine::handle(cmd::FeedBatch& c) {
  auto it = batches_.find(c.id);
  if (it == batches_.end()) return;  // over already (cancelled, deadline, session closed)
  Batch& b = *it->second;
  b.total += c.items.size();
  for (auto& item : c.items) b.pending.push_back(std::move(item));
  if (c.close) b.input_closed = true;
  if (b.abort) {
    Error e = *b.abort;
    b.abort.reset();
    abort_batch(b, std::move(e));  // fails the new items the same way
  }
  launch(b);
  maybe_complete(b);
}

void Engine::launch(Batch& b) {
  if (b.busy) return;
  ++b.busy;
  while (!b.abort && !b.pending.empty() && (b.concurrency == 0 || b.in_flight < b.concurrency)) {
    BatchItem item = std::move(b.pending.front());
    b.pending.pop_front();
    auto t = std::make_unique<Transfer>();
    t->id = Engine::next_id();
    t->session = b.session;
    t->req = std::move(item.req);
    t->origin = std::move(item.origin);
    t->opts = std::move(item.opts);
    t->mailbox = b.mailbox;
    t->batch = b.id;
    t->index = b.next_index++;
    ++b.in_flight;
    register_transfer(t);  // may finish at once: batch_outcome sees busy and defers
  }
  --b.busy;
}

void Engine::batch_outcome(RequestId batch_id, std::size_t index, Outcome&& o) {
  auto it = batches_.find(batch_id);
  if (it == batches_.end()) return;
  Batch& b = *it->second;
  --b.in_flight;
  ++b.done;
  const bool failed = static_cast<bool>(o.error);
  if (failed) {
    ++b.failed;
    if (b.fail_fast && b.first_error == kNoIndex && o.error.kind != ErrorKind::Cancelled) b.first_error = index;
  }
  if (b.streaming) {
    if (!b.cancelled) {
      o.id = b.id;
      o.index = index;
      delivery_.push(b.mailbox, std::move(o));
    }
  } else {
    b.results[index] = std::move(o);
  }
  if (failed && b.fail_fast && !b.abort)
    abort_batch(b, Error{ErrorKind::Cancelled, 0, "cancelled: another request of the batch failed"});
  note_progress(b, false);
  launch(b);
  maybe_complete(b);
}

void Engine::abort_batch(Batch& b, Error error) {
  if (b.abort) return;
  b.abort = error;
  ++b.busy;
  // Never launched: they end here without touching the network.
  while (!b.pending.empty()) {
    b.pending.pop_front();
    const std::size_t index = b.next_index++;
    ++b.done;
    ++b.failed;
    if (b.fail_fast && b.first_error == kNoIndex && error.kind != ErrorKind::Cancelled) b.first_error = index;
    if (b.streaming) {
      if (b.cancelled) continue;
      Outcome o;
      o.id = b.id;
      o.index = index;
      o.error = error;
      delivery_.push(b.mailbox, std::move(o));
    } else {
      b.results[index].error = error;
    }
  }
  // In flight: each ends through finish(), which reports back to batch_outcome.
  std::vector<RequestId> members;
  for (auto& [id, t] : transfers_)
    if (t->batch == b.id) members.push_back(id);
  for (RequestId id : members) {
    auto it = transfers_.find(id);
    if (it != transfers_.end()) finish(*it->second, error);
  }
  --b.busy;
}

void Engine::maybe_complete(Batch& b) {
  if (b.busy || b.in_flight > 0 || !b.pending.empty()) return;
  if (b.streaming && !b.input_closed && !b.abort) return;
  const RequestId id = b.id;
  if (!b.cancelled) {
    note_progress(b, true);
    Outcome o;
    o.id = id;
    if (b.streaming) {
      o.note = Outcome::Note::End;
      if (b.abort && b.abort->kind != ErrorKind::Cancelled) o.error = *b.abort;
    } else {
      o.batch = std::make_unique<Outcomes>(std::move(b.results));
      o.first_error = b.first_error;
    }
    delivery_.push(b.mailbox, std::move(o));
  }
  batches_.erase(id);  // destroys b
}

void Engine::note_progress(Batch& b, bool force) {
  if (!b.progress_id || b.cancelled) return;
  const auto now = Clock::now();
  if (!force && now - b.last_progress < b.progress_every) return;
  b.last_progress = now;
  Outcome o;
  o.id = b.progress_id;
  o.note = Outcome::Note::Progress;
  o.done = b.done;
  o.failed = b.failed;
  o.total = b.total;
  delivery_.push(b.mailbox, std::move(o));
}

}  // namespace asiofetch
