#include "asiofetch/delivery.hpp"

#include <boost/asio/post.hpp>

#include "asiofetch/easy_info.hpp"

namespace asiofetch {

Delivery::Delivery(boost::asio::io_context& io, RoundFn before_wakes, void* ctx)
    : io_(io), before_wakes_(before_wakes), ctx_(ctx) {}

void Delivery::push(const std::shared_ptr<Mailbox>& mb, Outcome&& o) {
  if (!mb->push_deferred(std::move(o))) return;  // closed, or a signal is pending or owed
  pending_wakes_.push_back(mb);
  end_round_soon();
}

void Delivery::fail(const std::shared_ptr<Mailbox>& mb, RequestId id, Error error) {
  Outcome o;
  o.id = id;
  o.error = std::move(error);
  push(mb, std::move(o));
}

void Delivery::head(Transfer& t) {
  Outcome o;
  o.id = t.id;
  auto head = std::make_unique<Response>();
  head->status = t.resp->status;
  head->reason = t.resp->reason;
  head->http_version = t.resp->http_version;
  head->headers = t.resp->headers;
  head->url = t.req.url;
  head->method = t.req.method;
  head->history = t.resp->history;
  head->timings = t.resp->timings;
  head->attempts = t.attempts;
  head->stream = t.stream;
  // The phases up to the head are known now; `total` waits for the body's end (the stream
  // carries it). Before, only first_byte was read here, and an h2 head that came before its
  // body showed tls = 0 (CI: test_h2_over_tls_via_alpn, about 1 run in 100).
  read_head_timings(t.easy.get(), head->timings);
  o.response = std::move(head);
  t.outcome_sent = true;
  push(t.mailbox, std::move(o));
}

void Delivery::head_due(const Transfer& t) {
  heads_due_.push_back(t.id);
  end_round_soon();
}

std::vector<RequestId> Delivery::take_heads_due() {
  std::vector<RequestId> out;
  out.swap(heads_due_);
  return out;
}

void Delivery::end_round_soon() {
  // Posted behind the handlers already queued, i.e. after the events at hand.
  if (round_end_posted_) return;
  round_end_posted_ = true;
  boost::asio::post(io_, [this] {
    round_end_posted_ = false;
    before_wakes_(ctx_);
    flush();
  });
}

void Delivery::flush() {
  std::vector<std::shared_ptr<Mailbox>> mbs;
  mbs.swap(pending_wakes_);
  for (auto& mb : mbs) mb->wake();
  if (pending_wakes_.empty() && pending_wakes_.capacity() == 0) {
    mbs.clear();
    pending_wakes_.swap(mbs);  // keep the buffer: no allocation per round
  }
}

void Delivery::refuse(const std::shared_ptr<Mailbox>& mb, RequestId id) {
  Outcome o;
  o.id = id;
  o.error = Error{ErrorKind::SessionClosed, 0, "the asiofetch engine has shut down"};
  mb->push(std::move(o));
}

void Delivery::wake_waiter(const std::shared_ptr<Mailbox>& mb, RequestId id) {
  Outcome o;
  o.id = id;
  mb->push(std::move(o));
}

}  // namespace asiofetch
