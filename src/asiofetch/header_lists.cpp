#include "asiofetch/header_lists.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace asiofetch {

namespace {

constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void mix(std::uint64_t& h, const std::string& s) noexcept {
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  h = (h ^ 0xffU) * kFnvPrime;  // a separator no header byte is: ("ab","c") != ("a","bc")
}

}  // namespace

std::uint64_t HeaderListCache::hash_of(const Headers& headers, bool sends_body) noexcept {
  std::uint64_t h = kFnvOffset ^ (sends_body ? 1U : 0U);
  for (const auto& [name, value] : headers) {
    mix(h, name);
    mix(h, value);
  }
  return h;
}

std::shared_ptr<curl_slist> HeaderListCache::find(const Headers& headers, bool sends_body,
                                                  std::uint64_t hash) const {
  for (const Entry& e : entries_)
    if (e.list && e.hash == hash && e.sends_body == sends_body && e.headers == headers) return e.list;
  return nullptr;
}

void HeaderListCache::offer(const Headers& headers, bool sends_body, std::uint64_t hash,
                            std::shared_ptr<curl_slist> list) {
  if (!list) return;
  auto seen = std::find(seen_.begin(), seen_.end(), hash);
  if (seen == seen_.end()) {
    seen_[next_seen_] = hash;
    next_seen_ = (next_seen_ + 1) % kSeen;
    return;
  }
  *seen = 0;  // admitted: its slot in the doorkeeper is free again
  Entry& slot = entries_[next_entry_];
  next_entry_ = (next_entry_ + 1) % kEntries;
  slot.hash = hash;
  slot.sends_body = sends_body;
  slot.headers = headers;
  slot.list = std::move(list);
}

std::size_t HeaderListCache::size() const noexcept {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.list != nullptr; }));
}

}  // namespace asiofetch
