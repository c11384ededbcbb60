// A native batch: many requests, one await; the engine launches them under a concurrency bound.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "asiofetch/mailbox.hpp"
#include "asiofetch/outcome.hpp"
#include "asiofetch/request.hpp"

namespace asiofetch {

using SessionId = std::uint64_t;

struct BatchItem {
  Request req;
  std::string origin;                          // scheme://host:port, from parse_http_url
  std::shared_ptr<const RequestOptions> opts;
};

// Built on the caller's thread, then owned by the engine thread alone. No Python runs between
// the batch's requests: finishing one launches the next right there on the engine thread.
struct Batch {
  RequestId id = 0;
  SessionId session = 0;
  std::shared_ptr<Mailbox> mailbox;

  std::deque<BatchItem> pending;   // not launched yet; pending.front() has index `next_index`
  std::size_t next_index = 0;
  std::size_t total = 0;           // items received so far
  std::size_t concurrency = 0;     // most requests of this batch in flight at once, 0 = no bound
  bool fail_fast = false;          // the first failure cancels the rest (gather's default)
  bool streaming = false;          // as_completed: each outcome is delivered as it finishes
  bool input_closed = true;        // streaming: more items may still be fed
  std::chrono::milliseconds deadline{0};  // whole batch, from submission; 0 = none

  RequestId progress_id = 0;       // 0: no progress notes
  std::chrono::milliseconds progress_every{100};

  // Engine thread state.
  std::size_t in_flight = 0, done = 0, failed = 0;
  int busy = 0;                    // re-entrancy guard: launching or aborting may finish requests
                                   // at once; completion waits until the outer call is done
  std::optional<Error> abort;      // set once: items not yet finished end with this error
  bool cancelled = false;          // the awaiting task went away: deliver nothing
  Outcomes results;                // gather: by input index
  std::size_t first_error = kNoIndex;
  std::optional<boost::asio::steady_timer> deadline_timer;
  std::chrono::steady_clock::time_point last_progress{};
};

}  // namespace asiofetch
