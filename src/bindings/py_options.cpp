// Options: per-request settings built once from keyword arguments and shared by reference.
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "asiofetch/tls_fingerprint.hpp"
#include "asiofetch/url.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_args.hpp"
#include "bindings/py_request.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

template <class T>
T typed(const std::string& key, py::handle v) {
  try {
    return v.cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error("Options: bad type for " + key);
  }
}

std::string str_arg(const std::string& name, py::handle v) {
  if (!PyUnicode_Check(v.ptr())) throw py::type_error(name + " must be str, got " + Py_TYPE(v.ptr())->tp_name);
  return std::string(as_str(v.ptr(), name.c_str()));
}

// Keys are the engine's names; messages name the argument the user wrote (aiohttp's names).
void apply(RequestOptions& o, const std::string& key, py::handle v) {
  if (key == "connect_timeout") o.connect_timeout = millis_arg(key, v);
  else if (key == "read_timeout") o.read_timeout = millis_arg(key, v);
  else if (key == "total_timeout") o.total_timeout = millis_arg(key, v);
  else if (key == "pool_timeout") o.pool_timeout = millis_arg(key, v);
  else if (key == "follow_redirects") o.follow_redirects = bool_arg("allow_redirects", v);
  else if (key == "max_redirects") {
    auto n = static_cast<int>(int_arg("max_redirects", v, 0, kMaxRedirectsUnlimited));
    o.max_redirects = n == 0 ? kMaxRedirectsUnlimited : n;  // aiohttp: 0 disables the limit
  } else if (key == "verify_tls") o.verify_tls = bool_arg(key, v);
  else if (key == "ca_file") o.ca_file = str_arg(key, v);
  else if (key == "client_cert") o.client_cert = str_arg(key, v);
  else if (key == "client_key") o.client_key = str_arg(key, v);
  else if (key == "http_version") {
    o.http_version = static_cast<HttpVersion>(int_arg(key, v, 0, 3));
  } else if (key == "auto_decompress") o.auto_decompress = bool_arg(key, v);
  else if (key == "proxy") o.proxy = str_arg("proxy", v);
  else if (key == "stream") o.stream = bool_arg(key, v);
  else if (key == "resolve_hook") o.resolve_hook = bool_arg(key, v);
  else if (key == "session_authorization") {
    o.session_authorization = str_arg(key, v);
    if (has_forbidden_header_chars(o.session_authorization))
      throw py::value_error("session_authorization must be one header line");
  }
  else if (key == "fingerprint") {
    if (!PyBytes_Check(v.ptr())) throw py::type_error(std::string("fingerprint must be bytes, got ") + Py_TYPE(v.ptr())->tp_name);
    std::string fp = v.cast<std::string>();
    if (!fp.empty() && fp.size() != 32) throw py::value_error("fingerprint must be a SHA-256 digest (32 bytes) or empty");
    // Refused here, where ssl=Fingerprint(...) was given, rather than by every request.
    if (!fp.empty() && !fingerprint_supported()) {
      const curl_version_info_data* cv = curl_version_info(CURLVERSION_NOW);
      throw py::value_error(std::string("ssl=Fingerprint(...) cannot be checked: this libcurl uses ") +
                            (cv && cv->ssl_version ? cv->ssl_version : "no TLS library") +
                            ", not the OpenSSL asiofetch was built with, so the server's certificate cannot be "
                            "read (the wheel's bundled libcurl can)");
    }
    o.fingerprint = std::move(fp);
  }
  else if (key == "stream_high_water") {
    o.stream_high_water = static_cast<std::size_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "max_body_size") {
    o.max_body_size = v.is_none() ? 0 : static_cast<std::uint64_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "batch_max_body_size") {
    o.batch_max_body_size = v.is_none() ? 0 : static_cast<std::uint64_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "max_decompressed_size") {
    o.max_decompressed_size = v.is_none() ? 0 : static_cast<std::uint64_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "max_line_size") {
    o.head_limits.max_line_size = static_cast<std::size_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "max_field_size") {
    o.head_limits.max_field_size = static_cast<std::size_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "max_headers") {
    o.head_limits.max_headers = static_cast<std::size_t>(int_arg(key, v, 1, PY_SSIZE_T_MAX));
  } else if (key == "hedge") {
    if (v.is_none()) {
      o.hedge_after = Millis(0);
      o.hedge_max_extra = 0;
    } else {
      const auto& h = typed<const PyHedge&>(key, v);
      o.hedge_after = h.after;
      o.hedge_max_extra = h.max_extra;
    }
  } else if (key == "retry") {
    o.retry = v.is_none() ? nullptr : typed<const PyRetry&>(key, v).policy;
  } else if (key == "semaphore") {
    o.semaphore = v.is_none() ? nullptr : typed<const PySemaphore&>(key, v).sem;
  } else if (key == "rate_limit") {
    o.rate_limit = v.is_none() ? nullptr : typed<const PyRateLimit&>(key, v).limiter;
  } else
    throw py::type_error("Options got an unexpected keyword argument '" + key + "'");
}

double secs(Millis m) { return static_cast<double>(m.count()) / 1000.0; }

}  // namespace

void register_options(py::module_& m) {
  m.attr("MAX_REDIRECTS") = RequestOptions{}.max_redirects;
  m.attr("MAX_REDIRECTS_UNLIMITED") = kMaxRedirectsUnlimited;

  py::class_<PyOptions>(m, "Options",
                        "Immutable per-request options, built once per combination and shared. Keyword\n"
                        "arguments: connect/read/total/pool_timeout (seconds, None or 0: no limit),\n"
                        "follow_redirects, max_redirects (0: MAX_REDIRECTS_UNLIMITED), verify_tls, ca_file,\n"
                        "client_cert, client_key, http_version (HTTP_*), auto_decompress, proxy, stream,\n"
                        "stream_high_water, max_body_size, max_decompressed_size, batch_max_body_size (None: no limit), hedge (HedgePolicy), retry, semaphore, rate_limit.")
      .def(py::init([](py::kwargs kw) {
        auto o = std::make_shared<RequestOptions>();
        for (auto [k, v] : kw) apply(*o, k.cast<std::string>(), v);
        return PyOptions{std::move(o)};
      }))
      .def("replace", [](const PyOptions& self, py::kwargs kw) {
        auto o = std::make_shared<RequestOptions>(*self.opts);
        for (auto [k, v] : kw) apply(*o, k.cast<std::string>(), v);
        return PyOptions{std::move(o)};
      })
      .def_property_readonly("connect_timeout", [](const PyOptions& s) { return secs(s.opts->connect_timeout); })
      .def_property_readonly("read_timeout", [](const PyOptions& s) { return secs(s.opts->read_timeout); })
      .def_property_readonly("total_timeout", [](const PyOptions& s) { return secs(s.opts->total_timeout); })
      .def_property_readonly("pool_timeout", [](const PyOptions& s) { return secs(s.opts->pool_timeout); })
      .def_property_readonly("follow_redirects", [](const PyOptions& s) { return s.opts->follow_redirects; })
      .def_property_readonly("max_redirects", [](const PyOptions& s) { return s.opts->max_redirects; })
      .def_property_readonly("verify_tls", [](const PyOptions& s) { return s.opts->verify_tls; })
      .def_property_readonly("ca_file", [](const PyOptions& s) { return s.opts->ca_file; })
      .def_property_readonly("client_cert", [](const PyOptions& s) { return s.opts->client_cert; })
      .def_property_readonly("client_key", [](const PyOptions& s) { return s.opts->client_key; })
      .def_property_readonly("http_version", [](const PyOptions& s) { return static_cast<int>(s.opts->http_version); })
      .def_property_readonly("auto_decompress", [](const PyOptions& s) { return s.opts->auto_decompress; })
      .def_property_readonly("proxy", [](const PyOptions& s) { return s.opts->proxy; })
      .def_property_readonly("stream", [](const PyOptions& s) { return s.opts->stream; })
      .def_property_readonly("resolve_hook", [](const PyOptions& s) { return s.opts->resolve_hook; })
      .def_property_readonly("session_authorization", [](const PyOptions& s) { return s.opts->session_authorization; })
      .def_property_readonly("fingerprint", [](const PyOptions& s) { return py::bytes(s.opts->fingerprint); })
      .def_property_readonly("stream_high_water", [](const PyOptions& s) { return s.opts->stream_high_water; })
      .def_property_readonly("max_body_size", [](const PyOptions& s) -> std::optional<std::uint64_t> {
        if (!s.opts->max_body_size) return std::nullopt;
        return s.opts->max_body_size;
      })
      .def_property_readonly("batch_max_body_size", [](const PyOptions& s) -> std::optional<std::uint64_t> {
        if (!s.opts->batch_max_body_size) return std::nullopt;
        return s.opts->batch_max_body_size;
      })
      .def_property_readonly("max_decompressed_size", [](const PyOptions& s) -> std::optional<std::uint64_t> {
        if (!s.opts->max_decompressed_size) return std::nullopt;
        return s.opts->max_decompressed_size;
      })
      .def_property_readonly("hedge_after", [](const PyOptions& s) { return secs(s.opts->hedge_after); })
      .def_property_readonly("hedge_max_extra", [](const PyOptions& s) { return s.opts->hedge_max_extra; })
      .def_property_readonly("has_retry", [](const PyOptions& s) { return s.opts->retry != nullptr; });
}

}  // namespace asiofetch::py_bind
