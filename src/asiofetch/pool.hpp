// One session's native side: its connection/DNS/TLS-session cache and its slot limits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "asiofetch/curl_handles.hpp"
#include "asiofetch/header_lists.hpp"
#include "asiofetch/outcome.hpp"
#include "asiofetch/tls_sessions.hpp"

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

// Engine-thread only. Owns the CURLSHs that hold this session's connection caches, so
// sessions never reuse each other's connections and closing one drops its sockets.
//
// The caches are split into lanes of about kLaneSize slots: libcurl finds a reusable
// connection by walking every connection to the destination and rejects a busy HTTP/1.1
// one only after comparing scheme and host, so with one cache a request at 1,000
// connections paid for 1,000 comparisons. A request takes the least busy lane and only
// looks at that lane's connections; a lane never has more busy transfers than its share of
// the limit, so it never holds more connections either. Multiplexed (HTTP/2) requests all
// take lane 0 to share one connection.
struct Pool {
  static constexpr std::size_t kLaneSize = 32;

  Pool(SessionId id, PoolConfig cfg, std::shared_ptr<PoolCounters> counters);

  bool can_start(const std::string& origin) const;
  std::size_t on_start(const std::string& origin, bool multiplexed);  // returns the lane
  void on_finish(const std::string& origin, std::size_t lane);

  // Whether a request to `origin` should wait for a connection still being set up, in case
  // ALPN makes it multiplexed (CURLOPT_PIPEWAIT). libcurl parks such a request and wakes
  // parked ones one per finished transfer; against an HTTP/1.1 server that closes after
  // each response, a burst of them stayed parked until the connect timeout (issue 15: 18 of
  // 1,500 native-batch requests failed after 30 s). So a request waits only where h2 is
  // known (ALPN said h2 before, or prior knowledge), or asked for and not yet refused.
  bool pipewait(const std::string& origin, bool h2_asked) const;
  // What ALPN agreed with `origin` (true: h2), from a finished response.
  void note_protocol(const std::string& origin, bool h2);

  const SessionId id;
  const PoolConfig cfg;
  const std::shared_ptr<PoolCounters> counters;
  // TLS sessions for every lane (libcurl's per-share cache is left empty: tls_sessions.hpp).
  // Declared before `lanes` so it outlives them; SSL_CTXs hold it by shared_ptr anyway.
  const std::shared_ptr<TlsSessionCache> tls_sessions;
  std::vector<SharePtr> lanes;           // one CURLSH each: connections, DNS, TLS sessions
  std::vector<std::size_t> lane_active;  // transfers running in each lane
  std::size_t active = 0;
  std::unordered_map<std::string, std::size_t> active_per_host;
  std::deque<RequestId> waiting;  // FIFO; ids of cancelled requests are skipped lazily
  // Origin -> ALPN agreed on h2 (pipewait()). Bounded: cleared when it reaches
  // kMaxKnownOrigins (a crawl over many hosts must not grow it without end).
  static constexpr std::size_t kMaxKnownOrigins = 4096;
  std::unordered_map<std::string, bool> h2_origins;
  // The header lists this session's transfers share (dropped with the session).
  HeaderListCache header_lists;

  // TCPConnector.clear_dns_cache(): when it was last called. libcurl's DNS cache has no flush
  // a share user can call, but it drops an entry older than the transfer's
  // CURLOPT_DNS_CACHE_TIMEOUT when looked up: see dns_cache_timeout().
  std::optional<std::chrono::steady_clock::time_point> dns_cleared_at;

  // CURLOPT_DNS_CACHE_TIMEOUT for a transfer starting now: the configured TTL, or after a
  // clear the whole seconds since it (0: no caching in the first second), so no answer from
  // before the clear is used; answers made since may be dropped early too (a lookup more).
  // The clear is forgotten once that age reaches the TTL. Engine thread.
  long dns_cache_timeout();
};

}  // namespace asiofetch
