// The asiofetch._core extension module: constants, engine-wide functions, and registration.
#include <pybind11/stl.h>

#include "asiofetch/ca_trust.hpp"
#include "asiofetch/engine.hpp"
#include "bindings/bindings.hpp"

namespace py = pybind11;
using namespace asiofetch;

PYBIND11_MODULE(_core, m) {
  m.doc() = "asiofetch native engine: Boost.Asio + libcurl multi on one thread";

  m.attr("E_INVALID_URL") = static_cast<int>(ErrorKind::InvalidUrl);
  m.attr("E_DNS") = static_cast<int>(ErrorKind::Dns);
  m.attr("E_CONNECT") = static_cast<int>(ErrorKind::Connect);
  m.attr("E_TLS") = static_cast<int>(ErrorKind::Tls);
  m.attr("E_TLS_CERTIFICATE") = static_cast<int>(ErrorKind::TlsCertificate);
  m.attr("E_CONNECT_TIMEOUT") = static_cast<int>(ErrorKind::ConnectTimeout);
  m.attr("E_READ_TIMEOUT") = static_cast<int>(ErrorKind::ReadTimeout);
  m.attr("E_TOTAL_TIMEOUT") = static_cast<int>(ErrorKind::TotalTimeout);
  m.attr("E_POOL_TIMEOUT") = static_cast<int>(ErrorKind::PoolTimeout);
  m.attr("E_SERVER_DISCONNECTED") = static_cast<int>(ErrorKind::ServerDisconnected);
  m.attr("E_PAYLOAD_INCOMPLETE") = static_cast<int>(ErrorKind::PayloadIncomplete);
  m.attr("E_TOO_MANY_REDIRECTS") = static_cast<int>(ErrorKind::TooManyRedirects);
  m.attr("E_CANCELLED") = static_cast<int>(ErrorKind::Cancelled);
  m.attr("E_SESSION_CLOSED") = static_cast<int>(ErrorKind::SessionClosed);
  m.attr("E_OTHER") = static_cast<int>(ErrorKind::Other);
  m.attr("E_PROXY") = static_cast<int>(ErrorKind::Proxy);
  m.attr("E_BAD_RESPONSE") = static_cast<int>(ErrorKind::BadResponse);
  m.attr("E_RESOLVE_NEEDED") = static_cast<int>(ErrorKind::ResolveNeeded);
  m.attr("E_FINGERPRINT_MISMATCH") = static_cast<int>(ErrorKind::FingerprintMismatch);

  m.attr("HTTP_ANY") = static_cast<int>(HttpVersion::Any);
  m.attr("HTTP_1_1") = static_cast<int>(HttpVersion::Http1_1);
  m.attr("HTTP_2") = static_cast<int>(HttpVersion::Http2);
  m.attr("HTTP_2_PRIOR_KNOWLEDGE") = static_cast<int>(HttpVersion::Http2PriorKnowledge);

  m.attr("SUB_NONE") = static_cast<int>(ErrorSubKind::None);
  m.attr("SUB_REDIRECT_INVALID_URL") = static_cast<int>(ErrorSubKind::RedirectInvalidUrl);
  m.attr("SUB_REDIRECT_NON_HTTP") = static_cast<int>(ErrorSubKind::RedirectNonHttp);

  // Dependencies first: a class must be registered before a signature names it, or the
  // generated _core.pyi shows a C++ type name there.
  py_bind::register_args(m);
  py_bind::register_results(m);
  py_bind::register_upload(m);
  py_bind::register_flow(m);
  py_bind::register_options(m);
  py_bind::register_session(m);
  py_bind::register_mock(m);
  py_bind::register_rows(m);

  m.def("engine_stats", [] {
    EngineStats s = Engine::instance()->stats();
    py::dict d;
    d["in_flight"] = s.in_flight;
    d["queued"] = s.queued;
    d["easy_handles"] = s.easy_handles;
    d["sockets"] = s.sockets;
    d["sockets_opened"] = s.sockets_opened;
    d["sessions"] = s.sessions;
    return d;
  });
  m.def("curl_version", [] {
    ensure_curl_global_init();
    return std::string(curl_version());
  });
  m.def("new_id", [] { return Engine::next_id(); });
  m.def("shutdown", [] {
    py::gil_scoped_release nogil;  // the engine never takes the GIL, so joining cannot deadlock
    Engine::shutdown_instance();
  });
  m.def("after_fork_in_child", [] { Engine::forget_after_fork(); });
  m.def("set_ca_fallback", [](std::string path) { return set_ca_fallback_file(std::move(path)); });
  m.def("ca_trust", [] {
    const CaTrust& t = default_ca_trust();
    return py::make_tuple(t.file, t.dir, t.source);
  });
}
