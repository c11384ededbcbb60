// Turning Python request arguments into native Requests, with the call-site validation.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "asiofetch/request.hpp"

namespace asiofetch::py_bind {

namespace py = pybind11;

std::string_view as_str(PyObject* o, const char* what);
// RFC 9110 token: what a method or a header name may be made of.
bool is_token(std::string_view s);

void set_method(Request& r, py::handle method);  // normalize_method (py_args.hpp)
// Sets r.url and returns the origin (scheme://host:port); raises InvalidUrlClientError or
// NonHttpUrlClientError.
std::string set_url(Request& r, py::handle url);
// A list/tuple of (str, str) pairs; names must be tokens, values free of CR, LF and NUL.
Headers parse_headers(py::handle headers);
// bytes or None; with allow_upload also an UploadSource (a streamed body).
void set_body(Request& r, py::handle body, bool allow_upload = false);
void set_fallback(Request& r, py::handle urls);  // a sequence of http(s) URL strs, or None

}  // namespace asiofetch::py_bind
