// SessionCore: the per-request and per-batch paths from Python into the engine (validate, copy, queue).
#include <Python.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "asiofetch/engine.hpp"
#include "asiofetch/url.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_args.hpp"
#include "bindings/py_request.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

// Owned by Python (GIL held for every method). The engine side is reached only through
// Engine's thread-safe commands.
// aiohttp's TCPConnector pool arguments, checked once when the connector is made. libcurl
// takes whole seconds here: keep-alive rounds up (a short positive age never means "no
// reuse"), the DNS TTL rounds down; None: no keep-alive reuse / DNS answers kept forever.
PoolConfig make_pool_config(py::handle limit, py::handle limit_per_host, py::handle force_close,
                            py::handle keepalive_timeout, py::handle dns_cache_ttl) {
  PoolConfig c;
  c.limit = static_cast<std::size_t>(int_arg("limit", limit, 0, PY_SSIZE_T_MAX));
  c.limit_per_host = static_cast<std::size_t>(int_arg("limit_per_host", limit_per_host, 0, PY_SSIZE_T_MAX));
  c.force_close = bool_arg("force_close", force_close);
  auto keepalive = seconds_arg("keepalive_timeout", keepalive_timeout, true);
  c.keepalive_timeout_s = c.force_close || !keepalive ? 0 : static_cast<long>(std::ceil(std::min(*keepalive, 1e9)));
  auto ttl = seconds_arg("ttl_dns_cache", dns_cache_ttl, true);
  c.dns_cache_ttl_s = ttl ? static_cast<long>(std::min(*ttl, 1e9)) : -1;  // libcurl: -1 = forever
  return c;
}

class PySession {
 public:
  explicit PySession(const PoolConfig& cfg) : cfg_(cfg) { open(); }
  ~PySession() { close(); }
  PySession(const PySession&) = delete;
  PySession& operator=(const PySession&) = delete;

  RequestId submit(PyMailbox& mb, py::handle method, py::handle url, py::handle headers,
                   py::handle body, const PyOptions& options, py::handle fallback) {
    check_open(mb);

    auto t = std::make_unique<Transfer>();
    set_method(t->req, method);
    t->origin = set_url(t->req, url);
    t->req.headers = parse_headers(headers);
    set_body(t->req, body, true);
    set_fallback(t->req, fallback);
    t->id = Engine::next_id();
    t->session = id_;
    t->opts = options.opts;
    t->mailbox = mb.native;
    RequestId id = t->id;
    engine_->submit(std::move(t));
    return id;
  }

  // One native batch. Items: a URL str (GET with `headers`), or a tuple
  // (method, url, headers or None, body or None, Options or None). Everything is validated
  // here, before the engine sees any of it, so a bad item fails the call, not the batch.
  RequestId submit_batch(PyMailbox& mb, py::handle items, py::handle headers, const PyOptions& options,
                         py::handle concurrency, bool fail_fast, py::handle deadline, RequestId progress_id,
                         py::handle progress_every, bool streaming) {
    check_open(mb);
    auto b = std::make_unique<Batch>();
    b->id = Engine::next_id();
    b->session = id_;
    b->mailbox = mb.native;
    // Checked here, not by pybind11's conversion: 10**20 must read "concurrency must be <= ...".
    b->concurrency = concurrency_arg(concurrency);
    b->fail_fast = fail_fast;
    b->streaming = streaming;
    b->input_closed = !streaming;
    if (auto d = deadline_arg(deadline)) b->deadline = *d;
    b->progress_id = progress_id;
    b->progress_every = millis_arg("progress_every", progress_every);
    b->pending = parse_items(items, headers, options);
    b->total = b->pending.size();
    RequestId id = b->id;
    engine_->submit_batch(std::move(b));
    return id;
  }

  void feed_batch(PyMailbox& mb, RequestId id, py::handle items, py::handle headers, const PyOptions& options,
                  bool close) {
    check_open(mb);
    engine_->feed_batch(id, parse_items(items, headers, options), close);
  }

  void cancel(RequestId id) {
    if (epoch_ == Engine::epoch()) engine_->cancel(id);
  }

  void clear_dns_cache() {
    if (!closed_ && epoch_ == Engine::epoch()) engine_->clear_dns(id_);
  }

  void resolved(RequestId id, std::vector<std::string> entries) {
    for (const std::string& e : entries)
      if (e.empty() || e.find('\0') != std::string::npos || has_forbidden_header_chars(e))
        throw py::value_error("a CONNECT_TO entry must be one line of text, got " + py::repr(py::str(e)).cast<std::string>());
    if (epoch_ == Engine::epoch()) engine_->resolved(id, std::move(entries));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (epoch_ == Engine::epoch()) engine_->close_session(id_);
  }

  bool closed() const { return closed_; }

  py::dict stats() const {
    py::dict d;
    d["in_flight"] = counters_->in_flight.load();
    d["queued"] = counters_->queued.load();
    d["completed"] = counters_->completed.load();
    return d;
  }

 private:
  void check_open(const PyMailbox& mb) {
    if (closed_) raise_session_closed("Session is closed");
    if (mb.native->closed()) raise_session_closed("Session is closed: its event loop is gone");
    if (epoch_ != Engine::epoch()) open();  // forked: this process has a fresh engine
  }

  static std::deque<BatchItem> parse_items(py::handle items, py::handle headers, const PyOptions& options) {
    Headers defaults = parse_headers(headers);
    py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(items.ptr(), "requests must be a sequence"));
    if (!seq) throw py::error_already_set();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
    PyObject** it = PySequence_Fast_ITEMS(seq.ptr());
    std::deque<BatchItem> out;
    for (Py_ssize_t i = 0; i < n; ++i) {
      BatchItem item;
      py::handle x(it[i]);
      const Py_ssize_t fields = PyTuple_Check(x.ptr()) ? PyTuple_GET_SIZE(x.ptr()) : 0;
      if (PyUnicode_Check(x.ptr())) {
        item.origin = set_url(item.req, x);
        item.req.headers = defaults;
        item.opts = options.opts;
      } else if (fields == 5 || fields == 6) {
        set_method(item.req, PyTuple_GET_ITEM(x.ptr(), 0));
        item.origin = set_url(item.req, PyTuple_GET_ITEM(x.ptr(), 1));
        py::handle h(PyTuple_GET_ITEM(x.ptr(), 2));
        item.req.headers = h.is_none() ? defaults : parse_headers(h);
        set_body(item.req, PyTuple_GET_ITEM(x.ptr(), 3));
        py::handle o(PyTuple_GET_ITEM(x.ptr(), 4));
        item.opts = o.is_none() ? options.opts : o.cast<const PyOptions&>().opts;
        if (fields == 6) set_fallback(item.req, PyTuple_GET_ITEM(x.ptr(), 5));
      } else {
        throw py::type_error("request " + std::to_string(i) +
                             ": expected a URL str or a (method, url, headers, body, options[, fallback]) tuple");
      }
      if (item.opts->stream) throw py::value_error("batch requests cannot stream their bodies");
      out.push_back(std::move(item));
    }
    return out;
  }

  void open() {
    engine_ = Engine::instance();
    epoch_ = Engine::epoch();
    counters_ = std::make_shared<PoolCounters>();
    id_ = engine_->open_session(cfg_, counters_);
  }

  PoolConfig cfg_;
  std::shared_ptr<Engine> engine_;
  std::uint64_t epoch_ = 0;
  SessionId id_ = 0;
  std::shared_ptr<PoolCounters> counters_;
  bool closed_ = false;
};

}  // namespace

void register_session(py::module_& m) {
  py::class_<PoolConfig>(m, "PoolConfig", "TCPConnector's pool arguments, checked and in libcurl's units.")
      .def(py::init(&make_pool_config), py::kw_only(), py::arg("limit"), py::arg("limit_per_host"),
           py::arg("force_close"), py::arg("keepalive_timeout"), py::arg("dns_cache_ttl"))
      // The engine's defaults (PoolConfig{}): TCPConnector's signature reads them from here.
      .def_static("defaults", [] { return PoolConfig{}; })
      .def_readonly("limit", &PoolConfig::limit)
      .def_readonly("limit_per_host", &PoolConfig::limit_per_host)
      .def_readonly("force_close", &PoolConfig::force_close)
      .def_readonly("keepalive_timeout", &PoolConfig::keepalive_timeout_s, "whole seconds, 0: no reuse")
      .def_readonly("dns_cache_ttl", &PoolConfig::dns_cache_ttl_s, "whole seconds, -1: forever");

  py::class_<PySession>(m, "SessionCore",
                        "Native side of a session: its connection cache, DNS cache and slot limits.")
      .def(py::init<const PoolConfig&>(), py::arg("config"))
      .def("submit", &PySession::submit, py::arg("mailbox"), py::arg("method"), py::arg("url"), py::arg("headers"),
           py::arg("body"), py::arg("options"), py::arg("fallback") = py::none(),
           "Queue one request; returns its id. Its one outcome arrives in `mailbox`. Raises at the\n"
           "call: InvalidUrlClientError / NonHttpUrlClientError, ValueError for a bad method or\n"
           "header, TypeError for wrong types, SessionClosedError when closed.")
      .def("submit_batch", &PySession::submit_batch, py::arg("mailbox"), py::arg("items"), py::arg("headers"),
           py::arg("options"), py::kw_only(), py::arg("concurrency") = py::none(), py::arg("fail_fast") = false,
           py::arg("deadline") = py::none(), py::arg("progress_id") = 0, py::arg("progress_every") = 0.1,
           py::arg("streaming") = false,
           "Queue a native batch; returns its id. Items are URL strs (GET with `headers`) or\n"
           "(method, url, headers or None, body or None, Options or None[, fallback]) tuples.\n"
           "concurrency: None (no bound of the batch's own) or an int >= 1.")
      .def("feed_batch", &PySession::feed_batch, py::arg("mailbox"), py::arg("id"), py::arg("items"),
           py::arg("headers"), py::arg("options"), py::arg("close") = false,
           "More input for a streaming batch; `close` says no more will come.")
      .def("cancel", &PySession::cancel, py::arg("id"),
           "Abort the request or batch (queued or in flight) and free its slots; its outcome is dropped.")
      .def("clear_dns_cache", &PySession::clear_dns_cache,
           "Answers the DNS cache holds now are not used again (requests after this resolve anew).")
      .def("resolved", &PySession::resolved, py::arg("id"), py::arg("entries"),
           "Answer a request's E_RESOLVE_NEEDED: CURLOPT_CONNECT_TO entries\n"
           "('host:port:addr:port') for it, then its attempt connects. Ignored once it ended.")
      .def("close", &PySession::close, "Fail every queued and in-flight request and drop the pool.")
      .def_property_readonly("closed", &PySession::closed)
      .def("stats", &PySession::stats);
}

}  // namespace asiofetch::py_bind
