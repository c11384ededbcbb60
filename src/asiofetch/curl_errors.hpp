// Maps a failed libcurl transfer to one of the engine's ErrorKinds, by code and by phase.
#pragma once

#include <curl/curl.h>

#include <string_view>

#include "asiofetch/error.hpp"

namespace asiofetch {

// What the transfer had reached when it failed: timeouts and disconnects mean different
// things before the connection is up, before the response head, and inside the body.
struct FailurePhase {
  bool connected = false;        // TCP (and TLS) done: the request could be sent
  bool got_status = false;       // a response status line arrived
  bool head_done = false;        // the final response's header block ended
  bool connect_deadline = false; // the connect timeout was the nearer deadline when it fired
  bool via_proxy = false;
};

Error map_curl_error(CURLcode code, const FailurePhase& phase, std::string_view detail,
                     std::string_view url);

}  // namespace asiofetch
