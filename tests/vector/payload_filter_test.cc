// Tests of src/vector/payload_filter: the JSON predicate language of filtered searches, on JSON
// and bound to payload columns (payload_columns.h).
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "vector/payload_columns.h"
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

namespace lakehouse {
namespace {

// A value of every shape a payload may hold, drawn at random.
Json RandomValue(std::mt19937_64& rng) {
  static const char* kWords[] = {"OH", "KY", "forklift", "welder", "", "night shift", "é"};
  const auto word = [&] { return std::string(kWords[rng() % 7]); };
  switch (rng() % 11) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<int64_t>(rng() % 7) - 3;
    case 3:
      return static_cast<double>(rng() % 9) / 2;  // 1.0 and 1 are both drawn
    case 4:
      return std::numeric_limits<uint64_t>::max() - rng() % 3;
    case 5:
    case 6:
      return word();
    case 7: {
      Json list = Json::array();
      for (uint64_t i = rng() % 4; i > 0; --i) list.push_back(word());
      return list;
    }
    case 8:
      return Json::array({1, word()});
    case 9:
      return Json{{"nested", word()}};
    default:
      return static_cast<int64_t>(rng() % 5);
  }
}

// The columns hold a payload exactly (keys in order, integers as integers), and a filter
// bound to the columns agrees with the same filter on the JSON, for every operator against
// values of every shape.
TEST(PayloadColumnsTest, HoldPayloadsExactlyAndBoundFiltersAgreeWithJson) {
  std::mt19937_64 rng(21);
  static const char* kKeys[] = {"state", "role", "rating", "skills", "available", "note"};
  PayloadColumns columns;
  std::vector<Json> payloads;
  for (size_t label = 0; label < 400; ++label) {
    Json p = Json::object();
    for (const char* key : kKeys)
      if (rng() % 5 != 0) p[key] = RandomValue(rng);
    ASSERT_TRUE(columns.Set(label, p.dump()).ok()) << p.dump();
    payloads.push_back(std::move(p));
  }
  // Replacing a payload drops the keys it no longer has; erasing leaves an empty object.
  payloads[7] = {{"role", "welder"}};
  ASSERT_TRUE(columns.Set(7, payloads[7].dump()).ok());
  columns.Erase(8);
  payloads[8] = Json::object();
  for (size_t label = 0; label < payloads.size(); ++label)
    ASSERT_EQ(columns.Get(label).dump(), payloads[label].dump()) << label;

  static const char* kOps[] = {"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "contains"};
  size_t matched = 0;
  for (int i = 0; i < 600; ++i) {
    const std::string op = kOps[rng() % 9];
    Json operand = RandomValue(rng);
    if (op == "in" || op == "nin") operand = Json::array({operand, RandomValue(rng)});
    if ((op[0] == 'g' || op[0] == 'l') && !operand.is_number() && !operand.is_string()) operand = 2;
    const Json filter_json = {{kKeys[rng() % 6], {{op, operand}}}};
    auto filter = PayloadFilter::Compile(filter_json);
    ASSERT_TRUE(filter.ok()) << filter_json.dump();
    const auto bound = filter->Bind(columns);
    for (size_t label = 0; label < payloads.size(); ++label) {
      const bool want = filter->Matches(payloads[label]);
      ASSERT_EQ(bound.Matches(label), want) << filter_json.dump() << " on " << payloads[label];
      matched += want ? 1 : 0;
    }
  }
  EXPECT_GT(matched, 1000u);  // the filters are not all empty-handed
  auto unknown = PayloadFilter::Compile(Json{{"absent_key", 1}});
  EXPECT_FALSE(unknown->Bind(columns).Matches(0));
}

TEST(PayloadColumnsTest, OddPayloads) {
  PayloadColumns columns;
  // An integer beyond 64 bits: parsed the slow way, kept as JSON.
  ASSERT_TRUE(columns.Set(0, R"({"big":123456789012345678901234567890,"x":"y"})").ok());
  EXPECT_EQ(columns.Get(0)["x"], "y");
  EXPECT_TRUE(columns.Get(0)["big"].is_number());
  EXPECT_EQ(columns.Set(1, "[1,2]").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(columns.Set(1, "{nope").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(columns.Get(1), Json::object());
  // Escapes and unicode round-trip.
  const Json odd = {{"q", "say \"hi\"\n\ttab é 😀"}, {"list", {"a\\b", "c"}}};
  ASSERT_TRUE(columns.Set(2, odd.dump()).ok());
  EXPECT_EQ(columns.Get(2), odd);
}

}  // namespace
}  // namespace lakehouse
