// The only code that puts outcomes into mailboxes: queued at once, consumers woken per round.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "asiofetch/mailbox.hpp"
#include "asiofetch/outcome.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

// The consumer's loop shares the CPU with the engine thread more often than not: signalled
// per completion, it preempted the engine after each one and ran a loop pass for a single
// outcome. So an outcome is queued at once and its mailbox is signalled when the round ends
// (once the events at hand are handled), one signal per mailbox per round.
//
// A round's end is one posted handler: it first runs `before_wakes` (the engine adds the
// round's new easy handles, so their requests are on the wire before a consumer runs), then
// signals the mailboxes owed a wake-up.
//
// Engine thread only, except the two static functions: refuse() and wake_waiter() signal at
// once, from any thread.
class Delivery {
 public:
  using RoundFn = void (*)(void* ctx);

  Delivery(boost::asio::io_context& io, RoundFn before_wakes, void* ctx);

  // Queues `o` for `mb`'s consumer and makes sure the round ends soon.
  void push(const std::shared_ptr<Mailbox>& mb, Outcome&& o);
  // An outcome that is just an error for `id`.
  void fail(const std::shared_ptr<Mailbox>& mb, RequestId id, Error error);
  // A streamed request's head (status, headers, timings, the body's StreamBuffer): the
  // transfer's outcome, sent before its body. Sets t.outcome_sent.
  void head(Transfer& t);
  // A streamed request's head is complete: at the round's end, before the wake-ups, the
  // engine takes these (take_heads_due) and hands over each head still unanswered with a
  // stream, so a body that completed within the round goes whole, in one outcome.
  void head_due(const Transfer& t);
  std::vector<RequestId> take_heads_due();
  // Posts the round's end unless it is posted already.
  void end_round_soon();
  // Signals every mailbox owed a wake-up now (shutdown: nothing may wait for a later round).
  void flush();

  // Any thread: the answer to a command the stopped engine will never run. Signalled at once.
  static void refuse(const std::shared_ptr<Mailbox>& mb, RequestId id);
  // Any thread: the one-shot wake-up a body's consumer armed (StreamBuffer::wait, a reader
  // waiting for data; UploadSource::wait, a writer waiting for room): an outcome holding only
  // `id`, signalled at once. It fires under the buffer's lock on whichever side made the
  // change, often the consumer's own thread, which has no engine round to wait for.
  static void wake_waiter(const std::shared_ptr<Mailbox>& mb, RequestId id);

 private:
  boost::asio::io_context& io_;  // the engine's; outlives this object
  const RoundFn before_wakes_;
  void* const ctx_;

  // Engine thread only.
  bool round_end_posted_ = false;
  std::vector<std::shared_ptr<Mailbox>> pending_wakes_;  // mailboxes owed a signal at round end
  std::vector<RequestId> heads_due_;  // streamed requests whose head completed this round
};

}  // namespace asiofetch
