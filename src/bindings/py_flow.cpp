// RetryPolicy, HedgePolicy, Semaphore and RateLimit: native flow control objects shared by reference.
// Each argument is checked here and only here; the defaults are the engine's (RetryPolicy{}),
// which Python reads back from a default-constructed RetryPolicy.
#include <pybind11/stl.h>

#include <climits>
#include <cmath>
#include <set>

#include "asiofetch/engine.hpp"
#include "bindings/bindings.hpp"
#include "bindings/py_args.hpp"
#include "bindings/py_request.hpp"
#include "bindings/py_types.hpp"

namespace asiofetch::py_bind {

namespace {

struct ErrorClass {
  const char* name;
  std::uint32_t bit;
};
constexpr ErrorClass kErrorClasses[] = {
    {"connect", RetryConnect}, {"timeout", RetryTimeout}, {"disconnect", RetryDisconnect}};

double finite_at_least(const char* what, py::handle v, double lo) {
  double d = number_arg(what, v);
  if (std::isinf(d) || d < lo)
    throw py::value_error(std::string(what) + " must be a finite number >= " + py::repr(py::float_(lo)).cast<std::string>() +
                          ", got " + py::repr(v).cast<std::string>());
  return d;
}

py::object iterate(const char* what, py::handle v) {
  if (PyUnicode_Check(v.ptr()) || PyBytes_Check(v.ptr()))
    throw py::type_error(std::string(what) + " must be an iterable of values, not a single string");
  PyObject* it = PyObject_GetIter(v.ptr());
  if (!it) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " must be iterable, got " + Py_TYPE(v.ptr())->tp_name);
  }
  return py::reinterpret_steal<py::object>(it);
}

PyRetry make_retry(py::handle attempts, py::handle backoff, py::handle multiplier, py::handle max_backoff,
                   py::handle jitter, py::handle statuses, py::handle errors, py::handle respect_retry_after,
                   py::handle methods, py::handle total_budget, py::handle seed) {
  auto p = std::make_shared<RetryPolicy>();
  if (!attempts.is_none()) p->attempts = static_cast<int>(int_arg("attempts", attempts, 1, INT_MAX));
  if (!backoff.is_none()) p->backoff_s = finite_at_least("backoff", backoff, 0);
  if (!multiplier.is_none()) p->multiplier = finite_at_least("multiplier", multiplier, 1);
  if (!max_backoff.is_none()) p->max_backoff_s = finite_at_least("max_backoff", max_backoff, 0);
  if (!jitter.is_none()) {
    p->jitter = finite_at_least("jitter", jitter, 0);
    if (p->jitter > 1) throw py::value_error("jitter must be between 0 and 1, got " + py::repr(jitter).cast<std::string>());
  }
  if (!statuses.is_none()) {
    std::set<int> out;
    for (py::handle s : iterate("statuses", statuses)) {
      if (PyBool_Check(s.ptr()) || !PyLong_Check(s.ptr()))
        throw py::type_error(std::string("statuses must be ints, got ") + Py_TYPE(s.ptr())->tp_name);
      long long code = PyLong_AsLongLong(s.ptr());
      if (code == -1 && PyErr_Occurred()) PyErr_Clear();
      if (code < 100 || code > 599)
        throw py::value_error("statuses must be HTTP status codes (100-599), got " + py::repr(s).cast<std::string>());
      out.insert(static_cast<int>(code));
    }
    p->statuses = std::move(out);
  }
  if (!errors.is_none()) {
    std::uint32_t mask = 0;
    for (py::handle e : iterate("errors", errors)) {
      if (!PyUnicode_Check(e.ptr()))
        throw py::type_error(std::string("errors must be str names, got ") + Py_TYPE(e.ptr())->tp_name);
      std::string_view name = as_str(e.ptr(), "errors");
      const ErrorClass* found = nullptr;
      for (const auto& c : kErrorClasses)
        if (name == c.name) found = &c;
      if (!found)
        throw py::value_error("unknown error class " + py::repr(e).cast<std::string>() +
                              "; use ['connect', 'disconnect', 'timeout']");
      mask |= found->bit;
    }
    p->errors = mask;
  }
  if (!respect_retry_after.is_none()) p->respect_retry_after = bool_arg("respect_retry_after", respect_retry_after);
  if (!methods.is_none()) {
    p->methods.clear();
    for (py::handle m : iterate("methods", methods)) p->methods.insert(normalize_method(m));
  }
  if (!total_budget.is_none()) p->total_budget_s = finite_at_least("total_budget", total_budget, 0);
  if (!seed.is_none()) {
    if (PyBool_Check(seed.ptr()) || !PyLong_Check(seed.ptr()))
      throw py::type_error(std::string("seed must be an int or None, got ") + Py_TYPE(seed.ptr())->tp_name);
    p->seed(static_cast<std::uint64_t>(int_arg("seed", seed, 0, LLONG_MAX)));
  }
  return PyRetry{std::move(p)};
}

}  // namespace

void register_flow(py::module_& m) {
  m.attr("RETRY_CONNECT") = static_cast<int>(RetryConnect);
  m.attr("RETRY_TIMEOUT") = static_cast<int>(RetryTimeout);
  m.attr("RETRY_DISCONNECT") = static_cast<int>(RetryDisconnect);
  m.attr("HEDGE_MAX_EXTRA") = kHedgeMaxExtra;

  // Every argument None means "the engine's default" (RetryPolicy{}).
  py::class_<PyRetry>(m, "RetryPolicy", "Native retry policy (asiofetch.Retry documents each field).")
      .def(py::init(&make_retry), py::kw_only(), py::arg("attempts") = py::none(), py::arg("backoff") = py::none(),
           py::arg("multiplier") = py::none(), py::arg("max_backoff") = py::none(), py::arg("jitter") = py::none(),
           py::arg("statuses") = py::none(), py::arg("errors") = py::none(),
           py::arg("respect_retry_after") = py::none(), py::arg("methods") = py::none(),
           py::arg("total_budget") = py::none(), py::arg("seed") = py::none())
      .def("delay", [](const PyRetry& r, int next_attempt, std::optional<double> retry_after) {
        return static_cast<double>(r.policy->delay(next_attempt, retry_after).count()) / 1000.0;
      }, py::arg("next_attempt"), py::arg("retry_after") = py::none())
      .def_property_readonly("attempts", [](const PyRetry& r) { return r.policy->attempts; })
      .def_property_readonly("backoff", [](const PyRetry& r) { return r.policy->backoff_s; })
      .def_property_readonly("multiplier", [](const PyRetry& r) { return r.policy->multiplier; })
      .def_property_readonly("max_backoff", [](const PyRetry& r) { return r.policy->max_backoff_s; })
      .def_property_readonly("jitter", [](const PyRetry& r) { return r.policy->jitter; })
      .def_property_readonly("statuses", [](const PyRetry& r) {
        py::set out;
        for (int s : r.policy->statuses) out.add(py::int_(s));
        return py::frozenset(out);
      })
      .def_property_readonly("errors", [](const PyRetry& r) {
        py::set out;
        for (const auto& c : kErrorClasses)
          if (r.policy->errors & c.bit) out.add(py::str(c.name));
        return py::frozenset(out);
      })
      .def_property_readonly("respect_retry_after", [](const PyRetry& r) { return r.policy->respect_retry_after; })
      .def_property_readonly("methods", [](const PyRetry& r) {
        py::set out;
        for (const auto& s : r.policy->methods) out.add(py::str(s));
        return py::frozenset(out);
      })
      .def_property_readonly("total_budget", [](const PyRetry& r) { return r.policy->total_budget_s; });

  py::class_<PyHedge>(m, "HedgePolicy", "A checked hedge setting (asiofetch.Hedge), copied into Options.")
      .def(py::init([](py::handle after, py::handle max_extra) {
        auto s = seconds_arg("Hedge.after", after, false);
        if (!(*s > 0) || std::isinf(*s))
          throw py::value_error("Hedge.after must be > 0 and finite, got " + py::repr(after).cast<std::string>());
        return PyHedge{to_millis(*s), static_cast<int>(int_arg("Hedge.max_extra", max_extra, 1, kHedgeMaxExtra))};
      }), py::arg("after"), py::arg("max_extra"))
      .def_property_readonly("after", [](const PyHedge& h) { return static_cast<double>(h.after.count()) / 1000.0; })
      .def_property_readonly("max_extra", [](const PyHedge& h) { return h.max_extra; });

  py::class_<PySemaphore>(m, "Semaphore", "FIFO semaphore on the engine thread; grants arrive in a mailbox.")
      .def(py::init([](py::handle value) {
        auto permits = int_arg("Semaphore value", value, 1, LLONG_MAX);
        return PySemaphore{std::make_shared<Semaphore>(static_cast<std::size_t>(permits))};
      }), py::arg("value"))
      .def("acquire", [](PySemaphore& s, PyMailbox& mb) {
        RequestId id = Engine::next_id();
        Engine::instance()->semaphore_acquire(s.sem, id, mb.native);
        return id;
      }, py::arg("mailbox"))
      .def("release", [](PySemaphore& s, RequestId id) { Engine::instance()->semaphore_release(s.sem, id); },
           py::arg("id"))
      .def("cancel", [](PySemaphore& s, RequestId id) { Engine::instance()->semaphore_cancel(s.sem, id); },
           py::arg("id"))
      .def_property_readonly("available", [](const PySemaphore& s) { return s.sem->available(); })
      .def_property_readonly("permits", [](const PySemaphore& s) { return s.sem->permits(); });

  // burst=None: max(1, rate). `per` has its default in Python's signature only.
  py::class_<PyRateLimit>(m, "RateLimit", "Token bucket on the engine thread.")
      .def(py::init([](py::handle rate, py::handle per, py::handle burst) {
        double r = number_arg("rate", rate);
        if (!(r > 0) || std::isinf(r)) throw py::value_error("rate must be a finite number > 0, got " + py::repr(rate).cast<std::string>());
        double p = finite_at_least("per", per, 1e-6);
        double b = burst.is_none() ? std::max(1.0, r) : finite_at_least("burst", burst, 1);
        return PyRateLimit{std::make_shared<RateLimiter>(r, p, b), r, p, b};
      }), py::arg("rate"), py::arg("per"), py::arg("burst"))
      .def_property_readonly("rate", [](const PyRateLimit& l) { return l.rate; })
      .def_property_readonly("per", [](const PyRateLimit& l) { return l.per; })
      .def_property_readonly("burst", [](const PyRateLimit& l) { return l.burst; });
}

}  // namespace asiofetch::py_bind
