#include "asiofetch/tls_sessions.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <ctime>
#include <limits>
#include <new>
#include <string_view>
#include <utility>

namespace asiofetch {

namespace {

// What an SSL_CTX configured by us carries: the cache and the key its connection stores
// and resumes under. Owned by the SSL_CTX's ex_data slot, freed with the SSL_CTX.
struct CtxTag {
  std::shared_ptr<TlsSessionCache> cache;
  std::string key;
  bool h2_prior_knowledge = false;  // h2 may run without ALPN on this connection
};

void free_tag(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
              void* /*argp*/) {
  delete static_cast<CtxTag*>(ptr);
}

int tag_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_tag);
  return idx;
}

CtxTag* tag_of(const SSL* ssl) {
  return static_cast<CtxTag*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tag_index()));
}

// OpenSSL hands the client every new session (each TLS 1.3 ticket) here; 1 = we keep it.
int on_new_session(SSL* ssl, SSL_SESSION* s) {
  CtxTag* tag = tag_of(ssl);
  return (tag && tag->cache->put(tag->key, s)) ? 1 : 0;
}

// Once the handshake is done, an HTTP/1.1 connection reads whole TLS records: without
// read-ahead OpenSSL asks its BIO for the 5-byte record header and then for the body, two
// recv calls per response where one will do. Never on h2 (ALPN "h2", or no ALPN with prior
// knowledge): libcurl 8.14's h2 filter stops reading at a stream's end and counts on
// SSL_pending, which does not see records read ahead but not yet decrypted, to come back for
// the rest; HTTP/1.1 reads until EAGAIN, the response's end, or a pause (whose resume
// re-reads without a socket event), so read-ahead leaves nothing behind there. libcurl 8.15
// turns it on for every connection itself (curl aea336aa23, with its own pending-input flag
// for h2); there this only sets what is already set.
void read_ahead_if_http1(SSL* ssl, const CtxTag& tag) {
  const unsigned char* alpn = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &len);
  const std::string_view proto(reinterpret_cast<const char*>(alpn), alpn ? len : 0);
  if (proto == "http/1.1" || (proto.empty() && !tag.h2_prior_knowledge)) SSL_set_read_ahead(ssl, 1);
}

// libcurl offers no hook between SSL_new and SSL_connect, so the session is set when the
// handshake starts: OpenSSL signals SSL_CB_HANDSHAKE_START before it builds the ClientHello,
// which is where it reads the session to offer. The callback gets a const SSL* for an object
// that is not const (libcurl's, mid SSL_connect); SSL_set_session needs it mutable.
void on_info(const SSL* cssl, int where, int /*ret*/) {
  SSL* ssl = const_cast<SSL*>(cssl);
  if (where & SSL_CB_HANDSHAKE_DONE) {
    if (const CtxTag* tag = tag_of(ssl)) read_ahead_if_http1(ssl, *tag);
    return;
  }
  if (!(where & SSL_CB_HANDSHAKE_START)) return;
  if (!SSL_in_before(ssl) || SSL_get_session(ssl) != nullptr) return;
  CtxTag* tag = tag_of(ssl);
  if (!tag) return;
  if (SSL_SESSION* s = tag->cache->take(tag->key)) {
    SSL_set_session(ssl, s);  // takes its own reference; a refused one means a full handshake
    SSL_SESSION_free(s);
  }
}

bool expired(SSL_SESSION* s, long now) {
  const long t = SSL_SESSION_get_time(s);
  const long life = SSL_SESSION_get_timeout(s);
  return life <= 0 || t > std::numeric_limits<long>::max() - life || t + life <= now;
}

bool is_tls13(SSL_SESSION* s) { return SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION; }

}  // namespace

TlsSessionCache::TlsSessionCache(std::size_t per_peer, std::size_t total)
    : per_peer_(per_peer ? per_peer : 1), total_cap_(total ? total : 1) {}

TlsSessionCache::~TlsSessionCache() {
  for (auto& [key, p] : peers_)
    for (SSL_SESSION* s : p.sessions) SSL_SESSION_free(s);
}

bool TlsSessionCache::supported() {
  static const bool same = [] {
    // libcurl's backend string ("OpenSSL/3.0.19") against the OpenSSL we call: a libcurl on
    // another TLS library, or on another OpenSSL build, must never get our SSL_* calls.
    const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
    if (!v || !v->ssl_version) return false;
    const std::string ours = std::string("OpenSSL/") + OpenSSL_version(OPENSSL_VERSION_STRING);
    return std::string_view(v->ssl_version) == ours;
  }();
  return same;
}

CURLcode TlsSessionCache::configure(void* ssl_ctx, std::string key, bool h2_prior_knowledge) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  const int idx = tag_index();
  if (idx < 0) return CURLE_OK;  // no slot: libcurl's connection goes on without resumption
  auto tag = std::make_unique<CtxTag>(CtxTag{shared_from_this(), std::move(key), h2_prior_knowledge});
  if (!SSL_CTX_set_ex_data(ctx, idx, tag.get())) return CURLE_OK;
  tag.release();  // owned by the SSL_CTX now: free_tag deletes it with the context
  // libcurl set these before calling us (the new-session callback needs the client cache
  // mode); set again so the cache does not depend on that order.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
  SSL_CTX_set_info_callback(ctx, &on_info);
  return CURLE_OK;
}

void TlsSessionCache::drop_expired(Peer& p) noexcept {
  const long now = static_cast<long>(std::time(nullptr));
  std::size_t kept = 0;
  for (SSL_SESSION* s : p.sessions) {
    if (expired(s, now)) {
      SSL_SESSION_free(s);
      --total_;
    } else {
      p.sessions[kept++] = s;
    }
  }
  p.sessions.resize(kept);
}

void TlsSessionCache::evict_lru() noexcept {
  while (total_ > total_cap_ && !peers_.empty()) {
    auto oldest = peers_.begin();
    for (auto it = peers_.begin(); it != peers_.end(); ++it)
      if (it->second.used < oldest->second.used) oldest = it;
    for (SSL_SESSION* s : oldest->second.sessions) SSL_SESSION_free(s);
    total_ -= oldest->second.sessions.size();
    peers_.erase(oldest);
  }
}

bool TlsSessionCache::put(const std::string& key, SSL_SESSION* s) noexcept {
  if (!SSL_SESSION_is_resumable(s)) return false;
  try {
    Peer& p = peers_[key];
    p.used = ++tick_;
    drop_expired(p);
    if (!is_tls13(s)) {
      // A TLS 1.2 session may be resumed many times; the newest replaces the others.
      for (SSL_SESSION* old : p.sessions) SSL_SESSION_free(old);
      total_ -= p.sessions.size();
      p.sessions.clear();
    } else if (p.sessions.size() >= per_peer_) {
      SSL_SESSION_free(p.sessions.front());
      p.sessions.erase(p.sessions.begin());
      --total_;
    }
    p.sessions.push_back(s);
    ++total_;
  } catch (const std::bad_alloc&) {
    return false;
  }
  evict_lru();
  return true;
}

SSL_SESSION* TlsSessionCache::take(const std::string& key) noexcept {
  auto it = peers_.find(key);
  if (it == peers_.end()) return nullptr;
  Peer& p = it->second;
  p.used = ++tick_;
  drop_expired(p);
  if (p.sessions.empty()) return nullptr;
  SSL_SESSION* s = p.sessions.back();  // the newest: the longest left to live
  if (is_tls13(s)) {
    p.sessions.pop_back();  // RFC 8446 C.4: a ticket is offered once
    --total_;
  } else {
    SSL_SESSION_up_ref(s);
  }
  return s;
}

}  // namespace asiofetch
