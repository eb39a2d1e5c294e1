// The rule-based role, place, shift and qualification extractor.
#include "retrieve/query_parse.h"

#include <gtest/gtest.h>

namespace lakehouse {
namespace {

std::string Role(std::string_view q) {
  auto m = ExtractRoleByRules(q);
  return m ? m->role : "";
}

TEST(QueryParse, RolesBySynonymsAndPlurals) {
  EXPECT_EQ(Role("need 12 forklift drivers nights in Dayton"), "forklift operator");
  EXPECT_EQ(Role("lift truck operator"), "forklift operator");
  EXPECT_EQ(Role("Forklift Operators, 2nd shift"), "forklift operator");
  EXPECT_EQ(Role("CNAs for a nursing home"), "cna");
  EXPECT_EQ(Role("certified nursing assistant weekend"), "cna");
  EXPECT_EQ(Role("welders with 6G cert near Houston"), "welder");
  EXPECT_EQ(Role("line cooks"), "line cook");
  // The longest phrase wins: a warehouse associate who can drive a forklift.
  EXPECT_EQ(Role("warehouse associates with forklift experience"), "warehouse associate");
  EXPECT_EQ(Role("reliable hard worker"), "");
  EXPECT_EQ(Role("forklifting"), "");  // whole words only
}

TEST(QueryParse, PlaceShiftAndQualifications) {
  ASSERT_NE(ExtractPlace("forklift in Dayton"), nullptr);
  EXPECT_EQ(ExtractPlace("forklift in Dayton")->state, "OH");
  EXPECT_EQ(ExtractPlace("CNA Columbus")->state, "OH");  // the larger Columbus
  EXPECT_EQ(ExtractPlace("anywhere"), nullptr);
  EXPECT_EQ(ExtractShift("nights in Dayton"), "night");
  EXPECT_EQ(ExtractShift("overnight crew"), "night");
  EXPECT_EQ(ExtractShift("day shift"), "day");
  EXPECT_EQ(ExtractShift("weekend"), "");
  const auto* welder = staffing::FindRole("welder");
  ASSERT_NE(welder, nullptr);
  EXPECT_EQ(ExtractQualifications("welders with 6G cert", *welder),
            std::vector<std::string>{"6g pipe"});
  EXPECT_TRUE(ExtractQualifications("welders near Houston", *welder).empty());
}

}  // namespace
}  // namespace lakehouse
