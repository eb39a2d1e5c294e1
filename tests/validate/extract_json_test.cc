// extract_json: the golden cases under contracts/extract_json/ (each {input, expected}),
// and the depth bound. The CLI answer is checked in tests/e2e/cli_test.cc.
#include "validate/extract_json.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(testing::ContractsDir() / "extract_json"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class ExtractJsonGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(ExtractJsonGolden, MatchesExpected) {
  const Json fixture = Json::parse(testing::ReadFile(GetParam()));
  const Json got = ExtractJsonAnswer(fixture.at("input").get<std::string>());
  // Compared as text: key order is part of the contract.
  EXPECT_EQ(got.dump(), fixture.at("expected").dump()) << GetParam().filename();
}

INSTANTIATE_TEST_SUITE_P(Contracts, ExtractJsonGolden, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.stem().string(); });

TEST(ExtractJson, AtLeastTwelveGoldenCases) {
  EXPECT_GE(Cases().size(), 12u);
}

std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  for (int i = 0; i < depth; ++i) s += "}";
  return s;
}

TEST(ExtractJson, NestingUpToTheBoundMatchesDeeperDoesNot) {
  EXPECT_TRUE(ExtractJson(Nested(kExtractJsonMaxDepth)).has_value());
  EXPECT_FALSE(ExtractJson(Nested(kExtractJsonMaxDepth + 1)).has_value());
  // A deep invalid span does not hide a valid object after it.
  EXPECT_EQ(ExtractJson(Nested(100000) + " {\"x\":2}")->dump(), "{\"x\":2}");
}

TEST(ExtractJson, NumberOutOfRangeIsNotAMatchAndDoesNotThrow) {
  EXPECT_FALSE(ExtractJson("{\"a\": 1e999}").has_value());
  EXPECT_EQ(ExtractJson("{\"a\": 1e999} {\"b\": 1}")->dump(), "{\"b\":1}");
}

TEST(ExtractJson, ManyOpenBracesStayLinear) {
  // 1 MB of '{' never balances; the scan must finish (a quadratic scan would not).
  EXPECT_FALSE(ExtractJson(std::string(1 << 20, '{')).has_value());
  EXPECT_EQ(ExtractJson(std::string(1 << 20, '{') + "{\"k\":1}")->dump(), "{\"k\":1}");
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

// Found by the fuzzer: an answer that is one bare JSON object whose strings quote a fenced
// block (a chat transcript, a template) is that object, not an object inside the quoted
// fence.
TEST(ExtractJson, FencesQuotedInsideABareObjectAreNotFences) {
  const Json answer = {
      {"messages", {{{"role", "assistant"}, {"content", "```json\n{\"order_id\": \"O1\"}\n```"}}}},
      {"usage", {{"total_tokens", 12}}},
      {"note", "see ```text {\"a\": 1}``` below"}};
  auto v = ExtractJson(answer.dump());
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, answer);
  // A real fence outside the object still wins, as before.
  auto fenced = ExtractJson("{\"draft\": 1} then\n```json\n{\"order_id\": \"O2\"}\n```");
  ASSERT_TRUE(fenced.has_value());
  EXPECT_EQ((*fenced)["order_id"], "O2");
}

}  // namespace
}  // namespace lakehouse
