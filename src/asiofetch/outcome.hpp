// What the engine delivers to a mailbox: a response, an error, a batch, or a notification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "asiofetch/error.hpp"
#include "asiofetch/response.hpp"

namespace asiofetch {

using RequestId = std::uint64_t;
inline constexpr std::size_t kNoIndex = std::numeric_limits<std::size_t>::max();

struct Outcome;
using Outcomes = std::vector<Outcome>;

struct Outcome {
  RequestId id = 0;
  std::unique_ptr<Response> response;  // set on success
  Error error;                         // set on failure
  // Neither set and nothing below: a wake-up (stream data, semaphore granted); None in Python.

  std::size_t index = kNoIndex;        // a streamed batch's item: its position in the input
  std::unique_ptr<Outcomes> batch;     // a finished gather: one outcome per input, in order
  std::size_t first_error = kNoIndex;  // with `batch` under fail-fast: the item that failed

  enum class Note : std::uint8_t { None, Progress, End };
  Note note = Note::None;               // Progress: counts below; End: a streamed batch is over
  std::size_t done = 0, failed = 0, total = 0;
};

}  // namespace asiofetch
