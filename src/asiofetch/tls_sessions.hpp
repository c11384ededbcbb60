// A session's TLS session cache: tickets kept per destination and TLS settings, so reconnects resume.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct ssl_session_st;  // OpenSSL's SSL_SESSION (<openssl/types.h>), kept out of this header

namespace asiofetch {

// Why not libcurl's own cache (CURLSH with CURL_LOCK_DATA_SSL_SESSION): libcurl 8.14 keeps
// two sessions per destination and uses a TLS 1.3 ticket once (RFC 8446 C.4). Twenty
// connections opened at once then found two tickets between them: 49-80 % of reconnects
// resumed in the bench, where every one could. It is also one cache per share handle, so
// per lane, and it serialises each session to DER and back (i2d/d2i) per connection.
//
// This cache keeps up to `per_peer` tickets per key (a ticket is still used once), shares
// them across the session's lanes, and hands OpenSSL its own SSL_SESSION objects.
//
// Engine thread only: OpenSSL calls in here from inside libcurl, on the thread that drives
// the multi handle. The object is shared (shared_ptr) with every SSL_CTX it configured, so a
// connection that outlives its Pool (closed last by the share cleanup) never sees it freed.
class TlsSessionCache : public std::enable_shared_from_this<TlsSessionCache> {
 public:
  // per_peer: tickets kept per key; total: sessions kept in all (least recently used key
  // dropped first).
  TlsSessionCache(std::size_t per_peer, std::size_t total);
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // True when this process's libcurl runs on the same OpenSSL as the one asiofetch was built
  // against (computed once): only then may our code touch libcurl's SSL_CTX. Any thread.
  static bool supported();

  // CURLOPT_SSL_CTX_FUNCTION: tags the new connection's SSL_CTX with this cache and `key`
  // and installs the callbacks that store and resume sessions, and that turn on OpenSSL's
  // read-ahead once the handshake has settled on HTTP/1.1 (h2_prior_knowledge: the transfer
  // asked for h2 without ALPN, so a connection with no ALPN answer may still be h2).
  CURLcode configure(void* ssl_ctx, std::string key, bool h2_prior_knowledge = false);

  // Takes ownership of one reference to `s`; false (reference not taken) when it cannot be
  // resumed or no memory was left.
  bool put(const std::string& key, ssl_session_st* s) noexcept;
  // A session to offer for `key` with one reference for the caller, or nullptr. A TLS 1.3
  // ticket leaves the cache; an older protocol's session stays (it may be resumed again).
  ssl_session_st* take(const std::string& key) noexcept;

  std::size_t size() const noexcept { return total_; }  // sessions held now (tests)

 private:
  struct Peer {
    std::vector<ssl_session_st*> sessions;  // owned references, oldest first
    std::uint64_t used = 0;                 // tick of the last put/take (LRU)
  };
  void drop_expired(Peer& p) noexcept;
  void evict_lru() noexcept;

  const std::size_t per_peer_;
  const std::size_t total_cap_;
  std::size_t total_ = 0;   // sessions across peers_
  std::uint64_t tick_ = 0;  // LRU clock
  std::unordered_map<std::string, Peer> peers_;
};

}  // namespace asiofetch
