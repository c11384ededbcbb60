// RowEncoder: the bulk-fetch job's JSONL rows built from RawResponses in one native call per chunk.
#include <Python.h>

#include <pybind11/stl.h>

#include <string>

#include "asiofetch/jsonl_row.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

// Created, used and destroyed with the GIL held, by the one task that writes the rows.
struct PyRowEncoder {
  jsonl::RowFormat format;
  jsonl::RowStats stats;  // the rows encoded since the last take_stats()
};

// A str's UTF-8, or nothing when it holds lone surrogates (undecodable input bytes, which only
// Python's fallback encoder writes back as they came).
std::optional<std::string_view> utf8_of(PyObject* o) {
  if (!PyUnicode_Check(o)) throw py::type_error("RowEncoder.encode: key, method and url must be str");
  Py_ssize_t n = 0;
  const char* s = PyUnicode_AsUTF8AndSize(o, &n);
  if (!s) {
    PyErr_Clear();
    return std::nullopt;
  }
  return std::string_view(s, static_cast<std::size_t>(n));
}

PyRowEncoder make_encoder(const std::vector<std::string>& columns, long long inline_max, bool spill_large) {
  PyRowEncoder e;
  if (columns.empty()) throw py::value_error("RowEncoder: columns must not be empty");
  for (const auto& name : columns) {
    auto c = jsonl::column_named(name);
    if (!c) throw py::value_error("RowEncoder: unknown column " + name);
    e.format.columns.push_back(*c);
  }
  if (inline_max < 0) throw py::value_error("RowEncoder: inline_max must be >= 0");
  e.format.inline_max = static_cast<std::size_t>(inline_max);
  e.format.spill_large = spill_large;
  return e;
}

// rows: (key, line, method, url, RawResponse) tuples or None. Returns one entry per row: its
// bytes, or None where Python must write the row (None given, or jsonl::append_row says so).
py::list encode(PyRowEncoder& self, py::handle rows) {
  py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(rows.ptr(), "rows must be a sequence"));
  if (!seq) throw py::error_already_set();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  py::list out(n);
  std::string buf;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* row = items[i];
    if (row == Py_None) {  // not a response (an error row): Python writes it
      PyList_SET_ITEM(out.ptr(), i, Py_NewRef(Py_None));
      continue;
    }
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 5)
      throw py::type_error("RowEncoder.encode: rows are (key, line, method, url, RawResponse) tuples");
    const long long line = PyLong_AsLongLong(PyTuple_GET_ITEM(row, 1));
    if (line == -1 && PyErr_Occurred()) throw py::error_already_set();
    auto key = utf8_of(PyTuple_GET_ITEM(row, 0));
    auto method = utf8_of(PyTuple_GET_ITEM(row, 2));
    auto url = utf8_of(PyTuple_GET_ITEM(row, 3));
    const PyRawResponse* raw = nullptr;
    try {
      raw = &py::handle(PyTuple_GET_ITEM(row, 4)).cast<const PyRawResponse&>();
    } catch (const py::cast_error&) {
      throw py::type_error("RowEncoder.encode: a row's fifth item must be a RawResponse");
    }
    const Response& resp = *raw->r;
    buf.clear();
    if (key && method && url && jsonl::append_row(buf, self.format, {*key, line, *method, *url}, resp)) {
      self.stats.add(resp);
      PyObject* b = PyBytes_FromStringAndSize(buf.data(), static_cast<Py_ssize_t>(buf.size()));
      if (!b) throw py::error_already_set();
      PyList_SET_ITEM(out.ptr(), i, b);
    } else {
      PyList_SET_ITEM(out.ptr(), i, Py_NewRef(Py_None));
    }
  }
  return out;
}

py::tuple take_stats(PyRowEncoder& self) {
  py::dict classes, latency;
  for (const auto& [cls, n] : self.stats.classes) classes[py::str(std::to_string(cls) + "xx")] = n;
  for (const auto& [bucket, n] : self.stats.latency) latency[py::int_(bucket)] = n;
  py::tuple t = py::make_tuple(self.stats.rows, self.stats.bytes, std::move(classes), std::move(latency));
  self.stats = {};
  return t;
}

}  // namespace

void register_rows(py::module_& m) {
  py::class_<PyRowEncoder>(m, "RowEncoder",
                           "The bulk-fetch job's JSONL rows of successful responses, encoded natively in the\n"
                           "bytes orjson writes for the same row dict (cli/outputs.py make_row).")
      .def(py::init(&make_encoder), py::arg("columns"), py::arg("inline_max"), py::arg("spill_large"),
           "columns: row column names in output order; bodies up to inline_max bytes go in the row;\n"
           "spill_large: larger bodies go to files, so those rows are left to Python.")
      .def("encode", &encode, py::arg("rows"),
           "rows: (key, line, method, url, RawResponse) tuples or None -> a list with each row's\n"
           "bytes (newline included), or None where Python must build the row (see jsonl_row.hpp).")
      .def("take_stats", &take_stats,
           "(rows, body bytes, {'2xx': rows, ...}, {latency bucket: rows}) of the rows encoded\n"
           "since the last call, in cli.progress.Stats' buckets; resets them.");
}

}  // namespace asiofetch::py_bind
