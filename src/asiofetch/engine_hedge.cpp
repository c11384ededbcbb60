// Hedged copies of one request on the engine thread: the timer that launches the next
// copy, and which copy's outcome is delivered (the first response; an error only when no
// copy is left running).
#include <algorithm>
#include <memory>
#include <vector>

#include "asiofetch/engine.hpp"

namespace asiofetch {

void Engine::arm_hedge(Transfer& t) {
  auto git = groups_.find(t.group);
  if (git == groups_.end() || !may_hedge_again(git->second.launched, t.opts->hedge_max_extra)) return;
  t.hedge_timer.emplace(io_);
  t.hedge_timer->expires_after(t.opts->hedge_after);
  const RequestId id = t.id;
  t.hedge_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) guarded(id, [&] { launch_hedge(id); });
  });
}

void Engine::launch_hedge(RequestId id) {
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
  copy->mock = orig.mock;
  copy->copy = ++git->second.launched;
  git->second.members.push_back(copy->id);
  register_transfer(copy);
  if (auto again = transfers_.find(id); again != transfers_.end()) arm_hedge(*again->second);
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

}  // namespace asiofetch
