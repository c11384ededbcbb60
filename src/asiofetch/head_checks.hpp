// Response-head rules libcurl does not enforce: aiohttp's size limits and framing checks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "asiofetch/request.hpp"

namespace asiofetch {

// Sees every header line libcurl hands the transfer, in order, and refuses the head where
// aiohttp's parser answers 400: a duplicate or malformed Content-Length (libcurl keeps the
// last one and would read the body by it), a header name that is not a token, and the
// max_line_size / max_field_size / max_headers limits. The messages are aiohttp's.
// Owned by one Transfer, touched only on the engine thread.
class HeadChecks {
 public:
  // False: the head breaks a rule, reason() says which; the transfer must be aborted.
  bool line(std::string_view line, const HeadLimits& limits);
  const std::string& reason() const noexcept { return reason_; }
  bool failed() const noexcept { return !reason_.empty(); }
  void clear() noexcept;  // a new attempt

 private:
  bool fail(std::string why);
  bool status_line(std::string_view line, const HeadLimits& limits);
  bool field(std::string_view line, const HeadLimits& limits);

  std::size_t headers_ = 0;        // header lines of the current block
  std::size_t last_field_ = 0;     // name + value size of the last header (obs-fold adds to it)
  bool content_length_ = false;    // the current block had a Content-Length
  bool in_trailers_ = false;       // the block ended: later lines are trailers
  std::string reason_;             // set once, by the first broken rule
};

// Python's repr() of a bytes object, for messages that quote what the server sent.
std::string bytes_repr(std::string_view bytes);

}  // namespace asiofetch
