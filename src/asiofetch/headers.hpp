// Header-name helpers: ASCII case-insensitive comparison and lookup in a Headers list.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "asiofetch/request.hpp"

namespace asiofetch {

// Header names are ASCII tokens: fold without the locale (std::tolower is a libc call per
// character, and these run on every response).
constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

inline bool has_header(const Headers& h, std::string_view name) noexcept {
  return std::any_of(h.begin(), h.end(), [&](const auto& kv) { return iequals(kv.first, name); });
}

inline const std::string* find_header(const Headers& h, std::string_view name) noexcept {
  for (const auto& kv : h)
    if (iequals(kv.first, name)) return &kv.second;
  return nullptr;
}

inline void drop_header(Headers& h, std::string_view name) {
  std::erase_if(h, [&](const auto& kv) { return iequals(kv.first, name); });
}

}  // namespace asiofetch
