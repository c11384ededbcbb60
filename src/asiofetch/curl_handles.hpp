// RAII owners for libcurl's handles, so no curl object outlives its owner or leaks on error.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace asiofetch {

struct EasyDeleter { void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); } };
struct MultiDeleter { void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); } };
struct ShareDeleter { void operator()(CURLSH* h) const noexcept { curl_share_cleanup(h); } };
struct SlistDeleter { void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); } };
struct UrlDeleter { void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); } };
struct CurlStringDeleter { void operator()(char* s) const noexcept { curl_free(s); } };

using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SharePtr = std::unique_ptr<CURLSH, ShareDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// Call before any other libcurl function: it may hand libcurl a different allocator
// (curl_global.cpp), and a block libcurl allocated before that would be freed by the wrong one.
void ensure_curl_global_init();

}  // namespace asiofetch
