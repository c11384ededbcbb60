// A request's attempt as libcurl options (every setopt checked), and the cache of easy handles.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
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
