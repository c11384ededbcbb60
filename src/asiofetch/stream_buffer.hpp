// The body of a streamed response: filled by the engine, drained by the consumer, bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "asiofetch/content_decoder.hpp"
#include "asiofetch/error.hpp"
#include "asiofetch/outcome.hpp"

namespace asiofetch {

class Mailbox;

// Size bounds of one body; 0: no bound.
struct BodyLimits {
  std::uint64_t max_body = 0;     // bytes on the wire (compressed, when encoded)
  std::uint64_t max_decoded = 0;  // bytes after Content-Encoding decoding
};

// The error for a body over one of its limits (ErrorKind::PayloadIncomplete, a
// ClientPayloadError in Python). `decoded`: the decoded limit, else the wire limit.
Error body_limit_error(bool decoded, std::uint64_t limit);

// Thread-safe: offer()/finish()/start() run on the engine thread, read()/wait()/abort() on the
// consumer's. Backpressure counts DECODED bytes: offer() refuses data while `high_water`
// decoded bytes are buffered or compressed input is still undecoded (the engine then pauses
// the transfer, and libcurl re-delivers the same bytes later). Decoding runs in bounded steps
// on whichever side calls (at most `high_water` minus what is buffered), so the buffer never
// holds more than the mark plus one wire chunk. A read that brings it under half the mark
// with no input left to decode calls `resume` so the engine un-pauses the transfer.
class StreamBuffer {
 public:
  using Hook = std::function<void()>;  // posted to the engine; must not block
  enum class Offer : std::uint8_t { Taken, Full, Failed };

  StreamBuffer(std::size_t high_water, Hook resume, Hook abort);

  // Engine side, before the first offer(): the body's decoder (may be null), its limits,
  // what was received and decoded before the stream existed, and whether the transfer is
  // paused already (so the consumer's read resumes it).
  void start(std::unique_ptr<ContentDecoder> decoder, BodyLimits limits, std::string decoded,
             std::uint64_t raw_so_far, bool paused);
  Offer offer(std::string_view data);  // Full: pause and retry later; Failed: abort, see error()
  // End of body (error.kind == None) or failure; `total`: libcurl's total time by then, the
  // streamed response's timings["total"] (its head went out before it was known).
  void finish(Error error, double total = 0);

  // Consumer side. read(): up to n bytes (all buffered when n < 0); "" with at_eof() at the
  // end; nullopt when nothing is buffered yet.
  std::optional<std::string> read(std::ptrdiff_t n);
  // Arms a one-shot wake-up: `id` is pushed to `mailbox` once data or the end is there.
  void wait(std::shared_ptr<Mailbox> mailbox, RequestId id);
  void abort();  // the consumer left early: stop the transfer, end the stream quietly

  bool at_eof() const;
  std::size_t buffered() const;  // decoded bytes waiting for the consumer
  std::size_t high_water() const noexcept { return high_water_; }
  std::uint64_t raw_bytes() const;  // bytes received on the wire so far
  bool paused() const;              // the transfer waits for the consumer
  Error error() const;
  double total_time() const;  // `total` from finish(); 0 before the engine finished

 private:
  void wake_locked();
  bool ended_locked() const;  // nothing more will ever be buffered
  void pump_locked();         // decodes pending input while there is room
  void fail_locked(Error e);  // the body is bad: end it with `e` and stop the transfer
  bool push_locked(std::string chunk);  // false: over a limit (failed)

  const std::size_t high_water_;
  const Hook resume_;
  const Hook abort_;
  mutable std::mutex mutex_;
  // Everything below: guarded by mutex_.
  std::deque<std::string> chunks_;
  std::size_t front_offset_ = 0;     // bytes of chunks_.front() already read
  std::size_t buffered_ = 0;
  std::unique_ptr<ContentDecoder> decoder_;  // null: the body is not encoded
  BodyLimits limits_;
  std::uint64_t raw_total_ = 0;
  std::uint64_t decoded_total_ = 0;
  bool paused_ = false;              // the engine refused data and waits for resume_
  bool finished_ = false;            // no more input from the engine
  bool checked_ = false;             // the decoder's end-of-stream check ran
  bool aborted_ = false;
  bool failed_ = false;              // the body failed here (decoding, limits)
  double total_ = 0;
  Error error_;
  std::weak_ptr<Mailbox> waiter_mailbox_;
  RequestId waiter_id_ = 0;
};

}  // namespace asiofetch
