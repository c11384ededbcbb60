#include "asiofetch/pool.hpp"

#include <stdexcept>

namespace asiofetch {

Pool::Pool(SessionId id_, PoolConfig cfg_, std::shared_ptr<PoolCounters> counters_)
    : id(id_), cfg(cfg_), counters(std::move(counters_)), share(curl_share_init()) {
  if (!share) throw std::runtime_error("curl_share_init failed");
  // One thread uses the share (the engine's), so no lock callbacks are needed.
  curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

bool Pool::can_start(const std::string& origin) const {
  if (cfg.limit && active >= cfg.limit) return false;
  if (cfg.limit_per_host) {
    auto it = active_per_host.find(origin);
    if (it != active_per_host.end() && it->second >= cfg.limit_per_host) return false;
  }
  return true;
}

void Pool::on_start(const std::string& origin) {
  ++active;
  if (cfg.limit_per_host) ++active_per_host[origin];
  counters->in_flight.store(active, std::memory_order_relaxed);
}

void Pool::on_finish(const std::string& origin) {
  --active;
  if (cfg.limit_per_host) {
    auto it = active_per_host.find(origin);
    if (it != active_per_host.end() && --it->second == 0) active_per_host.erase(it);
  }
  counters->in_flight.store(active, std::memory_order_relaxed);
  counters->completed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace asiofetch
