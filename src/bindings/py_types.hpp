// The Python-visible wrappers shared between binding files, and their ownership rules.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "asiofetch/mailbox.hpp"
#include "asiofetch/rate_limit.hpp"
#include "asiofetch/retry.hpp"
#include "asiofetch/semaphore.hpp"
#include "asiofetch/request.hpp"
#include "asiofetch/response.hpp"
#include "asiofetch/stream_buffer.hpp"
#include "asiofetch/upload_source.hpp"

namespace asiofetch::py_bind {

namespace py = pybind11;

// Immutable once built: the engine keeps a shared_ptr for as long as requests use it.
struct PyOptions {
  std::shared_ptr<const RequestOptions> opts;
};

// Created, used and destroyed with the GIL held (it holds a py::object). The native mailbox
// is shared with the engine, which only ever pushes to it.
struct PyMailbox {
  std::shared_ptr<Mailbox> native = std::make_shared<Mailbox>();
  py::object make_error;
};

struct PyStream {
  std::shared_ptr<StreamBuffer> buf;
};

// A streamed request body: Python's feeder holds one reference, the request another.
struct PyUpload {
  std::shared_ptr<UploadSource> src;
};

// Flow-control objects: Python holds one reference, every Options that names it another.
struct PyRetry {
  std::shared_ptr<const RetryPolicy> policy;
};
struct PySemaphore {
  std::shared_ptr<Semaphore> sem;
};
struct PyRateLimit {
  std::shared_ptr<RateLimiter> limiter;
  double rate = 0, per = 0, burst = 0;  // as given, for Python's repr and attributes
};
// A hedge setting, checked once: copied into every Options that names it.
struct PyHedge {
  Millis after{0};
  int max_extra = 0;
};

// aiohttp's max_redirects=0 ("no limit") becomes this cap: a redirect loop must end.
inline constexpr int kMaxRedirectsUnlimited = 1000;
// Most extra copies one hedged request may start.
inline constexpr int kHedgeMaxExtra = 16;

struct PyRawResponse {
  std::unique_ptr<Response> r;
};

}  // namespace asiofetch::py_bind
