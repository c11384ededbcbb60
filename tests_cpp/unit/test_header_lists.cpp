// HeaderListCache: a set shared after its second sighting, unique sets never copied in, the
// hash only a first filter, eviction in turn.
#include <gtest/gtest.h>

#include <curl/curl.h>

#include <memory>
#include <string>

#include "asiofetch/curl_handles.hpp"
#include "asiofetch/header_lists.hpp"

namespace asiofetch::testing {
namespace {

std::shared_ptr<curl_slist> list_of(const std::string& line) {
  return std::shared_ptr<curl_slist>(curl_slist_append(nullptr, line.c_str()), SlistDeleter{});
}

// A miss, as easy setup handles it: look up, build, offer.
std::shared_ptr<curl_slist> get(HeaderListCache& c, const Headers& h, bool body = false) {
  const auto hash = HeaderListCache::hash_of(h, body);
  if (auto l = c.find(h, body, hash)) return l;
  auto l = list_of(h.empty() ? "none" : h.front().first);
  c.offer(h, body, hash, l);
  return l;
}

const Headers kDefaults{{"User-Agent", "asiofetch"}, {"Accept", "*/*"}};

TEST(HeaderLists, ASetIsSharedFromItsSecondSighting) {
  HeaderListCache c;
  auto first = get(c, kDefaults);
  EXPECT_EQ(c.size(), 0u);  // seen once: not copied in yet
  auto second = get(c, kDefaults);
  EXPECT_NE(second, first);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(get(c, kDefaults), second);
  EXPECT_EQ(get(c, kDefaults), second);
}

TEST(HeaderLists, SetsSeenOnceAreNeverCopiedIn) {
  // Every request with a header of its own (a request id): no entry, no copy.
  HeaderListCache c;
  for (int i = 0; i < 1000; ++i) {
    Headers h = kDefaults;
    h.emplace_back("X-Request-Id", std::to_string(i));
    get(c, h);
  }
  EXPECT_EQ(c.size(), 0u);
}

TEST(HeaderLists, TheBodyFlagAndEveryByteTellSetsApart) {
  HeaderListCache c;
  get(c, kDefaults);
  auto no_body = get(c, kDefaults);
  get(c, kDefaults, true);
  auto with_body = get(c, kDefaults, true);
  EXPECT_NE(no_body, with_body);
  EXPECT_EQ(get(c, kDefaults, true), with_body);
  EXPECT_EQ(get(c, kDefaults, false), no_body);
  EXPECT_NE(HeaderListCache::hash_of({{"ab", "c"}}, false), HeaderListCache::hash_of({{"a", "bc"}}, false));
  EXPECT_NE(HeaderListCache::hash_of({{"a", "b"}}, false), HeaderListCache::hash_of({{"a", "b"}}, true));
}

TEST(HeaderLists, AnEqualHashIsNotEnough) {
  // Two sets under one hash (a collision, forced): the lines decide.
  HeaderListCache c;
  const Headers a{{"X", "1"}}, b{{"X", "2"}};
  c.offer(a, false, 42, list_of("a"));
  auto la = list_of("a2");
  c.offer(a, false, 42, la);
  ASSERT_EQ(c.find(a, false, 42), la);
  EXPECT_EQ(c.find(b, false, 42), nullptr);
}

TEST(HeaderLists, KeepsTheLastFourAdmittedInTurn) {
  HeaderListCache c;
  auto set = [](int k) { return Headers{{"X-Set", std::to_string(k)}}; };
  for (int k = 0; k < 5; ++k) {
    get(c, set(k));
    get(c, set(k));
  }
  EXPECT_EQ(c.size(), HeaderListCache::kEntries);
  EXPECT_EQ(c.find(set(0), false, HeaderListCache::hash_of(set(0), false)), nullptr);  // the oldest went
  for (int k = 1; k < 5; ++k) EXPECT_NE(c.find(set(k), false, HeaderListCache::hash_of(set(k), false)), nullptr) << k;
}

TEST(HeaderLists, ASharedListOutlivesTheCache) {
  // A transfer still in flight holds its list when the session (and its cache) is gone.
  std::shared_ptr<curl_slist> held;
  {
    HeaderListCache c;
    get(c, kDefaults);
    held = get(c, kDefaults);
  }
  ASSERT_TRUE(held);
  EXPECT_STREQ(held->data, "User-Agent");
}

}  // namespace
}  // namespace asiofetch::testing
