// A request's attempt as libcurl options (every setopt checked), and the cache of easy handles.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <vector>

#include "asiofetch/curl_handles.hpp"
#include "asiofetch/error.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

class MultiDriver;

// CURLOPT_HTTP_VERSION for the transfer's current URL: anything but 1.1 may multiplex.
long curl_http_version(const Transfer& t) noexcept;

// Engine thread. Sets every option of the attempt on t.easy (acquired by the caller) for
// t.req and t.opts. Returns an error, and sets nothing more, when an option is refused (the
// message names it) or when the total timeout is already spent.
std::optional<Error> configure_easy(Transfer& t, long version, MultiDriver& driver);

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
// Engine thread: seconds from the start to the first byte, when libcurl knows it.
std::optional<double> first_byte_time(CURL* easy);

// Engine thread only, except count(). Finished handles are reset and kept for the next
// request (libcurl keeps their buffers, DNS and TLS state warm), up to kMaxIdle.
class EasyCache {
 public:
  static constexpr std::size_t kMaxIdle = 256;  // above this, finished handles are freed

  EasyPtr acquire();                   // throws std::bad_alloc when curl_easy_init fails
  void recycle(EasyPtr easy, bool keep);  // keep = false: free it (the engine is stopping)
  void clear();
  std::size_t count() const noexcept { return count_.load(std::memory_order_relaxed); }  // any thread

 private:
  std::vector<EasyPtr> idle_;           // engine thread only
  std::atomic<std::size_t> count_{0};   // created and not yet cleaned up (idle ones included)
};

}  // namespace asiofetch
