// Tests of src/vector/payload_filter: the JSON predicate language of filtered searches.
#include <gtest/gtest.h>

#include "vector/payload_filter.h"

namespace lakehouse {
namespace {

const Json kWorker = Json::parse(R"({"role":"forklift operator","state":"OH","available":true,
  "rating":4.5,"years":3,"skills":["pallet jack","rf scanner"],"status":"active"})");

bool Match(const char* filter) {
  auto f = PayloadFilter::Compile(Json::parse(filter));
  EXPECT_TRUE(f.ok()) << filter << ": " << f.status().ToString();
  return f.ok() && f->Matches(kWorker);
}

TEST(PayloadFilterTest, Operators) {
  EXPECT_TRUE(Match(R"({})"));
  EXPECT_TRUE(Match(R"({"role":"forklift operator","available":true})"));
  EXPECT_FALSE(Match(R"({"role":"welder"})"));
  EXPECT_TRUE(Match(R"({"state":{"in":["OH","KY"]}})"));
  EXPECT_FALSE(Match(R"({"state":{"nin":["OH","KY"]}})"));
  EXPECT_TRUE(Match(R"({"rating":{"gte":4,"lt":5}})"));
  EXPECT_FALSE(Match(R"({"rating":{"gt":4.5}})"));
  EXPECT_TRUE(Match(R"({"years":{"lte":3}, "status":{"ne":"dnr"}})"));
  EXPECT_TRUE(Match(R"({"years":3.0})"));  // numbers compare as numbers
  EXPECT_TRUE(Match(R"({"skills":{"contains":"pallet jack"}})"));
  EXPECT_FALSE(Match(R"({"skills":{"contains":"welding"}})"));
  EXPECT_FALSE(Match(R"({"missing_field":1})"));
  EXPECT_FALSE(Match(R"({"rating":{"gt":"a"}})"));  // number vs string: not comparable
}

TEST(PayloadFilterTest, BadFiltersAreClearErrors) {
  auto bad_op = PayloadFilter::Compile(Json::parse(R"({"rating":{"between":[1,2]}})"));
  ASSERT_FALSE(bad_op.ok());
  EXPECT_NE(bad_op.status().message().find("filter.rating: unknown operator 'between'"),
            std::string::npos);
  EXPECT_FALSE(PayloadFilter::Compile(Json::parse(R"({"state":{"in":"OH"}})")).ok());
  EXPECT_FALSE(PayloadFilter::Compile(Json::parse(R"({"state":["OH"]})")).ok());
  EXPECT_FALSE(PayloadFilter::Compile(Json::parse(R"([1])")).ok());
  EXPECT_FALSE(PayloadFilter::Compile(Json::parse(R"({"x":{}})")).ok());
  EXPECT_TRUE(PayloadFilter::Compile(Json()).ok());
}

}  // namespace
}  // namespace lakehouse
