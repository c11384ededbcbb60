#include "asiofetch/pool.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace asiofetch {

namespace {

std::size_t lane_count(std::size_t limit) {
  constexpr std::size_t kMaxLanes = 64;  // an unlimited pool gets as many lanes as 2,048 slots
  if (limit == 0) return kMaxLanes;
  return std::min(kMaxLanes, (limit + Pool::kLaneSize - 1) / Pool::kLaneSize);
}

// Tickets kept per destination: enough for every slot to reconnect at once (each
// connection brings one or two back), bounded for an unlimited pool.
std::size_t tickets_per_peer(std::size_t limit) {
  constexpr std::size_t kMin = 8, kMax = 256;
  return limit == 0 ? kMax : std::clamp(limit, kMin, kMax);
}
constexpr std::size_t kMaxTlsSessions = 1024;  // per session, all destinations (~1-2 KiB each)

}  // namespace

Pool::Pool(SessionId id_, PoolConfig cfg_, std::shared_ptr<PoolCounters> counters_)
    : id(id_),
      cfg(cfg_),
      counters(std::move(counters_)),
      tls_sessions(std::make_shared<TlsSessionCache>(tickets_per_peer(cfg.limit), kMaxTlsSessions)) {
  const std::size_t n = lane_count(cfg.limit);
  lanes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    SharePtr share(curl_share_init());
    if (!share) throw std::runtime_error("curl_share_init failed");
    // One thread uses the share (the engine's), so no lock callbacks are needed. TLS
    // sessions stay shared too: they are libcurl's fallback when tls_sessions cannot be used
    // (another TLS library, an HTTPS proxy).
    for (curl_lock_data what : {CURL_LOCK_DATA_CONNECT, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION})
      if (CURLSHcode rc = curl_share_setopt(share.get(), CURLSHOPT_SHARE, what); rc != CURLSHE_OK)
        throw std::runtime_error(std::string("curl_share_setopt(CURLSHOPT_SHARE): ") + curl_share_strerror(rc));
    lanes.push_back(std::move(share));
  }
  lane_active.assign(n, 0);
}

bool Pool::can_start(const std::string& origin) const {
  if (cfg.limit && active >= cfg.limit) return false;
  if (cfg.limit_per_host) {
    auto it = active_per_host.find(origin);
    if (it != active_per_host.end() && it->second >= cfg.limit_per_host) return false;
  }
  return true;
}

std::size_t Pool::on_start(const std::string& origin, bool multiplexed) {
  std::size_t lane = 0;
  if (!multiplexed)  // the first least busy lane: an idle pool keeps reusing lane 0
    lane = static_cast<std::size_t>(std::min_element(lane_active.begin(), lane_active.end()) -
                                    lane_active.begin());
  ++lane_active[lane];
  ++active;
  if (cfg.limit_per_host) ++active_per_host[origin];
  counters->in_flight.store(active, std::memory_order_relaxed);
  return lane;
}

bool Pool::pipewait(const std::string& origin, bool h2_asked) const {
  auto it = h2_origins.find(origin);
  return it == h2_origins.end() ? h2_asked : it->second;
}

void Pool::note_protocol(const std::string& origin, bool h2) {
  auto it = h2_origins.find(origin);
  if (it != h2_origins.end()) {
    it->second = h2;
    return;
  }
  if (h2_origins.size() >= kMaxKnownOrigins) h2_origins.clear();
  h2_origins.emplace(origin, h2);
}

void Pool::on_finish(const std::string& origin, std::size_t lane) {
  --lane_active[lane];
  --active;
  if (cfg.limit_per_host) {
    auto it = active_per_host.find(origin);
    if (it != active_per_host.end() && --it->second == 0) active_per_host.erase(it);
  }
  counters->in_flight.store(active, std::memory_order_relaxed);
  counters->completed.fetch_add(1, std::memory_order_relaxed);
}

long Pool::dns_cache_timeout() {
  if (!dns_cleared_at) return cfg.dns_cache_ttl_s;
  const auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - *dns_cleared_at);
  const long age = static_cast<long>(since.count());
  if (cfg.dns_cache_ttl_s >= 0 && age >= cfg.dns_cache_ttl_s) {
    dns_cleared_at.reset();
    return cfg.dns_cache_ttl_s;
  }
  return age;
}

}  // namespace asiofetch
