#include "bindings/py_args.hpp"

#include <pybind11/stl.h>

#include <cctype>
#include <cmath>
#include <string_view>

#include "bindings/bindings.hpp"
#include "bindings/py_request.hpp"

namespace asiofetch::py_bind {

namespace {

std::string type_name(py::handle v) { return Py_TYPE(v.ptr())->tp_name; }

std::string repr_of(py::handle v) { return py::repr(v).cast<std::string>(); }

bool is_real_number(py::handle v) {
  return !PyBool_Check(v.ptr()) && (PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr()));
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
std::string scheme_of(std::string_view url) {
  std::size_t i = 0;
  while (i < url.size()) {
    unsigned char c = static_cast<unsigned char>(url[i]);
    if (c == ':') break;
    if (!(std::isalpha(c) || (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.')))) return {};
    ++i;
  }
  if (i == 0 || i == url.size()) return {};
  std::string out;
  for (char c : url.substr(0, i)) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace

std::optional<double> seconds_arg(const std::string& name, py::handle v, bool allow_none) {
  if (v.is_none() && allow_none) return std::nullopt;
  if (!is_real_number(v))
    throw py::type_error(name + " must be a number of seconds" + (allow_none ? " or None" : "") + ", got " +
                         type_name(v));
  double s = PyFloat_AsDouble(v.ptr());
  if (s == -1.0 && PyErr_Occurred()) throw py::error_already_set();  // an int too large for a double
  if (std::isnan(s) || s < 0) throw py::value_error(name + " must be >= 0, got " + repr_of(v));
  return s;
}

std::chrono::milliseconds to_millis(double seconds) {
  if (!(seconds > 0) || std::isinf(seconds)) return std::chrono::milliseconds(0);
  double ms = std::round(seconds * 1000.0);
  if (ms < 1) ms = 1;
  // Beyond ~292 million years: no limit in practice, and no overflow of the rep type.
  if (ms >= 9.2e18) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::chrono::milliseconds millis_arg(const std::string& name, py::handle v) {
  auto s = seconds_arg(name, v, true);
  return s ? to_millis(*s) : std::chrono::milliseconds(0);
}

long long int_arg(const std::string& name, py::handle v, long long lo, long long hi) {
  if (PyBool_Check(v.ptr()) || !PyLong_Check(v.ptr()))
    throw py::type_error(name + " must be an int, got " + type_name(v));
  int overflow = 0;
  long long n = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (n == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow < 0 || (overflow == 0 && n < lo))
    throw py::value_error(name + " must be >= " + std::to_string(lo) + ", got " + repr_of(v));
  if (overflow > 0 || n > hi) {
    PyErr_SetString(PyExc_OverflowError,
                    (name + " must be <= " + std::to_string(hi) + ", got " + repr_of(v)).c_str());
    throw py::error_already_set();
  }
  return n;
}

std::size_t concurrency_arg(py::handle v) {
  if (v.is_none()) return 0;
  if (PyBool_Check(v.ptr()) || !PyLong_Check(v.ptr()))
    throw py::type_error("concurrency must be an int or None, got " + type_name(v));
  return static_cast<std::size_t>(int_arg("concurrency", v, 1, PY_SSIZE_T_MAX));
}

std::pair<std::size_t, std::size_t> stream_window(py::handle concurrency, py::handle buffer) {
  if (concurrency.is_none()) throw py::value_error("as_completed needs a concurrency bound (an int >= 1)");
  const std::size_t bound = concurrency_arg(concurrency);
  std::size_t extra = bound;
  if (!buffer.is_none()) {
    if (PyBool_Check(buffer.ptr()) || !PyLong_Check(buffer.ptr()))
      throw py::type_error("buffer must be an int or None, got " + type_name(buffer));
    extra = static_cast<std::size_t>(int_arg("buffer", buffer, 0, PY_SSIZE_T_MAX));
  }
  return {bound, bound + extra};  // both <= PY_SSIZE_T_MAX: no overflow
}

bool bool_arg(const std::string& name, py::handle v) {
  if (!PyBool_Check(v.ptr())) throw py::type_error(name + " must be a bool, got " + type_name(v));
  return v.ptr() == Py_True;
}

double number_arg(const std::string& name, py::handle v) {
  if (!is_real_number(v)) throw py::type_error(name + " must be a number, got " + type_name(v));
  double d = PyFloat_AsDouble(v.ptr());
  if (d == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (std::isnan(d)) throw py::value_error(name + " must not be NaN");
  return d;
}

std::string normalize_method(py::handle method) {
  if (!PyUnicode_Check(method.ptr())) throw py::type_error("method must be str, got " + type_name(method));
  std::string up(as_str(method.ptr(), "method"));
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!is_token(up)) throw py::value_error("Method cannot contain non-token characters " + repr_of(py::str(up)));
  return up;
}

py::object errors_class(const char* name) {
  return py::module_::import("asiofetch._errors").attr(name);
}

void raise_invalid_url(const std::string& url, const std::string& why) {
  std::string scheme = scheme_of(url);
  py::object exc = (!scheme.empty() && scheme != "http" && scheme != "https")
                       ? errors_class("NonHttpUrlClientError")(url)
                       : errors_class("InvalidUrlClientError")(url, why);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void raise_session_closed(const std::string& message) {
  py::object exc = errors_class("SessionClosedError")(message);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

std::optional<std::chrono::milliseconds> deadline_arg(py::handle v) {
  if (v.is_none()) return std::nullopt;
  if (!is_real_number(v)) throw py::type_error("deadline must be a number of seconds or None, got " + type_name(v));
  double s = PyFloat_AsDouble(v.ptr());
  if (s == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (!(s > 0)) throw py::value_error("deadline must be > 0 seconds, got " + repr_of(v));
  return to_millis(s);
}

void register_args(py::module_& m) {
  m.def("check_seconds", [](const std::string& name, py::handle v) { return seconds_arg(name, v, true); },
        py::arg("name"), py::arg("value"),
        "The value as float seconds (None stays None); TypeError/ValueError naming `name`.");
  m.def("check_deadline", [](py::handle v) { deadline_arg(v); }, py::arg("deadline"),
        "A batch deadline: None, or seconds > 0; TypeError/ValueError otherwise.");
  m.def("stream_window", &stream_window, py::arg("concurrency"), py::arg("buffer"),
        "as_completed's (bound, window): concurrency an int >= 1, buffer None or an int >= 0\n"
        "(window = concurrency + buffer, or 2 * concurrency when buffer is None).");
  m.def("check_headers", [](py::handle headers) { parse_headers(headers); }, py::arg("headers"),
        "A list of (name, value) str pairs: names RFC 9110 tokens, values without CR, LF, NUL.");
  m.def("normalize_method", [](py::handle m) { return normalize_method(m); }, py::arg("method"),
        "The method upper-cased; TypeError for a non-str, ValueError for a non-token.");
}

}  // namespace asiofetch::py_bind
