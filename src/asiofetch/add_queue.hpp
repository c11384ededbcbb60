// Configured easy handles waiting to join libcurl's multi, and the rule for when they join.
#pragma once

#include <cstddef>
#include <vector>

#include "asiofetch/outcome.hpp"  // RequestId

namespace asiofetch {

// Refills wait so that they leave as a burst the server reads in one wake-up (nginx woke
// once per request when each handle was added as its slot freed). They join at the round's
// end, or earlier, at the end of a socket event, once kBurst of them wait: a round may
// handle dozens of completions (one epoll_wait's worth), and holding every refill until the
// last one left the server idle while the client worked through them, then the client idle
// while the server answered them all (each core about half busy in a c100 batch).
//
// Engine thread only.
class AddQueue {
 public:
  // Handles that go out together at an event's end. Small enough that the server has work
  // again after a few completions, big enough to stay one server wake-up per burst.
  static constexpr std::size_t kBurst = 16;

  void push(RequestId id) { ids_.push_back(id); }
  std::size_t size() const noexcept { return ids_.size(); }
  // At a socket event's end: add the waiting handles now rather than at the round's end.
  bool burst_due() const noexcept { return ids_.size() >= kBurst; }
  // The waiting ids, in the order they were queued; the queue is empty afterwards. Give the
  // vector back with recycle() so a steady flow allocates nothing.
  std::vector<RequestId> take() noexcept {
    std::vector<RequestId> out;
    out.swap(ids_);
    return out;
  }
  void recycle(std::vector<RequestId>&& buf) noexcept {
    if (!ids_.empty() || buf.capacity() <= ids_.capacity()) return;
    buf.clear();
    ids_.swap(buf);
  }

 private:
  std::vector<RequestId> ids_;
};

}  // namespace asiofetch
