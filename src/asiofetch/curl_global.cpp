#include <mutex>
#include <stdexcept>

#include "asiofetch/curl_handles.hpp"

#ifdef ASIOFETCH_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace asiofetch {

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef ASIOFETCH_WITH_MIMALLOC
    // libcurl allocates and frees a few dozen small blocks per request on the engine thread
    // (URL parts, header lines, printf buffers); mimalloc's thread-local free lists make that
    // far cheaper than glibc's arenas. If another library in the process initialised libcurl
    // first, this call keeps that library's allocator: still consistent, only slower.
    CURLcode rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, mi_malloc, mi_free, mi_realloc,
                                       mi_strdup, mi_calloc);
#else
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
#endif
    if (rc != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

}  // namespace asiofetch
