// Every curl_easy_getinfo of the engine, checked, and what a finished or headed transfer measured.
#pragma once

#include <curl/curl.h>

#include <stdexcept>

#include "asiofetch/response.hpp"

namespace asiofetch {

// curl_easy_getinfo failed. libcurl refuses an info only for a bad handle, an info it does
// not have or a wrong result type: an engine bug, never the server's doing, so it is not
// ignored. Thrown on the engine thread, where the request's guard makes it that request's
// failure ("asiofetch engine internal error: curl_easy_getinfo(CURLINFO_...): <reason>").
class EasyInfoError : public std::runtime_error {
 public:
  EasyInfoError(CURLINFO info, CURLcode rc);
};

// Every curl_easy_getinfo of the engine goes through here (any thread that owns `easy`).
template <class T>
T easy_info(CURL* easy, CURLINFO info) {
  T value{};
  if (CURLcode rc = curl_easy_getinfo(easy, info, &value); rc != CURLE_OK) throw EasyInfoError(info, rc);
  return value;
}

// Engine thread: copies what libcurl measured (HTTP version, timings) into `r`.
void read_response_info(CURL* easy, Response& r);
// Engine thread: what libcurl measured up to the response head: dns, connect, tls and
// first_byte (a streamed response's timings when its head is handed over). Null: nothing.
void read_head_timings(CURL* easy, Timings& t);
// Engine thread: seconds from the start to now, or to the end once the transfer is done.
double total_time(CURL* easy);

}  // namespace asiofetch
