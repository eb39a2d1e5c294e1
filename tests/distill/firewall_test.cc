// The firewall's scanners against a fixture corpus of positive and negative cases
// (contracts/firewall/cases.json: add a case for every miss found), plus the Unicode
// normalisation they share.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/json.h"
#include "distill/firewall.h"
#include "support/test_support.h"

namespace lakehouse::distill {
namespace {

std::set<std::string> Kinds(const std::vector<std::string>& reasons) {
  std::set<std::string> kinds;
  for (const auto& r : reasons) {
    for (const char* k : {"email", "phone", "SSN", "street address"}) {
      if (r.find(k) != std::string::npos) {
        std::string name = k;
        if (name == "SSN") name = "ssn";
        if (name == "street address") name = "address";
        kinds.insert(name);
      }
    }
  }
  return kinds;
}

TEST(Firewall, FixtureCorpus) {
  std::ifstream in(testing::ContractsDir() / "firewall" / "cases.json");
  ASSERT_TRUE(in) << "contracts/firewall/cases.json";
  std::stringstream ss;
  ss << in.rdbuf();
  const Json cases = Json::parse(ss.str());
  ASSERT_GE(cases.size(), 40u);
  for (const Json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    std::vector<std::string> reasons;
    FindPii(text, "text", {}, reasons);
    std::set<std::string> want;
    for (const auto& k : c["pii"]) want.insert(k.get<std::string>());
    EXPECT_EQ(Kinds(reasons), want) << "\"" << text << "\"";
    EXPECT_EQ(ContainsDnr(text), c["dnr"].get<bool>()) << "\"" << text << "\"";
  }
}

TEST(Firewall, TheAddresseeIsNotAThirdParty) {
  std::vector<std::string> reasons;
  FindPii("Hi Mei, reply to mei.collins.271@example.com", "body", {"Mei.Collins.271@example.com"},
          reasons);
  EXPECT_TRUE(reasons.empty());
  FindPii("cc jane [at] gmail [dot] com", "body", {"mei@example.com"}, reasons);
  EXPECT_EQ(reasons.size(), 1u);
}

TEST(Firewall, NormalizationMapsWhatHidesDigitsAndSeparators) {
  EXPECT_EQ(NormalizeForScan("plain ascii 555-1234"), "plain ascii 555-1234");
  EXPECT_EQ(NormalizeForScan("５５５\u2013１２３"), "555-123");
  EXPECT_EQ(NormalizeForScan("a\u200bb\u00a0c\u2019d"), "ab c'd");
  EXPECT_EQ(NormalizeForScan("\u0665\u0665\u0665"), "555");  // Arabic-Indic
  EXPECT_EQ(NormalizeForScan("\u096b\u096b"), "55");         // Devanagari
}

}  // namespace
}  // namespace lakehouse::distill
