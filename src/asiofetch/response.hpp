// What the engine hands back for a finished request: status line, headers, body, timings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "asiofetch/request.hpp"

namespace asiofetch {

class StreamBuffer;

// Seconds from the start of the final attempt, as libcurl measures them (0 when not reached).
struct Timings {
  double dns = 0;          // name resolved
  double connect = 0;      // TCP connected
  double tls = 0;          // TLS handshake done (0 on cleartext)
  double first_byte = 0;   // first response byte
  double total = 0;        // transfer done
  double queued = 0;       // time spent waiting for a slot before the first attempt
};

// One response in a redirect chain (kept for aiohttp's `history`).
struct HopResponse {
  int status = 0;
  std::string reason;
  std::string url;
  std::string method;
  Headers headers;
};

// The hops of a chain that ended in an error (TooManyRedirects), with the chain's HTTP version.
struct RedirectTrail {
  std::string http_version;
  std::vector<HopResponse> hops;
};

struct Response {
  int status = 0;
  std::string reason;
  std::string http_version;  // "1.0", "1.1", "2", "3"
  std::string url;           // final URL after redirects
  std::string method;        // final method (a 303 turns POST into GET)
  Headers headers;           // in arrival order, duplicates kept
  std::string body;          // empty in stream mode: the body flows through `stream`
  std::vector<HopResponse> history;
  Timings timings;
  int attempts = 1;
  int hedge = 0;                 // which copy answered: 0 the original, n the n-th hedge
  std::uint64_t raw_bytes = 0;   // a whole body's bytes on the wire (before decoding)
  std::size_t high_water = 0;    // the request's stream pause mark (2 * read_bufsize)
  std::shared_ptr<StreamBuffer> stream;  // set only in stream mode
};

}  // namespace asiofetch
