#include "bindings/py_request.hpp"

#include "asiofetch/url.hpp"
#include "bindings/py_args.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

std::string_view as_str(PyObject* o, const char* what) {
  if (!PyUnicode_Check(o)) throw py::type_error(std::string(what) + " must be str");
  Py_ssize_t n = 0;
  const char* p = PyUnicode_AsUTF8AndSize(o, &n);
  if (!p) throw py::error_already_set();
  return {p, static_cast<std::size_t>(n)};
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) != std::string_view::npos) return false;
  }
  return true;
}

void set_method(Request& r, py::handle method) { r.method = normalize_method(method); }

std::string set_url(Request& r, py::handle url) {
  const auto given = as_str(url.ptr(), "url");
  std::string why;
  auto normalized = normalize_url(given, why);
  if (!normalized) raise_invalid_url(std::string(given), why);
  r.url = std::move(*normalized);
  auto parsed = parse_http_url(r.url, why);
  if (!parsed) raise_invalid_url(r.url, why);
  return std::move(parsed->origin);
}

Headers parse_headers(py::handle headers) {
  Headers out;
  if (headers.is_none()) return out;
  py::object seq = py::reinterpret_steal<py::object>(
      PySequence_Fast(headers.ptr(), "headers must be a list of (name, value) pairs"));
  if (!seq) throw py::error_already_set();
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  out.reserve(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* pair = items[i];
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2)
      throw py::type_error("headers must be a list of (name, value) pairs");
    auto k = as_str(PyTuple_GET_ITEM(pair, 0), "header name");
    auto v = as_str(PyTuple_GET_ITEM(pair, 1), "header value");
    if (!is_token(k)) throw py::value_error("invalid header name: " + std::string(k));
    if (has_forbidden_header_chars(v))
      throw py::value_error("header value for " + std::string(k) + " contains CR, LF or NUL");
    out.emplace_back(std::string(k), std::string(v));
  }
  return out;
}

void set_body(Request& r, py::handle body, bool allow_upload) {
  if (body.is_none()) return;
  if (allow_upload && py::isinstance<PyUpload>(body)) {
    r.upload = body.cast<PyUpload&>().src;
    return;
  }
  if (!PyBytes_Check(body.ptr()))
    throw py::type_error(allow_upload ? "body must be bytes, an UploadSource or None" : "body must be bytes or None");
  char* p = nullptr;
  Py_ssize_t n = 0;
  PyBytes_AsStringAndSize(body.ptr(), &p, &n);
  r.body.assign(p, static_cast<std::size_t>(n));
}

void set_fallback(Request& r, py::handle urls) {
  if (urls.is_none()) return;
  py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(urls.ptr(), "fallback must be a list of URLs"));
  if (!seq) throw py::error_already_set();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  for (Py_ssize_t i = 0; i < n; ++i) {
    Request probe;
    set_url(probe, items[i]);  // same checks as the main URL, raised at the call site
    r.fallback.push_back(std::move(probe.url));
  }
}

}  // namespace asiofetch::py_bind
