// Options: per-request settings built once from keyword arguments and shared by reference.
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

Millis to_millis(const std::string& key, py::handle v) {
  if (v.is_none()) return Millis(0);
  if (!py::isinstance<py::float_>(v) && !py::isinstance<py::int_>(v))
    throw py::type_error(key + " must be a number of seconds or None");
  double s = v.cast<double>();
  if (std::isnan(s) || s < 0) throw py::value_error(key + " must be >= 0, got " + std::to_string(s));
  if (s > 0 && s < 0.001) s = 0.001;  // a positive timeout never means "no limit"
  if (std::isinf(s)) return Millis(0);
  return Millis(static_cast<long long>(std::llround(s * 1000.0)));
}

template <class T>
T typed(const std::string& key, py::handle v) {
  try {
    return v.cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error("Options: bad type for " + key);
  }
}

void apply(RequestOptions& o, const std::string& key, py::handle v) {
  if (key == "connect_timeout") o.connect_timeout = to_millis(key, v);
  else if (key == "read_timeout") o.read_timeout = to_millis(key, v);
  else if (key == "total_timeout") o.total_timeout = to_millis(key, v);
  else if (key == "pool_timeout") o.pool_timeout = to_millis(key, v);
  else if (key == "follow_redirects") o.follow_redirects = typed<bool>(key, v);
  else if (key == "max_redirects") {
    o.max_redirects = typed<int>(key, v);
    if (o.max_redirects < 0) throw py::value_error("max_redirects must be >= 0");
  } else if (key == "verify_tls") o.verify_tls = typed<bool>(key, v);
  else if (key == "ca_file") o.ca_file = typed<std::string>(key, v);
  else if (key == "client_cert") o.client_cert = typed<std::string>(key, v);
  else if (key == "client_key") o.client_key = typed<std::string>(key, v);
  else if (key == "http_version") {
    int hv = typed<int>(key, v);
    if (hv < 0 || hv > 3) throw py::value_error("http_version must be one of HTTP_*");
    o.http_version = static_cast<HttpVersion>(hv);
  } else if (key == "auto_decompress") o.auto_decompress = typed<bool>(key, v);
  else if (key == "proxy") o.proxy = typed<std::string>(key, v);
  else if (key == "stream") o.stream = typed<bool>(key, v);
  else if (key == "stream_high_water") {
    long long hw = typed<long long>(key, v);
    if (hw <= 0) throw py::value_error("stream_high_water must be > 0");
    o.stream_high_water = static_cast<std::size_t>(hw);
  } else if (key == "hedge_after") {
    o.hedge_after = to_millis(key, v);
  } else if (key == "hedge_max_extra") {
    o.hedge_max_extra = typed<int>(key, v);
    if (o.hedge_max_extra < 0 || o.hedge_max_extra > 16) throw py::value_error("hedge_max_extra must be 0..16");
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
  py::class_<PyOptions>(m, "Options")
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
      .def_property_readonly("stream_high_water", [](const PyOptions& s) { return s.opts->stream_high_water; })
      .def_property_readonly("has_retry", [](const PyOptions& s) { return s.opts->retry != nullptr; });
}

}  // namespace asiofetch::py_bind
