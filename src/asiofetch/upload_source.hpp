// The body of a streamed upload: fed by the caller in chunks, drained by libcurl, bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "asiofetch/outcome.hpp"

namespace asiofetch {

class Mailbox;

// Thread-safe: push()/close()/fail()/wait() run on the feeder's thread (Python's loop),
// read()/set_resume()/detach() on the engine thread. Backpressure: push() refuses a chunk
// once taking it would put more than `high_water` bytes in the queue (an empty queue takes
// any chunk, so the caller keeps chunks at most high_water long and the queue never holds
// more); the feeder then waits (wait()) until the reader has brought the queue down to half
// of that. The reader side never blocks: an empty queue answers Pause and the next push()
// calls the resume hook (which posts an un-pause to the engine).
//
// Replay: a source made `replayable` (its feeder can produce the same bytes again: a seekable
// file, a multipart of such parts) may be rewound by the engine before a retry. The queue is
// dropped and every feeder call answers Rewound until the feeder calls restart() and feeds
// from the start again; a feeder that already closed waits for that with wait_end().
class UploadSource {
 public:
  using Hook = std::function<void()>;  // posted to the engine; must not block

  enum class Push : std::uint8_t {
    Accepted,
    Full,    // nothing taken: wait(), then push the same chunk again
    Closed,  // the transfer no longer reads (finished, failed, redirected to GET): stop feeding
    Rewound,  // the engine retries: restart() and feed the body again from its start
  };
  struct Read {
    enum class Kind : std::uint8_t { Data, End, Pause, Abort } kind;
    std::size_t n = 0;  // bytes written to the caller's buffer (Data only)
  };

  // size: the body's length when known up front (sent as Content-Length), -1 when not (the
  // body goes chunked on HTTP/1.1).
  explicit UploadSource(std::size_t high_water, std::int64_t size = -1, bool replayable = false);

  // Feeder side.
  Push push(std::string chunk);
  void close();                    // end of body: the reader sees End once the queue is empty
  void fail(std::string message);  // the feeder failed: the reader aborts the transfer
  // Arms a one-shot wake-up: `id` is pushed to `mailbox` once push() may succeed again (the
  // queue is at or below half the high-water mark) or the reader is gone.
  void wait(std::shared_ptr<Mailbox> mailbox, RequestId id);
  // After close(): `id` is pushed once the engine rewinds (replay) or detaches (the end).
  void wait_end(std::shared_ptr<Mailbox> mailbox, RequestId id);
  bool rewound() const;  // a rewind the feeder has not restart()ed from yet
  void restart();        // the feeder starts over from the body's first byte

  // Engine side.
  void set_resume(Hook resume);       // before the transfer starts reading
  Read read(char* buf, std::size_t n);
  void detach();                      // the transfer is over: drop the queue, release the feeder
  // Before a retry: false (nothing done) unless replayable and not detached.
  bool rewind();
  bool replayable() const noexcept { return replayable_; }

  std::size_t high_water() const noexcept { return high_water_; }
  std::int64_t size() const noexcept { return size_; }
  std::size_t buffered() const;
  std::size_t peak() const;           // the most bytes ever queued at once
  std::uint64_t total_read() const;   // bytes handed to the reader so far
  bool detached() const;
  // The whole body went to the reader (closed and drained) or the transfer stopped reading:
  // nothing of the request is left to send.
  bool drained() const;
  std::string failure() const;        // the feeder's message, "" unless fail() was called

 private:
  void wake_locked();

  const std::size_t high_water_;
  const std::int64_t size_;
  const bool replayable_;
  mutable std::mutex mutex_;
  Hook resume_;                      // guarded by mutex_; copied out and called unlocked
  std::deque<std::string> chunks_;   // guarded by mutex_ (as is every member below)
  std::size_t front_offset_ = 0;     // bytes of chunks_.front() already read
  std::size_t buffered_ = 0;
  std::size_t peak_ = 0;
  std::uint64_t total_read_ = 0;
  bool reader_paused_ = false;       // read() answered Pause: the next push/close/fail resumes
  bool closed_ = false;
  bool detached_ = false;
  std::string failure_;
  std::weak_ptr<Mailbox> waiter_mailbox_;
  RequestId waiter_id_ = 0;
  bool waiter_for_end_ = false;      // the waiter wants the end or a rewind, not queue room
  std::uint32_t generation_ = 0;     // bumped by rewind()
  std::uint32_t feeder_generation_ = 0;  // the generation the feeder is feeding (restart())
};

}  // namespace asiofetch
