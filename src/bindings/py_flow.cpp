// RetryPolicy, Semaphore and RateLimit: native flow control objects shared by reference.
#include <pybind11/stl.h>

#include <cmath>
#include <set>

#include "asiofetch/engine.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

double finite_at_least(const char* what, double v, double lo) {
  if (std::isnan(v) || std::isinf(v) || v < lo)
    throw py::value_error(std::string(what) + " must be a finite number >= " + std::to_string(lo));
  return v;
}

PyRetry make_retry(int attempts, double backoff, double multiplier, double max_backoff, double jitter,
                   std::set<int> statuses, std::uint32_t errors, bool respect_retry_after,
                   std::set<std::string> methods, double total_budget, py::object seed) {
  if (attempts < 1) throw py::value_error("attempts must be >= 1");
  auto p = std::make_shared<RetryPolicy>();
  p->attempts = attempts;
  p->backoff_s = finite_at_least("backoff", backoff, 0);
  p->multiplier = finite_at_least("multiplier", multiplier, 1);
  p->max_backoff_s = finite_at_least("max_backoff", max_backoff, 0);
  p->jitter = finite_at_least("jitter", jitter, 0);
  if (p->jitter > 1) throw py::value_error("jitter must be between 0 and 1");
  for (int s : statuses)
    if (s < 100 || s > 599) throw py::value_error("statuses must be HTTP status codes (100-599)");
  p->statuses = std::move(statuses);
  p->errors = errors;
  p->respect_retry_after = respect_retry_after;
  p->methods.clear();
  for (const auto& m : methods) {
    std::string up;
    for (char c : m) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    p->methods.insert(std::move(up));
  }
  p->total_budget_s = finite_at_least("total_budget", total_budget, 0);
  if (!seed.is_none()) p->seed(seed.cast<std::uint64_t>());
  return PyRetry{std::move(p)};
}

}  // namespace

void register_flow(py::module_& m) {
  m.attr("RETRY_CONNECT") = static_cast<int>(RetryConnect);
  m.attr("RETRY_TIMEOUT") = static_cast<int>(RetryTimeout);
  m.attr("RETRY_DISCONNECT") = static_cast<int>(RetryDisconnect);

  py::class_<PyRetry>(m, "RetryPolicy")
      .def(py::init(&make_retry), py::kw_only(), py::arg("attempts"), py::arg("backoff"), py::arg("multiplier"),
           py::arg("max_backoff"), py::arg("jitter"), py::arg("statuses"), py::arg("errors"),
           py::arg("respect_retry_after"), py::arg("methods"), py::arg("total_budget"), py::arg("seed"))
      .def("delay", [](const PyRetry& r, int next_attempt, std::optional<double> retry_after) {
        return static_cast<double>(r.policy->delay(next_attempt, retry_after).count()) / 1000.0;
      }, py::arg("next_attempt"), py::arg("retry_after") = py::none());

  py::class_<PySemaphore>(m, "Semaphore")
      .def(py::init([](long long permits) {
        if (permits < 1) throw py::value_error("Semaphore needs at least one permit");
        return PySemaphore{std::make_shared<Semaphore>(static_cast<std::size_t>(permits))};
      }))
      .def("acquire", [](PySemaphore& s, PyMailbox& mb) {
        RequestId id = Engine::next_id();
        Engine::instance()->semaphore_acquire(s.sem, id, mb.native);
        return id;
      })
      .def("release", [](PySemaphore& s, RequestId id) { Engine::instance()->semaphore_release(s.sem, id); })
      .def("cancel", [](PySemaphore& s, RequestId id) { Engine::instance()->semaphore_cancel(s.sem, id); })
      .def_property_readonly("available", [](const PySemaphore& s) { return s.sem->available(); })
      .def_property_readonly("permits", [](const PySemaphore& s) { return s.sem->permits(); });

  py::class_<PyRateLimit>(m, "RateLimit")
      .def(py::init([](double rate, double per, double burst) {
        finite_at_least("per", per, 1e-6);
        if (!(rate > 0) || std::isinf(rate)) throw py::value_error("rate must be a finite number > 0");
        finite_at_least("burst", burst, 1);
        return PyRateLimit{std::make_shared<RateLimiter>(rate, per, burst)};
      }), py::arg("rate"), py::arg("per"), py::arg("burst"));
}

}  // namespace asiofetch::py_bind
