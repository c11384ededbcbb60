// The engine's side of libcurl's multi: when configured handles join it, when finished ones leave.
#include <algorithm>
#include <cstdio>

#include "asiofetch/easy_info.hpp"
#include "asiofetch/engine.hpp"
#include "asiofetch/fault.hpp"

namespace asiofetch {

void Engine::queue_add(Transfer& t) {
  // Handles are not added one by one as slots free up: libcurl runs every expired handle on
  // each socket_action, so an added handle would send inside the next socket's action, one
  // request per server wake-up. They wait in adds_ and go out together (AddQueue's rule):
  // at the round's end, or once AddQueue::kBurst wait at a socket event's end.
  t.add_pending = true;
  adds_.push(t.id);
  delivery_.end_round_soon();
}

void Engine::on_event_end(void* self) {
  // Why adding and kicking here is safe: MultiDriver calls this only from a handler the
  // event loop itself runs, after curl_multi_socket_action returned and after the
  // curl_multi_info_read loop ended (every finished transfer of the event was handled). So
  // no libcurl call is on the stack (libcurl forbids re-entry from its callbacks), no
  // CURLMsg is held across the kick (a nested socket_action could otherwise invalidate the
  // message list an outer loop is walking), and no engine frame holds a Transfer& or a
  // Batch& that the kick's completions could erase. It is the same position as the round's
  // end. The kick goes through MultiDriver::kick(), which does not call this hook again.
  // The kick's own action may finish transfers (libcurl also runs the handles whose timers
  // expired), whose refills wait in turn: the loop adds those too, so no event ends with a
  // burst waiting. Each pass needs kBurst transfers that finished inside the last kick, i.e.
  // responses already here: work the next events would bring anyway, taken in this handler.
  auto& e = *static_cast<Engine*>(self);
  while (e.adds_.burst_due() && e.driver_.running()) e.flush_adds();
  const std::size_t left = e.adds_.size();
  if (left > e.stat_add_wait_max_.load(std::memory_order_relaxed))
    e.stat_add_wait_max_.store(left, std::memory_order_relaxed);
}

void Engine::flush_adds() {
  if (!driver_.running()) return;
  std::vector<RequestId> ids = adds_.take();
  bool added = false;
  for (RequestId id : ids) {
    guarded(id, [&] {
      auto it = transfers_.find(id);
      // Gone, or no longer waiting for this add (cancelled, failed, moved to a retry).
      if (it == transfers_.end() || !it->second->add_pending) return;
      Transfer& t = *it->second;
      t.add_pending = false;
      if (t.state != Transfer::State::Active || !t.easy) return;
      if (CURLMcode rc = driver_.add(t.easy.get()); rc != CURLM_OK) {
        finish(t, Error{ErrorKind::Other, 0, std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)});
        return;
      }
      added = true;
    });
  }
  adds_.recycle(std::move(ids));  // keep the buffer: no allocation per round
  // Start them all now, in this one action; the action the timer callback posted for them
  // then has nothing left to do and is skipped.
  if (added) driver_.kick();
}

void Engine::on_done(void* self, CURL* easy, CURLcode rc) {
  auto& e = *static_cast<Engine*>(self);
  Transfer* t = nullptr;
  try {
    fault::check(fault::Site::Done, 0);
    t = easy_info<Transfer*>(easy, CURLINFO_PRIVATE);
  } catch (const std::exception& err) {
    // libcurl refused its own handle's pointer (an engine bug). The request is found by its
    // handle instead, a scan on a path that should never run, so that it still ends once,
    // failing with that error, rather than waiting for a timeout it may not have.
    const auto it = std::find_if(e.transfers_.begin(), e.transfers_.end(),
                                 [easy](const auto& kv) { return kv.second->easy.get() == easy; });
    if (it != e.transfers_.end()) {
      e.fail_internal(it->first, std::current_exception());
      e.run_ready();
      return;
    }
    std::fprintf(stderr, "asiofetch: %s (a finished handle of no request)\n", err.what());
  }
  if (!t) {
    e.driver_.remove(easy);  // not ours: never leave a finished handle in the multi
    return;
  }
  e.guarded(t->id, [&] { e.attempt_done(*t, rc); });
}

}  // namespace asiofetch
