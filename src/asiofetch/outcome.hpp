// The one thing delivered per request id: a response, an error, or a bare wake-up.
#pragma once

#include <cstdint>
#include <memory>

#include "asiofetch/error.hpp"
#include "asiofetch/response.hpp"

namespace asiofetch {

using RequestId = std::uint64_t;

struct Outcome {
  RequestId id = 0;
  std::unique_ptr<Response> response;  // set on success
  Error error;                         // set on failure
  // Neither set: a wake-up (stream data ready, semaphore granted); the future gets None.
};

}  // namespace asiofetch
