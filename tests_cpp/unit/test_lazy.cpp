// Lazy<T>: the heap-held optional of Transfer's rarely used members behaves like std::optional.
#include <gtest/gtest.h>

#include <string>

#include "asiofetch/lazy.hpp"

namespace asiofetch::testing {
namespace {

TEST(Lazy, EmptyUntilSetAndEmptyAgainAfterReset) {
  Lazy<std::string> l;
  EXPECT_FALSE(l.has_value());
  EXPECT_FALSE(l);
  l = std::string("first");
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, "first");
  EXPECT_EQ(l->size(), 5u);
  l.reset();
  EXPECT_FALSE(l.has_value());
}

TEST(Lazy, AssignmentReplacesTheValueInPlace) {
  Lazy<std::string> l;
  const std::string v = "copied";
  l = v;
  const std::string* before = &*l;
  l = std::string("moved in");
  EXPECT_EQ(&*l, before);  // assigned into the existing value, as optional does
  EXPECT_EQ(*l, "moved in");
  EXPECT_EQ(l.emplace(3, 'x'), "xxx");
  EXPECT_EQ(*l, "xxx");
}

TEST(Lazy, CopiesAreDeepAndMovesLeaveTheSourceEmpty) {
  Lazy<std::string> a;
  a = std::string("value");
  Lazy<std::string> b = a;
  *b += "-changed";
  EXPECT_EQ(*a, "value");
  EXPECT_EQ(*b, "value-changed");
  Lazy<std::string> c = std::move(a);
  EXPECT_EQ(*c, "value");
  EXPECT_FALSE(a.has_value());  // NOLINT(bugprone-use-after-move): moved-from is empty by design
  Lazy<std::string> empty;
  c = empty;
  EXPECT_FALSE(c);
}

}  // namespace
}  // namespace asiofetch::testing
