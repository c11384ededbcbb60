// UploadSource: the native queue a Python feeder pushes a streamed request body into.
#include <Python.h>

#include <string>

#include "asiofetch/upload_source.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

void register_upload(py::module_& m) {
  m.attr("UPLOAD_ACCEPTED") = static_cast<int>(UploadSource::Push::Accepted);
  m.attr("UPLOAD_FULL") = static_cast<int>(UploadSource::Push::Full);
  m.attr("UPLOAD_CLOSED") = static_cast<int>(UploadSource::Push::Closed);
  m.attr("UPLOAD_REWOUND") = static_cast<int>(UploadSource::Push::Rewound);

  py::class_<PyUpload>(m, "UploadSource",
                       "A streamed request body: the feeder pushes chunks, libcurl's read callback drains them\n"
                       "on the engine thread. Holds at most high_water bytes.")
      .def(py::init([](std::size_t high_water, py::object size, bool replayable) {
        if (high_water == 0) throw py::value_error("high_water must be >= 1");
        std::int64_t n = -1;
        if (!size.is_none()) {
          n = size.cast<std::int64_t>();
          if (n < 0) throw py::value_error("size must be >= 0 or None");
        }
        return PyUpload{std::make_shared<UploadSource>(high_water, n, replayable)};
      }), py::arg("high_water"), py::arg("size") = py::none(), py::arg("replayable") = false,
         "replayable: the feeder can send the body again from its start when the engine retries\n"
         "(push answers UPLOAD_REWOUND: call restart() and feed it again).")
      .def("push", [](PyUpload& u, py::buffer chunk) {
        py::buffer_info info = chunk.request();
        std::string data(static_cast<const char*>(info.ptr), static_cast<std::size_t>(info.size * info.itemsize));
        return static_cast<int>(u.src->push(std::move(data)));
      }, py::arg("chunk"),
         "UPLOAD_ACCEPTED, UPLOAD_FULL (nothing taken: wait() and push it again) or UPLOAD_CLOSED\n"
         "(the transfer no longer reads: stop feeding) or UPLOAD_REWOUND (a retry: restart()). Chunks must be at most high_water bytes\n"
         "long for the bound to hold.")
      .def("close", [](PyUpload& u) { u.src->close(); }, "End of body.")
      .def("fail", [](PyUpload& u, std::string message) { u.src->fail(std::move(message)); }, py::arg("message"),
           "The feeder failed: the transfer aborts.")
      .def("wait", [](PyUpload& u, PyMailbox& mb, RequestId id) { u.src->wait(mb.native, id); }, py::arg("mailbox"),
           py::arg("id"),
           "Outcome `id` (result None) is queued in `mailbox` once push() may succeed again or the\n"
           "transfer stopped reading (at once if already so).")
      .def("wait_end", [](PyUpload& u, PyMailbox& mb, RequestId id) { u.src->wait_end(mb.native, id); },
           py::arg("mailbox"), py::arg("id"),
           "After close(): outcome `id` is queued once the engine rewinds the body for a retry or\n"
           "the transfer ends (at once if either already happened).")
      .def("restart", [](PyUpload& u) { u.src->restart(); }, "Acknowledge a rewind: feed from the start.")
      .def_property_readonly("rewound", [](const PyUpload& u) { return u.src->rewound(); },
                             "a retry asked for the body again (restart() not yet called)")
      .def_property_readonly("replayable", [](const PyUpload& u) { return u.src->replayable(); })
      .def_property_readonly("high_water", [](const PyUpload& u) { return u.src->high_water(); })
      .def_property_readonly("size", [](const PyUpload& u) -> py::object {
        return u.src->size() < 0 ? py::object(py::none()) : py::int_(u.src->size());
      })
      .def_property_readonly("buffered", [](const PyUpload& u) { return u.src->buffered(); })
      .def_property_readonly("peak", [](const PyUpload& u) { return u.src->peak(); },
                             "the most bytes ever queued at once")
      .def_property_readonly("total_read", [](const PyUpload& u) { return u.src->total_read(); })
      .def_property_readonly("detached", [](const PyUpload& u) { return u.src->detached(); });
}

}  // namespace asiofetch::py_bind
