// The body of a streamed response: filled by the engine, drained by the consumer, bounded.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "asiofetch/error.hpp"
#include "asiofetch/outcome.hpp"

namespace asiofetch {

class Mailbox;

// Thread-safe: offer()/finish() run on the engine thread, read()/wait()/abort() on the
// consumer's. Backpressure: offer() refuses data once `high_water` bytes are buffered (the
// engine then pauses the transfer, and libcurl re-delivers the same bytes later); a read
// that brings the buffer under half of that calls `resume` so the engine un-pauses it.
class StreamBuffer {
 public:
  using Hook = std::function<void()>;  // posted to the engine; must not block

  StreamBuffer(std::size_t high_water, Hook resume, Hook abort);

  // Engine side.
  bool offer(std::string_view data);  // false: full, pause the transfer and retry later
  void finish(Error error);           // end of body (error.kind == None) or failure

  // Consumer side. read(): up to n bytes (all when n < 0); "" with at_eof() at the end;
  // nullopt when nothing is buffered yet.
  std::optional<std::string> read(std::ptrdiff_t n);
  // Arms a one-shot wake-up: `id` is pushed to `mailbox` once data or the end is there.
  void wait(std::shared_ptr<Mailbox> mailbox, RequestId id);
  void abort();  // the consumer left early: stop the transfer, end the stream quietly

  bool at_eof() const;
  std::size_t buffered() const;
  Error error() const;

 private:
  void wake_locked();

  const std::size_t high_water_;
  const Hook resume_;
  const Hook abort_;
  mutable std::mutex mutex_;
  std::deque<std::string> chunks_;   // guarded by mutex_
  std::size_t front_offset_ = 0;     // bytes of chunks_.front() already read
  std::size_t buffered_ = 0;
  bool paused_ = false;              // the engine refused data and waits for resume_
  bool finished_ = false;
  bool aborted_ = false;
  Error error_;
  std::weak_ptr<Mailbox> waiter_mailbox_;
  RequestId waiter_id_ = 0;
};

}  // namespace asiofetch
