// MockTable and MockAnswer for asiofetch.testing: the router's native half, installed engine-wide.
#include <pybind11/stl.h>

#include <regex>

#include "asiofetch/engine.hpp"
#include "asiofetch/mock_transport.hpp"
#include "asiofetch/url.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_args.hpp"

namespace asiofetch::py_bind {

namespace {

py::bytes to_bytes(const std::string& s) { return py::bytes(s.data(), s.size()); }

py::tuple call_tuple(const MockCall& c) {
  py::list headers(c.headers.size());
  std::size_t i = 0;
  for (const auto& [k, v] : c.headers) headers[i++] = py::make_tuple(k, v);
  return py::make_tuple(c.method, c.url, headers, to_bytes(c.body));
}

// The Python wrapper owns the table through a shared_ptr; the engine and every transfer
// started under it hold others. Methods run with the GIL held, except next_job's wait.
struct PyMockTable {
  std::shared_ptr<MockTable> table = std::make_shared<MockTable>();
};

struct PyMockAnswer {
  std::shared_ptr<const MockAnswer> answer;
};

PyMockAnswer make_answer(int status, std::string reason, Headers headers, py::handle head_delay,
                         const std::vector<std::pair<py::object, py::bytes>>& chunks, int error_kind,
                         std::string error_message, bool error_after_body) {
  if (status < 100 || status > 999) throw py::value_error("status must be 100-999, got " + std::to_string(status));
  auto a = std::make_shared<MockAnswer>();
  a->status = status;
  a->reason = std::move(reason);
  a->headers = std::move(headers);
  a->head_delay = millis_arg("delay", head_delay);
  for (const auto& [delay, data] : chunks) a->chunks.emplace_back(millis_arg("chunk delay", delay), std::string(data));
  if (error_kind < 0 || error_kind > static_cast<int>(ErrorKind::Proxy))
    throw py::value_error("unknown error kind " + std::to_string(error_kind));
  if (error_kind != 0) a->error = Error{static_cast<ErrorKind>(error_kind), 0, std::move(error_message)};
  a->error_after_body = error_after_body;
  return PyMockAnswer{std::move(a)};
}

}  // namespace

void register_mock(py::module_& m) {
  py::class_<PyMockAnswer>(m, "MockAnswer")
      .def(py::init(&make_answer), py::arg("status"), py::arg("reason"), py::arg("headers"), py::arg("delay"),
           py::arg("chunks"), py::arg("error_kind"), py::arg("error_message"), py::arg("error_after_body"));

  py::class_<PyMockTable>(m, "MockTable")
      .def(py::init<>())
      .def(
          "add_route",
          [](PyMockTable& self, std::string describe, std::string method, int url_mode, std::string url,
             Headers params, bool params_exact, Headers headers, std::optional<py::bytes> body) {
            MockRoute r;
            r.describe = std::move(describe);
            r.method = std::move(method);
            if (url_mode < 0 || url_mode > static_cast<int>(MockRoute::UrlMode::Regex))
              throw py::value_error("unknown url mode");
            r.url_mode = static_cast<MockRoute::UrlMode>(url_mode);
            if (r.url_mode == MockRoute::UrlMode::Regex)
              r.url_regex.emplace(url, std::regex::ECMAScript);  // std::regex_error: the caller falls back
            if (r.url_mode == MockRoute::UrlMode::Exact || r.url_mode == MockRoute::UrlMode::Prefix) {
              // The form requests reach the engine in (set_url), so both sides compare alike.
              std::string why;
              auto normalized = normalize_url(url, why);
              if (!normalized) raise_invalid_url(url, why);
              url = std::move(*normalized);
            }
            r.url = std::move(url);
            r.params = std::move(params);
            r.params_exact = params_exact;
            r.headers = std::move(headers);
            if (body) r.body = std::string(*body);
            return self.table->add_route(std::move(r));
          },
          py::arg("describe"), py::arg("method"), py::arg("url_mode"), py::arg("url"), py::arg("params"),
          py::arg("params_exact"), py::arg("headers"), py::arg("body"))
      .def(
          "set_answers",
          [](PyMockTable& self, std::size_t route, const std::vector<PyMockAnswer>& answers, bool repeat_last) {
            std::vector<std::shared_ptr<const MockAnswer>> list;
            list.reserve(answers.size());
            for (const auto& a : answers) list.push_back(a.answer);
            self.table->set_answers(route, std::move(list), repeat_last);
          },
          py::arg("route"), py::arg("answers"), py::arg("repeat_last"))
      .def(
          "set_mode",
          [](PyMockTable& self, std::size_t route, bool python_check, bool passthrough) {
            self.table->set_mode(route, python_check, passthrough);
          },
          py::arg("route"), py::arg("python_check"), py::arg("passthrough"))
      .def(
          "set_passthrough_unmatched", [](PyMockTable& self, bool on) { self.table->set_passthrough_unmatched(on); },
          py::arg("on"))
      .def(
          "calls",
          [](const PyMockTable& self, std::size_t route) {
            py::list out;
            for (const auto& c : self.table->calls(route)) out.append(call_tuple(c));
            return out;
          },
          py::arg("route"))
      .def(
          "call_count", [](const PyMockTable& self, std::size_t route) { return self.table->call_count(route); },
          py::arg("route"))
      .def("unmatched_calls",
           [](const PyMockTable& self) {
             py::list out;
             for (const auto& c : self.table->unmatched_calls()) out.append(call_tuple(c));
             return out;
           })
      .def("reset_calls", [](PyMockTable& self) { self.table->reset_calls(); })
      // Blocks (GIL released) until a route needs Python; None once the table is closed.
      // Gives (token, route, (method, url, headers, body)).
      .def("next_job",
           [](PyMockTable& self) -> py::object {
             std::optional<MockJob> job;
             {
               py::gil_scoped_release nogil;
               job = self.table->next_job();
             }
             if (!job) return py::none();
             return py::make_tuple(job->token, job->route, call_tuple(job->call));
           })
      .def(
          "reply",
          [](PyMockTable& self, std::uint64_t token, bool matched, std::optional<PyMockAnswer> answer) {
            self.table->reply(token, matched, answer ? answer->answer : nullptr);
          },
          py::arg("token"), py::arg("matched"), py::arg("answer"))
      .def("close", [](PyMockTable& self) { self.table->close(); });

  m.def(
      "mock_install",
      [](std::optional<PyMockTable*> table) {
        Engine::instance()->install_mock(table && *table ? (*table)->table : nullptr);
      },
      py::arg("table"),
      "asiofetch.testing: every request registered from now on is answered by `table` (None: the network).");
}

}  // namespace asiofetch::py_bind
