// Test-only fault injection: makes the engine thread throw at a named point, to test recovery.
#pragma once

#include <cstdint>

#include "asiofetch/outcome.hpp"

namespace asiofetch::fault {

enum class Site : std::uint8_t {
  Start,  // the engine starts an attempt that just got its pool slot
  Body,   // libcurl hands a response's body bytes to the transfer
  Done,   // the engine looks up which request a finished handle is (CURLINFO_PRIVATE)
};
enum class Throw : std::uint8_t { BadAlloc, Runtime };

#ifdef ASIOFETCH_FAULT_INJECTION
// Any thread: the next `times` passes through `site` throw (std::bad_alloc, or a
// std::runtime_error naming the site). Compiled only into test builds (ASIOFETCH_BUILD_TESTS).
void arm(Site site, Throw what, int times = 1);
void disarm();
// Engine thread: throws when armed for `site`.
void check(Site site, RequestId id);
#else
inline void check(Site, RequestId) noexcept {}
#endif

}  // namespace asiofetch::fault
