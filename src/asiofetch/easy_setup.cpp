#include "asiofetch/easy_setup.hpp"

#include <cstdint>
#include <chrono>
#include <memory>
#include <new>
#include <string>

#include "asiofetch/ca_trust.hpp"
#include "asiofetch/content_decoder.hpp"
#include "asiofetch/header_lists.hpp"
#include "asiofetch/headers.hpp"
#include "asiofetch/multi_driver.hpp"
#include "asiofetch/pool.hpp"
#include "asiofetch/upload_source.hpp"
#include "asiofetch/tls_fingerprint.hpp"
#include "asiofetch/tls_sessions.hpp"

namespace asiofetch {

namespace {

constexpr long kReceiveBuffer = 256 * 1024;

// CURLOPT_SSL_CTX_FUNCTION (engine thread, once per new TLS connection): the session's TLS
// session cache, under a key naming the destination and every setting that decided whether
// the server was trusted, since a resumed session skips the certificate check.
CURLcode on_ssl_ctx(CURL* /*easy*/, void* ssl_ctx, void* self) noexcept {
  const Transfer& t = *static_cast<const Transfer*>(self);
  try {
    const RequestOptions& o = *t.opts;
    std::string key = t.origin;
    key.push_back('\0');
    key.push_back(o.verify_tls ? 'v' : '-');
    if (o.ca_file.empty()) {
      const CaTrust& ca = default_ca_trust();
      key.append("\0").append(ca.file).append("\0").append(ca.dir);
    } else {
      key.append("\0").append(o.ca_file).append("\0");
    }
    key.append("\0").append(o.client_cert).append("\0").append(o.client_key);
    const bool prior = o.http_version == HttpVersion::Http2PriorKnowledge;
    return t.pool->tls_sessions->configure(ssl_ctx, std::move(key), prior);
  } catch (const std::exception&) {
    return CURLE_OK;  // no resumption for this connection, but the connection goes on
  }
}

// An HTTPS proxy gets the same SSL_CTX callback as the origin, and nothing tells the two
// apart: with one, libcurl's own session cache is used instead.
bool https_proxy(const std::string& proxy) {
  return proxy.size() >= 6 && iequals(std::string_view(proxy).substr(0, 6), "https:");
}

long ms_count(Millis m) { return static_cast<long>(m.count()); }

// Sets options until one is refused, then remembers which: one check at the end instead of
// a branch per option at every call site, and the error names the option.
class Setter {
 public:
  explicit Setter(CURL* e) : e_(e) {}
  template <class V>
  void operator()(CURLoption opt, V value) {
    if (rc_ != CURLE_OK) return;
    rc_ = curl_easy_setopt(e_, opt, value);
    if (rc_ != CURLE_OK) failed_ = opt;
  }
  // For options whose failure has a documented fallback: the caller sees the code.
  template <class V>
  CURLcode try_set(CURLoption opt, V value) {
    return rc_ == CURLE_OK ? curl_easy_setopt(e_, opt, value) : rc_;
  }
  void fail(CURLoption opt, CURLcode rc) {
    if (rc_ == CURLE_OK) {
      rc_ = rc;
      failed_ = opt;
    }
  }
  CURLcode rc() const { return rc_; }
  Error error() const {
    const curl_easyoption* o = curl_easy_option_by_id(failed_);
    std::string msg = "libcurl refused option CURLOPT_";
    msg.append(o ? std::string(o->name) : std::to_string(static_cast<int>(failed_)));
    msg.append(": ");
    msg.append(curl_easy_strerror(rc_));
    return Error{ErrorKind::Other, static_cast<int>(rc_), std::move(msg)};
  }

 private:
  CURL* e_;
  CURLcode rc_ = CURLE_OK;
  CURLoption failed_{};
};

// CURLOPT_READFUNCTION of a streamed body: drains the transfer's UploadSource. Never blocks:
// an empty queue pauses the upload until the feeder's next chunk posts a Resume.
std::size_t upload_read(char* buf, std::size_t size, std::size_t n, void* self) noexcept {
  auto& t = *static_cast<Transfer*>(self);
  try {
    const UploadSource::Read r = t.req.upload->read(buf, size * n);
    switch (r.kind) {
      case UploadSource::Read::Kind::Data:
        t.last_activity = Clock::now();  // sending counts as activity for the read timeout
        return r.n;
      case UploadSource::Read::Kind::End: return 0;
      case UploadSource::Read::Kind::Pause: return CURL_READFUNC_PAUSE;
      case UploadSource::Read::Kind::Abort: return CURL_READFUNC_ABORT;
    }
  } catch (const std::exception& e) {
    t.callback_error = e.what();
  } catch (...) {
    t.callback_error = "unknown exception in the upload read callback";
  }
  return CURL_READFUNC_ABORT;
}

// The lines of one request's header list: the caller's, in order; then, when a body is sent,
// blanks that switch off libcurl's own Expect and form Content-Type. null: nothing to send.
// list_ok false: a line could not be allocated (the list would send a different request).
std::shared_ptr<curl_slist> build_header_list(const Headers& headers, bool sends_body, bool& list_ok) {
  curl_slist* list = nullptr;
  auto append = [&list, &list_ok](const std::string& line) {
    if (auto* l = curl_slist_append(list, line.c_str()))
      list = l;
    else
      list_ok = false;
  };
  std::string line;
  for (const auto& [k, v] : headers) {
    line.assign(k);
    if (v.empty()) {
      line.push_back(';');  // libcurl's syntax for "send this header with an empty value"
    } else {
      line.append(": ");
      line.append(v);
    }
    append(line);
  }
  if (sends_body) {
    if (!has_header(headers, "expect")) append("Expect:");
    if (!has_header(headers, "content-type")) append("Content-Type:");
  }
  if (!list) return nullptr;
  return std::shared_ptr<curl_slist>(list, SlistDeleter{});
}

// The list for `headers`: the session's shared one when the set is cached (header_lists.hpp).
std::shared_ptr<curl_slist> header_list_for(HeaderListCache& cache, const Headers& headers, bool sends_body,
                                            bool& list_ok) {
  if (headers.empty() && !sends_body) return nullptr;
  const std::uint64_t hash = HeaderListCache::hash_of(headers, sends_body);
  if (auto list = cache.find(headers, sends_body, hash)) return list;
  auto list = build_header_list(headers, sends_body, list_ok);
  if (list_ok) cache.offer(headers, sends_body, hash, list);
  return list;
}

}  // namespace

long curl_http_version(const Transfer& t) noexcept {
  const bool https = t.req.url.size() >= 6 && iequals(std::string_view(t.req.url).substr(0, 6), "https:");
  switch (t.opts->http_version) {
    case HttpVersion::Any: return https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
    case HttpVersion::Http1_1: return CURL_HTTP_VERSION_1_1;
    case HttpVersion::Http2: return https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case HttpVersion::Http2PriorKnowledge: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  }
  return CURL_HTTP_VERSION_1_1;
}

std::optional<Error> configure_easy(Transfer& t, long version, MultiDriver& driver) {
  CURL* e = t.easy.get();
  const RequestOptions& o = *t.opts;
  Setter set(e);

  set(CURLOPT_PRIVATE, &t);
  set(CURLOPT_SHARE, t.pool->lanes[t.lane].get());
  set(CURLOPT_URL, t.req.url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_ERRORBUFFER, t.errbuf);
  set(CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  set(CURLOPT_HEADERDATA, &t);
  set(CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  set(CURLOPT_WRITEDATA, &t);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  // One receive buffer per multi handle (borrowed per transfer), so a large one costs memory
  // once: a 1 MiB body then takes 4 recv calls and callbacks instead of 64.
  set(CURLOPT_BUFFERSIZE, kReceiveBuffer);
  if (set.rc() == CURLE_OK)
    if (CURLcode rc = driver.prepare(e); rc != CURLE_OK) set.fail(CURLOPT_CLOSESOCKETFUNCTION, rc);
  set(CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours: aiohttp's rules, history
  if (!is_idempotent_method(t.req.method) || !o.fingerprint.empty()) {
    set(CURLOPT_PREREQFUNCTION, &Transfer::on_prereq);
    set(CURLOPT_PREREQDATA, &t);
  }
  set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  set(CURLOPT_PROXY, o.proxy.c_str());  // "" also stops libcurl's env lookup
  // Nor may libcurl read no_proxy/NO_PROXY: the session applies it to proxies it takes from
  // the environment (trust_env), and an explicit proxy= is used as given, as in aiohttp.
  set(CURLOPT_NOPROXY, "");
  set(CURLOPT_MAXAGE_CONN, t.pool->cfg.keepalive_timeout_s);
  set(CURLOPT_FORBID_REUSE, t.pool->cfg.force_close ? 1L : 0L);
  set(CURLOPT_DNS_CACHE_TIMEOUT, t.pool->dns_cache_timeout());

  // Method and body. libcurl picks the method from the body options unless told otherwise.
  const std::string& m = t.req.method;
  const bool has_upload = t.req.upload != nullptr;
  const bool has_body = !t.req.body.empty() || has_upload;
  // Only these make libcurl add Expect or a form Content-Type of its own; a bodiless GET
  // skips two header lines libcurl would otherwise parse and drop on every request.
  const bool sends_body = has_body || m == "POST" || m == "PUT" || m == "PATCH";
  if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (m == "GET" && !has_body) {
    set(CURLOPT_HTTPGET, 1L);
  } else {
    if (m != "POST") set(CURLOPT_CUSTOMREQUEST, m.c_str());
    if (has_upload) {
      // POST plus a read callback (CUSTOMREQUEST above names any other verb). A size of -1
      // makes libcurl send the body chunked on HTTP/1.1 (plain DATA frames on h2).
      set(CURLOPT_POST, 1L);
      set(CURLOPT_READFUNCTION, &upload_read);
      set(CURLOPT_READDATA, &t);
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.req.upload->size()));
    } else if (sends_body) {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.req.body.size()));
      set(CURLOPT_POSTFIELDS, t.req.body.data());
    }
  }

  // Headers: the caller's, in order; plus blanks that switch off libcurl's own additions
  // (Expect: 100-continue costs a round trip; a default form Content-Type would be a lie).
  bool list_ok = true;
  t.header_list = header_list_for(t.pool->header_lists, t.req.headers, sends_body, list_ok);
  curl_slist* list = t.header_list.get();
  if (!t.req.connect_to.empty()) {
    curl_slist* to = nullptr;
    for (const std::string& entry : t.req.connect_to) {
      if (auto* l = curl_slist_append(to, entry.c_str()))
        to = l;
      else
        list_ok = false;
    }
    t.connect_to_list.reset(to);
    set(CURLOPT_CONNECT_TO, to);
  }
  // A dropped header line would send a different request than asked: fail it instead.
  if (!list_ok) set.fail(CURLOPT_HTTPHEADER, CURLE_OUT_OF_MEMORY);
  set(CURLOPT_HTTPHEADER, list);

  // libcurl never decodes: paused, it keeps the decoded output of a whole receive buffer
  // (1 KB of brotli is 1 GiB of zeros) and then fails with CURLE_TOO_LARGE. Transfer and
  // StreamBuffer decode in bounded steps (content_decoder.hpp); we offer what they decode.
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  set(CURLOPT_ACCEPT_ENCODING, o.auto_decompress ? ContentDecoder::accept_encoding() : static_cast<const char*>(nullptr));

  // Timeouts. The total budget counts from the slot, across redirects.
  set(CURLOPT_CONNECTTIMEOUT_MS, ms_count(o.connect_timeout));
  if (o.total_timeout.count() > 0) {
    auto left = std::chrono::duration_cast<Millis>(t.started_at + o.total_timeout - Clock::now());
    if (left.count() <= 0) return Error{ErrorKind::TotalTimeout, 0, "total timeout (" + t.req.url + ")"};
    set(CURLOPT_TIMEOUT_MS, ms_count(left));
  }

  // TLS.
  set(CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_file.empty()) {
    set(CURLOPT_CAINFO, o.ca_file.c_str());
    // A CA directory (Debian's libcurl has /etc/ssl/certs compiled in) makes libcurl rebuild
    // the X509 store for every new connection: only a store made from a file alone is cached
    // (CURLOPT_CA_CACHE_TIMEOUT). Given a bundle, use it alone, as Python's ssl does.
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  } else {  // no ssl= context: Python ssl's default paths, found once per process
    const CaTrust& ca = default_ca_trust();
    set(CURLOPT_CAINFO, ca.file.empty() ? static_cast<const char*>(nullptr) : ca.file.c_str());
    set(CURLOPT_CAPATH, ca.dir.empty() ? static_cast<const char*>(nullptr) : ca.dir.c_str());
  }
  if (t.pool->tls_sessions && TlsSessionCache::supported() && !https_proxy(o.proxy)) {
    set(CURLOPT_SSL_CTX_FUNCTION, &on_ssl_ctx);
    set(CURLOPT_SSL_CTX_DATA, &t);
    set(CURLOPT_SSL_SESSIONID_CACHE, 0L);  // ours resumes; libcurl's must not offer one too
  }
  // Without our OpenSSL in libcurl the digest cannot be read: refuse rather than not check.
  if (!o.fingerprint.empty() && !fingerprint_supported()) set.fail(CURLOPT_PREREQFUNCTION, CURLE_NOT_BUILT_IN);
  if (!o.client_cert.empty()) set(CURLOPT_SSLCERT, o.client_cert.c_str());
  if (!o.client_key.empty()) set(CURLOPT_SSLKEY, o.client_key.c_str());

  // HTTP version. A libcurl without HTTP/2 refuses the h2 versions: "any" then means 1.1
  // (what ALPN would have agreed on anyway); an explicit h2 request fails with the reason.
  CURLcode vrc = set.try_set(CURLOPT_HTTP_VERSION, version);
  if (vrc == CURLE_UNSUPPORTED_PROTOCOL && o.http_version == HttpVersion::Any) {
    version = CURL_HTTP_VERSION_1_1;
    vrc = set.try_set(CURLOPT_HTTP_VERSION, version);
  }
  if (vrc != CURLE_OK) set.fail(CURLOPT_HTTP_VERSION, vrc);
  // PIPEWAIT makes a second request wait for a pending h2 connection and multiplex on it
  // instead of opening another one: only where h2 is known or asked for (Pool::pipewait).
  const bool wait = version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE ||
                    (version != CURL_HTTP_VERSION_1_1 && t.pool->pipewait(t.origin, o.http_version != HttpVersion::Any));
  set(CURLOPT_PIPEWAIT, wait ? 1L : 0L);

  if (set.rc() != CURLE_OK) return set.error();
  return std::nullopt;
}

EasyPtr EasyCache::acquire() {
  if (!idle_.empty()) {
    EasyPtr e = std::move(idle_.back());
    idle_.pop_back();
    return e;
  }
  EasyPtr e(curl_easy_init());
  if (!e) throw std::bad_alloc();
  count_.fetch_add(1, std::memory_order_relaxed);
  return e;
}

void EasyCache::recycle(EasyPtr easy, bool keep) {
  // curl_easy_reset keeps CURLOPT_SHARE, and a share still attached to a handle refuses
  // curl_share_cleanup (CURLSHE_IN_USE): the closed session's sockets would leak. Detach
  // first; the connection stays in the share's cache for the session's next request. Should
  // the detach fail, the handle is freed rather than kept attached.
  const bool detached = curl_easy_setopt(easy.get(), CURLOPT_SHARE, static_cast<CURLSH*>(nullptr)) == CURLE_OK;
  curl_easy_reset(easy.get());
  if (detached && keep && idle_.size() < kMaxIdle) {
    idle_.push_back(std::move(easy));
  } else {
    easy.reset();
    count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void EasyCache::clear() {
  count_.fetch_sub(idle_.size(), std::memory_order_relaxed);
  idle_.clear();
}

}  // namespace asiofetch
