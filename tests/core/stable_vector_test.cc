#include "core/stable_vector.h"

#include <string>

#include <gtest/gtest.h>

namespace lakehouse {
namespace {

TEST(StableVector, ElementsNeverMoveAsItGrows) {
  StableVector<std::string, 4> v;  // chunks of 16
  EXPECT_TRUE(v.empty());
  v.push_back("first, longer than the short-string buffer");
  const std::string* first = &v[0];
  const char* first_bytes = v[0].data();
  for (int i = 1; i < 16 * 3 + 1; ++i) v.push_back(std::to_string(i));
  ASSERT_EQ(v.size(), 49u);
  EXPECT_EQ(v.chunks(), 4u);
  // Three chunks' growth later, the first element is where it was, its heap bytes too.
  EXPECT_EQ(&v[0], first);
  EXPECT_EQ(v[0].data(), first_bytes);
  EXPECT_EQ(v[0], "first, longer than the short-string buffer");
  for (int i = 1; i < 49; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], std::to_string(i));
  // Elements change in place; the last chunk's edges are addressed right.
  v[15] = "end of chunk 0";
  v[16] = "start of chunk 1";
  EXPECT_EQ(v[15], "end of chunk 0");
  EXPECT_EQ(v[16], "start of chunk 1");
  EXPECT_EQ(v[48], "48");
  const auto& cv = v;
  EXPECT_EQ(cv[47], "47");
  size_t walked = 0;
  for (const std::string& s : cv) EXPECT_EQ(&s, &v[walked++]);
  EXPECT_EQ(walked, 49u);
  v.clear();
  EXPECT_EQ(v.size(), 0u);
  EXPECT_EQ(v.chunks(), 0u);
  v.push_back("again");
  EXPECT_EQ(v[0], "again");
  EXPECT_EQ(v.chunks(), 1u);
}

}  // namespace
}  // namespace lakehouse
