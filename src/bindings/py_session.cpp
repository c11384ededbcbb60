// SessionCore: the per-request hot path from Python into the engine (validate, copy, queue).
#include <Python.h>
#include <pybind11/stl.h>

#include <string>

#include "asiofetch/engine.hpp"
#include "asiofetch/url.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

PyObject* g_invalid_url = nullptr;  // borrowed from the module, which keeps it alive

std::string_view as_str(PyObject* o, const char* what) {
  if (!PyUnicode_Check(o)) throw py::type_error(std::string(what) + " must be str");
  Py_ssize_t n = 0;
  const char* p = PyUnicode_AsUTF8AndSize(o, &n);
  if (!p) throw py::error_already_set();
  return {p, static_cast<std::size_t>(n)};
}

bool is_token(std::string_view s) {
  // RFC 9110 token: what a method or a header name may be made of.
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) != std::string_view::npos) return false;
  }
  return true;
}

// Owned by Python (GIL held for every method). The engine side is reached only through
// Engine's thread-safe commands.
class PySession {
 public:
  PySession(std::size_t limit, std::size_t limit_per_host, bool force_close, double keepalive_s,
            double dns_ttl_s) {
    if (keepalive_s < 0 || dns_ttl_s < 0) throw py::value_error("timeouts must be >= 0");
    cfg_.limit = limit;
    cfg_.limit_per_host = limit_per_host;
    cfg_.force_close = force_close;
    cfg_.keepalive_timeout_s = static_cast<long>(keepalive_s + 0.999);
    cfg_.dns_cache_ttl_s = static_cast<long>(dns_ttl_s);
    open();
  }
  ~PySession() { close(); }
  PySession(const PySession&) = delete;
  PySession& operator=(const PySession&) = delete;

  RequestId submit(PyMailbox& mb, py::handle method, py::handle url, py::handle headers,
                   py::handle body, const PyOptions& options) {
    if (closed_) throw std::runtime_error("Session is closed");
    if (mb.native->closed()) throw std::runtime_error("mailbox is closed (its event loop is gone)");
    if (epoch_ != Engine::epoch()) open();  // forked: this process has a fresh engine

    auto t = std::make_unique<Transfer>();
    auto m = as_str(method.ptr(), "method");
    if (!is_token(m)) throw py::value_error("invalid HTTP method: " + py::repr(method).cast<std::string>());
    t->req.method.assign(m);
    auto u = as_str(url.ptr(), "url");
    t->req.url.assign(u);
    std::string why;
    auto parsed = parse_http_url(t->req.url, why);
    if (!parsed) {
      PyErr_SetString(g_invalid_url, (t->req.url + ": " + why).c_str());
      throw py::error_already_set();
    }
    t->origin = std::move(parsed->origin);

    if (!headers.is_none()) {
      py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(headers.ptr(), "headers must be a list of (name, value) pairs"));
      if (!seq) throw py::error_already_set();
      Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
      PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
      t->req.headers.reserve(static_cast<std::size_t>(n));
      for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* pair = items[i];
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2)
          throw py::type_error("headers must be a list of (name, value) pairs");
        auto k = as_str(PyTuple_GET_ITEM(pair, 0), "header name");
        auto v = as_str(PyTuple_GET_ITEM(pair, 1), "header value");
        if (!is_token(k)) throw py::value_error("invalid header name: " + std::string(k));
        if (has_forbidden_header_chars(v))
          throw py::value_error("header value for " + std::string(k) + " contains CR, LF or NUL");
        t->req.headers.emplace_back(std::string(k), std::string(v));
      }
    }
    if (!body.is_none()) {
      char* p = nullptr;
      Py_ssize_t n = 0;
      if (!PyBytes_Check(body.ptr())) throw py::type_error("body must be bytes or None");
      PyBytes_AsStringAndSize(body.ptr(), &p, &n);
      t->req.body.assign(p, static_cast<std::size_t>(n));
    }
    t->id = Engine::next_id();
    t->session = id_;
    t->opts = options.opts;
    t->mailbox = mb.native;
    RequestId id = t->id;
    engine_->submit(std::move(t));
    return id;
  }

  void cancel(RequestId id) {
    if (epoch_ == Engine::epoch()) engine_->cancel(id);
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
  auto invalid = py::register_exception<std::invalid_argument>(m, "InvalidUrlError", PyExc_ValueError);
  g_invalid_url = invalid.ptr();

  py::class_<PySession>(m, "SessionCore")
      .def(py::init<std::size_t, std::size_t, bool, double, double>(), py::kw_only(),
           py::arg("limit") = 100, py::arg("limit_per_host") = 0, py::arg("force_close") = false,
           py::arg("keepalive_timeout") = 15.0, py::arg("dns_cache_ttl") = 10.0)
      .def("submit", &PySession::submit)
      .def("cancel", &PySession::cancel)
      .def("close", &PySession::close)
      .def_property_readonly("closed", &PySession::closed)
      .def("stats", &PySession::stats);
}

}  // namespace asiofetch::py_bind
