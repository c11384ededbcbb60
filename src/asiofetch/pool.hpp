// One session's native side: its connection/DNS/TLS-session cache and its slot limits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "asiofetch/curl_handles.hpp"
#include "asiofetch/outcome.hpp"

namespace asiofetch {

using SessionId = std::uint64_t;

struct PoolConfig {
  std::size_t limit = 100;           // requests in flight for the session, 0 = unlimited
  std::size_t limit_per_host = 0;    // per scheme://host:port, 0 = unlimited
  bool force_close = false;          // one connection per request (no keep-alive reuse)
  long keepalive_timeout_s = 15;     // an idle connection older than this is not reused
  long dns_cache_ttl_s = 10;
};

// Written by the engine thread, read by anyone (stats only: relaxed is enough).
struct PoolCounters {
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> queued{0};
  std::atomic<std::uint64_t> completed{0};
};

// Engine-thread only. Owns the CURLSH that holds this session's connection cache, so
// sessions never reuse each other's connections and closing one drops its sockets.
struct Pool {
  Pool(SessionId id, PoolConfig cfg, std::shared_ptr<PoolCounters> counters);

  bool can_start(const std::string& origin) const;
  void on_start(const std::string& origin);
  void on_finish(const std::string& origin);

  const SessionId id;
  const PoolConfig cfg;
  const std::shared_ptr<PoolCounters> counters;
  SharePtr share;
  std::size_t active = 0;
  std::unordered_map<std::string, std::size_t> active_per_host;
  std::deque<RequestId> waiting;  // FIFO; ids of cancelled requests are skipped lazily
};

}  // namespace asiofetch
