// Mailbox.drain (outcomes -> futures in one pass), RawResponse and Stream for Python.
#include <Python.h>

#include <algorithm>
#include <pybind11/stl.h>

#include "asiofetch/engine.hpp"
#include "asiofetch/headers.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

py::str decode_header(const std::string& s) {
  // Like aiohttp: header bytes are utf-8, with undecodable bytes kept via surrogateescape.
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::list headers_list(const Headers& h) {
  py::list out(h.size());
  std::size_t i = 0;
  for (const auto& [k, v] : h) out[i++] = py::make_tuple(decode_header(k), decode_header(v));
  return out;
}

py::bytes to_bytes(const std::string& s) { return py::bytes(s.data(), s.size()); }

// Interned method names: drain() calls them once per outcome.
struct Names {
  py::object done, set_result, set_exception;
};
Names& names() {
  static Names* n = [] {
    auto* x = new Names{};  // immortal: destroyed never (no Python calls at exit)
    x->done = py::reinterpret_steal<py::object>(PyUnicode_InternFromString("done"));
    x->set_result = py::reinterpret_steal<py::object>(PyUnicode_InternFromString("set_result"));
    x->set_exception = py::reinterpret_steal<py::object>(PyUnicode_InternFromString("set_exception"));
    return x;
  }();
  return *n;
}

// An error message can quote what a server sent (libcurl's "unsupported transfer encoding:
// \xffchunked"), so it is not always UTF-8: a strict decode raised inside the drain and left
// the request's future pending forever. Undecodable bytes show as \xNN instead.
py::str message_str(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

// A failure as Python sees it: what the engine knows, as attributes (no text to parse).
struct PyNativeError {
  int kind = 0;
  int sub_kind = 0;
  int curl_code = 0;
  std::string message;
  std::string url;
  std::shared_ptr<const RedirectTrail> trail;  // TooManyRedirects: the hops followed
  std::string detail;                          // FingerprintMismatch: expected + got digests
};

py::object native_error(const Error& e) {
  return py::cast(PyNativeError{static_cast<int>(e.kind), static_cast<int>(e.sub_kind), e.curl_code, e.message, e.url,
                                e.trail, e.detail});
}

py::object make_exception(PyMailbox& mb, const Error& e) { return mb.make_error(native_error(e)); }

py::object value_of(PyMailbox& mb, Outcome& o) {
  if (o.response) return py::cast(PyRawResponse{std::move(o.response)});
  if (o.error) return make_exception(mb, o.error);
  return py::none();
}

// A gather's outcomes: (list of RawResponse-or-exception in input order, fail-fast index or None).
py::object batch_value(PyMailbox& mb, Outcome& o) {
  Outcomes& items = *o.batch;
  py::list out(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out[i] = value_of(mb, items[i]);
  py::object first = o.first_error == kNoIndex ? py::object(py::none()) : py::object(py::int_(o.first_error));
  return py::make_tuple(std::move(out), std::move(first));
}

// Completes one future; a failure in user-visible code must not stop the rest of the drain.
void complete(PyMailbox& mb, PyObject* fut, Outcome& o) {
  Names& n = names();
  PyObject* done = PyObject_CallMethodNoArgs(fut, n.done.ptr());
  if (!done) throw py::error_already_set();
  bool is_done = PyObject_IsTrue(done) == 1;
  Py_DECREF(done);
  if (is_done) return;  // cancelled meanwhile: completing it again would raise
  PyObject* method = o.error && !o.batch ? n.set_exception.ptr() : n.set_result.ptr();
  py::object value = o.batch ? batch_value(mb, o) : value_of(mb, o);
  PyObject* r = PyObject_CallMethodOneArg(fut, method, value.ptr());
  if (!r) throw py::error_already_set();
  Py_DECREF(r);
}

// When completing a future failed (a conversion or the loop's own machinery raised), the
// future still gets that exception: a request must never stay pending because its outcome
// could not be turned into Python objects.
void fail(PyObject* fut, py::error_already_set& e) {
  Names& n = names();
  py::object keep_fut = py::reinterpret_borrow<py::object>(fut);
  try {
    if (keep_fut.attr(n.done)().cast<bool>()) return;
    keep_fut.attr(n.set_exception)(e.value());
  } catch (py::error_already_set& again) {
    again.discard_as_unraisable("asiofetch: failing a request future");
    e.discard_as_unraisable("asiofetch: completing a request future");
  }
}

// Listener kinds: a streamed batch's item (ok / failed), a progress note, a stream's end.
enum ListenerKind { kItemOk = 0, kItemError = 1, kProgress = 2, kEnd = 3 };

void notify(PyMailbox& mb, PyObject* listener, Outcome& o) {
  int kind;
  py::object value;
  long long index = -1;
  if (o.note == Outcome::Note::Progress) {
    kind = kProgress;
    value = py::make_tuple(o.done, o.failed, o.total);
  } else if (o.note == Outcome::Note::End) {
    kind = kEnd;
    value = value_of(mb, o);
  } else {
    kind = o.error ? kItemError : kItemOk;
    index = static_cast<long long>(o.index);
    value = value_of(mb, o);
  }
  py::object r = py::reinterpret_borrow<py::object>(listener)(kind, index, value);
}

std::size_t drain(PyMailbox& mb, py::dict futures, py::object listeners) {
  std::vector<Outcome> outcomes = mb.native->take_all();
  for (auto& o : outcomes) {
    py::object key = py::reinterpret_steal<py::object>(PyLong_FromUnsignedLongLong(o.id));
    if (o.index != kNoIndex || o.note != Outcome::Note::None) {
      // Many outcomes for one id: the listener stays registered until Python removes it.
      if (listeners.is_none()) continue;
      PyObject* l = PyDict_GetItemWithError(listeners.ptr(), key.ptr());
      if (!l) {
        if (PyErr_Occurred()) throw py::error_already_set();
        continue;
      }
      py::object keep = py::reinterpret_borrow<py::object>(l);
      try {
        notify(mb, l, o);
      } catch (py::error_already_set& e) {
        // As for futures: an item or end whose value could not be made still reaches the
        // listener, as that exception, so the batch's count of outcomes stays whole.
        const bool item = o.note == Outcome::Note::None;
        if (item || o.note == Outcome::Note::End) {
          try {
            keep(item ? kItemError : kEnd, item ? static_cast<long long>(o.index) : -1LL, e.value());
          } catch (py::error_already_set& again) {
            again.discard_as_unraisable("asiofetch: notifying a batch listener");
          }
        } else {
          e.discard_as_unraisable("asiofetch: notifying a batch listener");
        }
      }
      continue;
    }
    PyObject* fut = PyDict_GetItemWithError(futures.ptr(), key.ptr());
    if (!fut) {
      if (PyErr_Occurred()) throw py::error_already_set();
      continue;  // nobody waits (the loop forgot it): drop
    }
    py::object keep = py::reinterpret_borrow<py::object>(fut);
    if (PyDict_DelItem(futures.ptr(), key.ptr()) != 0) throw py::error_already_set();
    try {
      complete(mb, fut, o);
    } catch (py::error_already_set& e) {
      fail(fut, e);
    }
  }
  return outcomes.size();
}

}  // namespace

void register_results(py::module_& m) {
  py::class_<PyNativeError>(m, "NativeError", "A native failure, structured: _native_errors maps it to aiohttp's class.")
      .def(py::init([](int kind, std::string message, std::string url, int sub_kind, int curl_code) {
        return PyNativeError{kind, sub_kind, curl_code, std::move(message), std::move(url), nullptr, {}};
      }), py::arg("kind"), py::arg("message"), py::kw_only(), py::arg("url") = "", py::arg("sub_kind") = 0,
          py::arg("curl_code") = 0)
      .def_readonly("kind", &PyNativeError::kind, "E_*: which failure")
      .def_readonly("sub_kind", &PyNativeError::sub_kind, "SUB_*: a finer reason within the kind")
      .def_readonly("curl_code", &PyNativeError::curl_code, "CURLcode, 0 for the engine's own failures")
      .def_property_readonly("message", [](const PyNativeError& e) { return message_str(e.message); },
                             "what failed; bytes that are not UTF-8 show as \\xNN")
      .def_property_readonly("url", [](const PyNativeError& e) { return message_str(e.url); },
                             "the URL it is about (a redirect's target for SUB_REDIRECT_*)")
      .def_property_readonly("history", [](const PyNativeError& e) {
        py::list out;
        if (e.trail)
          for (const auto& h : e.trail->hops)
            out.append(py::make_tuple(h.status, decode_header(h.reason), h.url, h.method, headers_list(h.headers)));
        return out;
      }, "TooManyRedirects: the redirect responses followed, as RawResponse.history")
      .def_property_readonly("detail", [](const PyNativeError& e) { return py::bytes(e.detail); },
                             "E_FINGERPRINT_MISMATCH: expected SHA-256 (32 bytes) + the peer certificate's (b'' otherwise)")
      .def_property_readonly("http_version", [](const PyNativeError& e) {
        return e.trail ? e.trail->http_version : std::string();
      }, "the HTTP version of `history`'s responses (\"\" without a history)")
      .def("__repr__", [](const PyNativeError& e) {
        return "NativeError(kind=" + std::to_string(e.kind) + ", sub_kind=" + std::to_string(e.sub_kind) +
               ", url=" + py::repr(py::str(e.url)).cast<std::string>() + ")";
      });

  py::class_<PyMailbox>(m, "Mailbox",
                        "One per event loop: the engine queues outcomes here and writes the wake-up fd once per\n"
                        "empty -> non-empty transition; the loop's reader callback calls drain().")
      .def(py::init([](py::object make_error) {
        if (!PyCallable_Check(make_error.ptr())) throw py::type_error("make_error must be callable");
        return PyMailbox{std::make_shared<Mailbox>(), std::move(make_error)};
      }), py::arg("make_error"))
      .def("fileno", [](const PyMailbox& mb) { return mb.native->fd(); })
      .def("drain", &drain, py::arg("futures"), py::arg("listeners") = py::none(),
           "Clear the wake-up fd, then complete every queued outcome in one pass (futures by id,\n"
           "listeners(kind, index, value) for ids with many outcomes). Returns how many were drained.")
      .def("close", [](PyMailbox& mb) { mb.native->close(); })
      .def_property_readonly("closed", [](const PyMailbox& mb) { return mb.native->closed(); });

  py::class_<PyStream>(m, "Stream", "Body of a streamed response, filled by the engine with backpressure.")
      .def("read_nowait", [](PyStream& s, std::ptrdiff_t n) -> py::object {
        std::optional<std::string> chunk;
        {
          py::gil_scoped_release nogil;  // may copy a large buffered body
          chunk = s.buf->read(n);
        }
        if (!chunk) return py::none();
        return to_bytes(*chunk);
      }, py::arg("n") = -1,
         "Up to n bytes (all buffered when n < 0); b'' at the end of the body or after an error;\n"
         "None when nothing is buffered yet.")
      .def("wait", [](PyStream& s, PyMailbox& mb, RequestId id) { s.buf->wait(mb.native, id); }, py::arg("mailbox"),
           py::arg("id"),
           "Outcome `id` (result None) is queued in `mailbox` as soon as data, the end of the body or\n"
           "an error is available (at once if already so).")
      .def("error", [](PyStream& s) -> std::optional<PyNativeError> {
        Error e = s.buf->error();
        if (!e) return std::nullopt;
        return PyNativeError{static_cast<int>(e.kind), static_cast<int>(e.sub_kind), e.curl_code, e.message, e.url, e.trail,
                             e.detail};
      })
      .def("abort", [](PyStream& s) { s.buf->abort(); })
      .def_property_readonly("at_eof", [](PyStream& s) { return s.buf->at_eof(); })
      .def_property_readonly("buffered", [](PyStream& s) { return s.buf->buffered(); },
                             "decoded bytes waiting to be read (at most high_water plus one chunk)")
      .def_property_readonly("high_water", [](PyStream& s) { return s.buf->high_water(); })
      .def_property_readonly("raw_bytes", [](PyStream& s) { return s.buf->raw_bytes(); },
                             "body bytes received on the wire so far (before decoding)");

  py::class_<PyRawResponse>(m, "RawResponse", "A response as the engine delivers it; converted to Python lazily.")
      .def_property_readonly("status", [](const PyRawResponse& r) { return r.r->status; })
      .def_property_readonly("reason", [](const PyRawResponse& r) { return decode_header(r.r->reason); })
      .def_property_readonly("http_version", [](const PyRawResponse& r) { return r.r->http_version; })
      .def_property_readonly("url", [](const PyRawResponse& r) { return r.r->url; })
      .def_property_readonly("method", [](const PyRawResponse& r) { return r.r->method; })
      .def_property_readonly("attempts", [](const PyRawResponse& r) { return r.r->attempts; })
      .def_property_readonly("hedge", [](const PyRawResponse& r) { return r.r->hedge; })
      .def_property_readonly("headers", [](const PyRawResponse& r) { return headers_list(r.r->headers); })
      .def_property_readonly("body", [](const PyRawResponse& r) { return to_bytes(r.r->body); })
      .def_property_readonly("raw_bytes", [](const PyRawResponse& r) { return r.r->raw_bytes; },
                             "a whole body's bytes on the wire (before decoding); 0 when streamed")
      .def_property_readonly("high_water", [](const PyRawResponse& r) { return r.r->high_water; },
                             "the stream pause mark the request had (2 * read_bufsize)")
      // The cookie jar's question, answered without turning every header into Python objects.
      .def_property_readonly("sets_cookies", [](const PyRawResponse& r) {
        if (has_header(r.r->headers, "set-cookie")) return true;
        return std::any_of(r.r->history.begin(), r.r->history.end(),
                           [](const HopResponse& h) { return has_header(h.headers, "set-cookie"); });
      })
      .def_property_readonly("history", [](const PyRawResponse& r) {
        py::list out;
        for (const auto& h : r.r->history)
          out.append(py::make_tuple(h.status, decode_header(h.reason), h.url, h.method, headers_list(h.headers)));
        return out;
      })
      .def_property_readonly("timings", [](const PyRawResponse& r) {
        const Timings& t = r.r->timings;
        py::dict d;
        d["dns"] = t.dns;
        d["connect"] = t.connect;
        d["tls"] = t.tls;
        d["first_byte"] = t.first_byte;
        // A streamed response's head went out before the body's end: its stream has `total`.
        d["total"] = t.total == 0 && r.r->stream ? r.r->stream->total_time() : t.total;
        d["queued"] = t.queued;
        return d;
      })
      .def_property_readonly("stream", [](const PyRawResponse& r) -> py::object {
        if (!r.r->stream) return py::none();
        return py::cast(PyStream{r.r->stream});
      });
}

}  // namespace asiofetch::py_bind
