#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "asiofetch/curl_handles.hpp"

namespace asiofetch {

namespace {

struct CurlAllocator {
  curl_malloc_callback malloc_fn = nullptr;
  curl_free_callback free_fn = nullptr;
  curl_realloc_callback realloc_fn = nullptr;
  curl_strdup_callback strdup_fn = nullptr;
  curl_calloc_callback calloc_fn = nullptr;
};

// libcurl allocates and frees a few dozen small blocks per request on the engine thread (URL
// parts, printf buffers, header lines); with glibc's arenas that was a fifth of the engine
// thread's time, and mimalloc's thread-local free lists cut it by most of that. mimalloc is
// loaded at run time, RTLD_LOCAL, rather than linked: distributions build it to replace
// malloc and operator new, and a linked copy would become operator new for libstdc++ too,
// depending on load order, so a block could be freed by the allocator that did not make it.
// Loaded locally, nothing binds to those exports; only libcurl gets these five pointers.
bool load_mimalloc(CurlAllocator& a) {
#ifdef ASIOFETCH_NO_MIMALLOC
  (void)a;
  return false;
#else
  if (const char* v = std::getenv("ASIOFETCH_MIMALLOC"); v && std::string_view(v) == "0") return false;
  void* lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return false;
  a.malloc_fn = reinterpret_cast<curl_malloc_callback>(dlsym(lib, "mi_malloc"));
  a.free_fn = reinterpret_cast<curl_free_callback>(dlsym(lib, "mi_free"));
  a.realloc_fn = reinterpret_cast<curl_realloc_callback>(dlsym(lib, "mi_realloc"));
  a.strdup_fn = reinterpret_cast<curl_strdup_callback>(dlsym(lib, "mi_strdup"));
  a.calloc_fn = reinterpret_cast<curl_calloc_callback>(dlsym(lib, "mi_calloc"));
  if (a.malloc_fn && a.free_fn && a.realloc_fn && a.strdup_fn && a.calloc_fn) return true;
  dlclose(lib);
  return false;  // never closed on success: libcurl keeps the pointers for the process's life
#endif
}

}  // namespace

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    CurlAllocator a;
    CURLcode rc;
    if (load_mimalloc(a)) {
      // If another library in the process initialised libcurl first, this keeps that
      // library's allocator: still consistent, only slower.
      rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, a.malloc_fn, a.free_fn, a.realloc_fn,
                                a.strdup_fn, a.calloc_fn);
    } else {
      rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    }
    if (rc != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

}  // namespace asiofetch
