// One session's CURLOPT_HTTPHEADER lists, shared by the transfers that send the same lines.
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "asiofetch/request.hpp"

namespace asiofetch {

// Engine thread only (owned by the session's Pool, so it goes with the session: the lines,
// credentials included, are not kept past it). libcurl only reads CURLOPT_HTTPHEADER, so the
// transfers that send the same header set can share one list: with a session's default
// headers, 10,000 transfers in flight hold one list and build none.
//
// A set is admitted on its second sighting among the last kSeen misses: a workload whose
// every request carries a header of its own (a request id, a per-call token) pays one hash
// per request and never a copy into the cache. A lookup compares hashes first, so a miss
// costs no vector compare either.
class HeaderListCache {
 public:
  static constexpr std::size_t kEntries = 4;
  static constexpr std::size_t kSeen = 8;

  // FNV-1a over the names, values and `sends_body` (which adds a line to the list).
  static std::uint64_t hash_of(const Headers& headers, bool sends_body) noexcept;

  // The cached list for exactly this set, or null.
  std::shared_ptr<curl_slist> find(const Headers& headers, bool sends_body, std::uint64_t hash) const;
  // After a miss: `list` was built for this set. Cached if the set was seen before.
  void offer(const Headers& headers, bool sends_body, std::uint64_t hash, std::shared_ptr<curl_slist> list);

  std::size_t size() const noexcept;  // sets cached (for the tests)

 private:
  struct Entry {
    std::uint64_t hash = 0;
    bool sends_body = false;
    Headers headers;
    std::shared_ptr<curl_slist> list;  // null: the slot is free
  };
  std::array<Entry, kEntries> entries_;
  std::size_t next_entry_ = 0;           // round robin: the slot the next admission takes
  std::array<std::uint64_t, kSeen> seen_{};  // hashes of recent misses not admitted yet
  std::size_t next_seen_ = 0;
};

}  // namespace asiofetch
