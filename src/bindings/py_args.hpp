// Call-site argument checks shared by every binding: one implementation per rule, Python-style errors.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace asiofetch::py_bind {

namespace py = pybind11;

// A number of seconds (int or float, not bool): TypeError otherwise, ValueError when negative
// or NaN. None gives nullopt when `allow_none`, else a TypeError. Infinity is kept.
std::optional<double> seconds_arg(const std::string& name, py::handle v, bool allow_none = true);

// The one seconds -> milliseconds conversion of the package. 0 and infinity mean "no limit"
// (0 ms); a positive value below 1 ms becomes 1 ms, so a positive timeout never means "no
// limit"; the rest is rounded to the nearest millisecond.
std::chrono::milliseconds to_millis(double seconds);

// seconds_arg then to_millis; None is 0 (no limit).
std::chrono::milliseconds millis_arg(const std::string& name, py::handle v);

// A batch's `deadline=`: None (nullopt) or seconds > 0, in milliseconds.
std::optional<std::chrono::milliseconds> deadline_arg(py::handle v);

// An int (not bool): TypeError otherwise; ValueError below `lo`; OverflowError above `hi`
// (the native type's range).
long long int_arg(const std::string& name, py::handle v, long long lo, long long hi);

// A batch's `concurrency=`: None (0, no bound of its own) or an int >= 1. TypeError,
// ValueError or OverflowError naming it, as int_arg.
std::size_t concurrency_arg(py::handle v);

// A streamed batch's window (as_completed): `concurrency` an int >= 1 (None: ValueError, a
// stream needs a bound), `buffer` None or an int >= 0. Returns (bound, window): at most
// `bound` requests in flight and `window` = bound + buffer (buffer None: bound) read from the
// input but not yet handed to the caller.
std::pair<std::size_t, std::size_t> stream_window(py::handle concurrency, py::handle buffer);

// A bool (True/False only): TypeError otherwise.
bool bool_arg(const std::string& name, py::handle v);

// A real number (int or float, not bool): TypeError otherwise; ValueError for NaN.
double number_arg(const std::string& name, py::handle v);

// An HTTP method: str (TypeError), upper-cased, an RFC 9110 token (ValueError).
std::string normalize_method(py::handle method);

// asiofetch._errors' class `name` (imported on first use: _errors imports nothing native).
py::object errors_class(const char* name);

// InvalidUrlClientError(url, why), or NonHttpUrlClientError(url) when the URL has a scheme
// other than http(s): the classes aiohttp raises for a URL it refuses.
[[noreturn]] void raise_invalid_url(const std::string& url, const std::string& why);

// SessionClosedError(message): also a RuntimeError, like aiohttp's "Session is closed".
[[noreturn]] void raise_session_closed(const std::string& message);

}  // namespace asiofetch::py_bind
