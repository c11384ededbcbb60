// Registration entry points of the asiofetch._core module, one per binding file.
#pragma once

#include <pybind11/pybind11.h>

namespace asiofetch::py_bind {

void register_args(pybind11::module_& m);     // check_seconds, check_deadline, check_headers, normalize_method
void register_options(pybind11::module_& m);
void register_session(pybind11::module_& m);
void register_results(pybind11::module_& m);  // Mailbox, RawResponse, Stream
void register_flow(pybind11::module_& m);     // RetryPolicy, Semaphore, RateLimit
void register_mock(pybind11::module_& m);     // MockTable, MockAnswer, mock_install (asiofetch.testing)

}  // namespace asiofetch::py_bind
