// The Fill, Email and Playbook validators, rule by rule: a valid case, then each way to
// fail, against the hand-written roster of roster_fixture.h (real ingest, real DuckDB).
#include "validate/validators.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "validate/roster_fixture.h"

namespace lakehouse {
namespace {

class ValidatorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fixture_ = new testing::RosterFixture(); }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  const Roster& roster() { return fixture_->roster(); }

  // "Kind field: reason" per error, for readable assertions.
  static std::vector<std::string> Lines(const Verdict& v) {
    std::vector<std::string> out;
    for (const auto& e : v.errors)
      out.push_back(std::string(ErrorKindName(e.kind)) + " " + e.field + ": " + e.reason);
    return out;
  }
  static std::string Only(const Verdict& v) {
    std::string all;
    for (const auto& l : Lines(v)) all += l + " | ";
    EXPECT_EQ(v.errors.size(), 1u) << all;
    return v.errors.empty() ? "" : Lines(v)[0];
  }
  Verdict Fill(const std::string& order, std::vector<std::string> ids) {
    return validators_.Fill(roster(), Json{{"order_id", order}, {"worker_ids", ids}});
  }

  Validators validators_;
  static testing::RosterFixture* fixture_;
};
testing::RosterFixture* ValidatorsTest::fixture_ = nullptr;

// ---- roster ----

TEST_F(ValidatorsTest, RosterLoadsEveryDatasetCompactly) {
  const auto& s = roster().stats();
  EXPECT_EQ(s.workers, 12);
  EXPECT_EQ(s.orders, 3);
  EXPECT_EQ(s.fills, 2);
  EXPECT_GT(s.bytes, 0u);
  auto w = roster().FindWorker("W009");
  ASSERT_TRUE(w);
  EXPECT_EQ(roster().Worker(*w).city, "Columbus");
  EXPECT_FALSE(roster().FindWorker("W999"));
  EXPECT_EQ(roster().WorkersWithRole("forklift operator").size(), 11u);
  EXPECT_EQ(roster().WorkerByEmail("ANA.DIAZ@example.com"), roster().FindWorker("W001"));
  EXPECT_EQ(roster().WorkersByPhone(9375550001).size(), 1u);
  EXPECT_TRUE(roster().IsWorkerName("ben", "COLE"));
  EXPECT_EQ(roster().FilledCount("O001"), 1);
  EXPECT_EQ(Roster::PhoneDigits("+1 (937) 555-0001"), 9375550001u);
  EXPECT_EQ(Roster::PhoneDigits("555-0001"), 0u);
  EXPECT_EQ(Roster::PhoneDigits("088-208-8241"), 0u);  // no area code starts with 0 (fuzz)
}

// ---- Fill ----

TEST_F(ValidatorsTest, FillValid) {
  EXPECT_TRUE(Fill("O001", {"W001", "W002"}).valid())
      << ::testing::PrintToString(Lines(Fill("O001", {"W001", "W002"})));
}

TEST_F(ValidatorsTest, FillSchemaErrors) {
  EXPECT_EQ(Only(validators_.Fill(roster(), Json{{"worker_ids", {"W001"}}})),
            "Schema order_id: required");
  EXPECT_EQ(Only(validators_.Fill(roster(), Json{{"order_id", 7}, {"worker_ids", {"W001"}}})),
            "Schema order_id: expected string, got number");
  EXPECT_EQ(Only(validators_.Fill(roster(), Json{{"order_id", "O001"}})),
            "Schema worker_ids: required");
  EXPECT_EQ(Only(validators_.Fill(roster(), Json{{"order_id", "O001"}, {"worker_ids", "W001"}})),
            "Schema worker_ids: expected array, got string");
  EXPECT_EQ(Only(Fill("O001", {})), "Schema worker_ids: must name at least one worker");
  EXPECT_EQ(
      Only(validators_.Fill(roster(), Json{{"order_id", "O001"}, {"worker_ids", {"W001", 5}}})),
      "Schema worker_ids[1]: expected string, got number");
  EXPECT_EQ(Only(Fill("O001", {"W001", "W001"})),
            "Schema worker_ids[1]: duplicate of worker_ids[0] (W001)");
}

TEST_F(ValidatorsTest, FillOrderMustExistAndBeOpen) {
  EXPECT_EQ(Only(Fill("O999", {"W001"})), "Consistency order_id: unknown order O999");
  // O002 is filled (and W001 is free on its dates); its one slot is taken by W010.
  auto v = Fill("O002", {"W001"});
  ASSERT_EQ(v.errors.size(), 2u) << ::testing::PrintToString(Lines(v));
  EXPECT_EQ(Lines(v)[0], "Consistency order_id: order O002 is filled, not open");
  EXPECT_EQ(
      Lines(v)[1],
      "Consistency worker_ids: 1 workers proposed and 1 already filled (fills fil_O002) exceed the "
      "headcount 1 of order O002");
}

TEST_F(ValidatorsTest, FillEachWorkerRule) {
  EXPECT_EQ(Only(Fill("O001", {"W999"})), "Consistency worker_ids[0]: unknown worker W999");
  EXPECT_EQ(
      Only(Fill("O001", {"W003"})),
      "Consistency worker_ids[0]: worker W003 is a welder; order O001 needs a forklift operator");
  EXPECT_EQ(Only(Fill("O001", {"W004"})),
            "Policy worker_ids[0]: worker W004 is on the do-not-return list");
  EXPECT_EQ(Only(Fill("O001", {"W005"})),
            "Consistency worker_ids[0]: worker W005 is inactive, not active");
  EXPECT_EQ(Only(Fill("O001", {"W006"})),
            "Consistency worker_ids[0]: worker W006 is not available");
  EXPECT_EQ(Only(Fill("O001", {"W007"})),
            "Consistency worker_ids[0]: worker W007 works night shifts; the order is a day shift");
  EXPECT_EQ(Only(Fill("O001", {"W008"})),
            "Consistency worker_ids[0]: worker W008 lacks the required certification 'forklift "
            "certification'");
  const std::string far = Only(Fill("O001", {"W009"}));
  EXPECT_EQ(far.rfind("Policy worker_ids[0]: worker W009 is 6", 0), 0u) << far;
  EXPECT_NE(far.find("miles from the order in Dayton, OH (limit 50)"), std::string::npos) << far;
  EXPECT_EQ(
      Only(Fill("O001", {"W010"})),
      "Consistency worker_ids[0]: worker W010 is double-booked: on order O002 (fill fil_O002) "
      "from 2026-11-15 to 2026-12-15, overlapping 2026-12-01 to 2026-12-31");
  EXPECT_EQ(Only(Fill("O001", {"W011"})),
            "Consistency worker_ids[0]: worker W011 is already filled on order O001 (fill "
            "fil_O001)");
  // The same booking does not overlap a March order.
  EXPECT_TRUE(Fill("O003", {"W010"}).valid());
}

TEST_F(ValidatorsTest, FillHeadcountCountsTheLedger) {
  // O001: headcount 3, W011 already filled: two more fit, three do not.
  EXPECT_TRUE(Fill("O001", {"W001", "W002"}).valid());
  EXPECT_EQ(
      Only(Fill("O001", {"W001", "W002", "W012"})),
      "Consistency worker_ids: 3 workers proposed and 1 already filled (fills fil_O001) exceed the "
      "headcount 3 of order O001");
  EXPECT_EQ(Only(Fill("O003", {"W001", "W002"})),
            "Consistency worker_ids: 2 workers proposed exceed the headcount 1 of order O003");
}

TEST_F(ValidatorsTest, FillReportsEveryError) {
  // Three rule breaks plus the headcount: 3 proposed + 1 filled > 3.
  auto v = Fill("O001", {"W003", "W999", "W004"});
  EXPECT_EQ(v.errors.size(), 4u) << ::testing::PrintToString(Lines(v));
  EXPECT_EQ(v.ToJson()["errors"][0].begin().key(), "Consistency");
  EXPECT_EQ(
      v.ToJson()["errors"][2].dump(),
      R"({"Policy":{"field":"worker_ids[2]","reason":"worker W004 is on the do-not-return list"}})");
}

// FillCandidates scans only the latitude band its radius spans: at every radius it must
// answer exactly the workers the Fill validator passes one by one, nearest first.
TEST_F(ValidatorsTest, FillCandidatesAreTheWorkersTheFillRulesPass) {
  size_t candidates_at_widest = 0, candidates_at_narrowest = 0;
  for (double radius : {0.5, 5.0, 50.0, 300.0, 3000.0}) {
    ValidatorOptions options;
    options.radius_miles = radius;
    const Validators v(options);
    size_t total = 0;
    for (const OrderRecord& order : roster().orders()) {
      std::set<std::string> expected;
      for (uint32_t w = 0; w < roster().worker_count(); ++w) {
        const std::string id(roster().WorkerIdOf(w));
        const Verdict verdict =
            v.Fill(roster(), Json{{"order_id", order.order_id}, {"worker_ids", {id}}});
        if (std::none_of(verdict.errors.begin(), verdict.errors.end(),
                         [](const auto& e) { return e.field == "worker_ids[0]"; }))
          expected.insert(id);
      }
      std::set<std::string> got;
      double last = 0;
      for (const FillCandidate& c : v.FillCandidates(roster(), order)) {
        got.insert(std::string(roster().WorkerIdOf(c.worker)));
        EXPECT_GE(c.miles, last) << order.order_id;
        EXPECT_LE(c.miles, radius) << order.order_id;
        last = c.miles;
      }
      EXPECT_EQ(got, expected) << order.order_id << " within " << radius << " miles";
      total += got.size();
    }
    if (radius == 0.5) candidates_at_narrowest = total;
    if (radius == 3000.0) candidates_at_widest = total;
  }
  // The radius decides something here: the widest finds workers the narrowest does not.
  EXPECT_GT(candidates_at_widest, candidates_at_narrowest);
}

// ---- Email ----

Json GoodEmail() {
  return Json{{"to", "Ana.Diaz@example.com"},
              {"subject", "Forklift operator day shift in Dayton, starting December 1"},
              {"body",
               "Hi Ana Diaz,\n\nAcme Logistics needs a forklift operator for the day shift in "
               "Dayton, OH, starting 2026-12-01 (through December 31, 2026) at $19.50/hr. Reply "
               "YES to confirm.\n\nThanks,\nThe staffing team"},
              {"worker_id", "W001"},
              {"order_id", "O001"}};
}

TEST_F(ValidatorsTest, EmailValid) {
  auto v = validators_.Email(roster(), GoodEmail());
  EXPECT_TRUE(v.valid()) << ::testing::PrintToString(Lines(v));
}

TEST_F(ValidatorsTest, EmailSchemaErrors) {
  Json e = GoodEmail();
  e.erase("body");
  EXPECT_EQ(Only(validators_.Email(roster(), e)), "Schema body: required");
  e = GoodEmail();
  e["to"] = "not-an-address";
  EXPECT_EQ(Only(validators_.Email(roster(), e)), "Schema to: not a valid email address");
  e = GoodEmail();
  e["subject"] = "";
  EXPECT_EQ(Only(validators_.Email(roster(), e)), "Schema subject: must not be empty");
}

TEST_F(ValidatorsTest, EmailMustGoToTheRosterAddress) {
  Json e = GoodEmail();
  e["to"] = "ben.cole@example.com";
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Consistency to: ben.cole@example.com is not the roster email of worker W001");
  e = GoodEmail();
  e["worker_id"] = "W999";
  // With no roster worker to address, the greeting's name is some other worker's.
  auto v = validators_.Email(roster(), e);
  EXPECT_EQ(Lines(v), (std::vector<std::string>{
                          "Consistency worker_id: unknown worker W999",
                          "Policy body: contains the name of another roster worker ('Ana Diaz')"}));
  e = GoodEmail();
  e["order_id"] = "O999";
  EXPECT_EQ(Only(validators_.Email(roster(), e)), "Consistency order_id: unknown order O999");
}

TEST_F(ValidatorsTest, EmailOtherWorkersPii) {
  Json e = GoodEmail();
  e["body"] = e["body"].get<std::string>() + " You will work with Ben Cole.";
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Policy body: contains the name of another roster worker ('Ben Cole')");
  e = GoodEmail();
  e["body"] = e["body"].get<std::string>() + " Questions: cara.dunn@example.com.";
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Policy body: contains the email address of another worker (cara.dunn@example.com)");
  e = GoodEmail();
  e["body"] = e["body"].get<std::string>() + " Or call (937) 555-0002.";
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Policy body: contains the phone number of another worker (W002)");
  // The worker's own contact details are fine.
  e = GoodEmail();
  e["body"] = e["body"].get<std::string>() + " We have you at +1-937-555-0001, Ana Diaz.";
  EXPECT_TRUE(validators_.Email(roster(), e).valid());
}

TEST_F(ValidatorsTest, EmailPlaceholders) {
  for (const char* ph : {"{{first_name}}", "[NAME]", "[Worker Name]", "{start_date}", "<CITY>"}) {
    Json e = GoodEmail();
    e["body"] = std::string("Hello ") + ph + ", " + e["body"].get<std::string>();
    EXPECT_EQ(Only(validators_.Email(roster(), e)),
              std::string("Policy body: unfilled placeholder '") + ph + "'");
  }
}

TEST_F(ValidatorsTest, EmailMustAgreeWithTheOrder) {
  auto with = [&](const std::string& extra) {
    Json e = GoodEmail();
    e["body"] = e["body"].get<std::string>() + " " + extra;
    return validators_.Email(roster(), e);
  };
  EXPECT_EQ(Only(with("This is a night shift role.")),
            "Consistency body: mentions a night shift; order O001 is a day shift");
  EXPECT_EQ(Only(with("Orientation is on 12/3/2026.")),
            "Consistency body: mentions the date '12/3/2026'; order O001 starts 2026-12-01");
  EXPECT_EQ(Only(with("You start January 5.")),
            "Consistency body: mentions the date 'January 5'; order O001 starts 2026-12-01");
  EXPECT_EQ(Only(with("Pay is $21.00 per hour.")),
            "Consistency body: mentions pay of $21.00; order O001 pays $19.50/hr");
  EXPECT_EQ(Only(with("The site is in Columbus.")),
            "Consistency body: mentions Columbus; order O001 is in Dayton, OH");
  // A bonus is not the hourly rate.
  EXPECT_TRUE(with("There is a $250 sign-on bonus.").valid());
}

TEST_F(ValidatorsTest, EmailLengthAndPhrases) {
  Json e = GoodEmail();
  e["subject"] = std::string(151, 'x');
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Policy subject: 151 characters; the limit is 150");
  e = GoodEmail();
  e["body"] = "Hi Ana, call me.";
  EXPECT_EQ(Only(validators_.Email(roster(), e)),
            "Policy body: 16 characters; it must be 40 to 5000");
  e = GoodEmail();
  e["body"] = e["body"].get<std::string>() + " Guaranteed hours, CASH ONLY.";
  auto v = validators_.Email(roster(), e);
  EXPECT_EQ(Lines(v), (std::vector<std::string>{"Policy body: forbidden phrase 'guaranteed hours'",
                                                "Policy body: forbidden phrase 'cash only'"}));
}

// ---- Playbook ----

Json GoodPlaybook() {
  auto step = [](const char* tool, Json args) { return Json{{"tool", tool}, {"args", args}}; };
  return Json{
      {"name", "forklift day fill"},
      {"role", "forklift operator"},
      {"steps",
       {step("retrieve", {{"query", "forklift operators near Dayton"}}),
        step("propose_fill", {{"order_id", "O001"}}), step("validate_fill", {{"order_id", "O001"}}),
        step("draft_email", {{"order_id", "O001"}}), step("validate_email", {{"order_id", "O001"}}),
        step("send_email", {{"order_id", "O001"}}), step("commit_fill", {{"order_id", "O001"}})}}};
}

TEST_F(ValidatorsTest, PlaybookValid) {
  auto v = validators_.Playbook(GoodPlaybook());
  EXPECT_TRUE(v.valid()) << ::testing::PrintToString(Lines(v));
}

TEST_F(ValidatorsTest, PlaybookSchemaAndTools) {
  Json p = GoodPlaybook();
  p.erase("steps");
  EXPECT_EQ(Only(validators_.Playbook(p)), "Schema steps: required");
  p = GoodPlaybook();
  p["role"] = "astronaut";
  EXPECT_EQ(Only(validators_.Playbook(p)), "Consistency role: unknown role 'astronaut'");
  p = GoodPlaybook();
  p["steps"][0]["tool"] = "teleport";
  EXPECT_EQ(
      Only(validators_.Playbook(p))
          .rfind("Schema steps[0].tool: unknown tool 'teleport'; known tools: retrieve, sql", 0),
      0u);
  p = GoodPlaybook();
  p["steps"][1]["args"] = Json::object();
  EXPECT_EQ(Only(validators_.Playbook(p)),
            "Schema steps[1].args.order_id: required by tool propose_fill");
  p = GoodPlaybook();
  p["steps"][1].erase("args");
  EXPECT_EQ(Only(validators_.Playbook(p)), "Schema steps[1].args: required");
  p = GoodPlaybook();
  p["steps"] = Json::array();
  EXPECT_EQ(Only(validators_.Playbook(p)), "Schema steps: must have at least one step");
}

TEST_F(ValidatorsTest, PlaybookOrderingAndLength) {
  Json p = GoodPlaybook();
  std::swap(p["steps"][4], p["steps"][5]);  // send before validate
  auto v = validators_.Playbook(p);
  ASSERT_EQ(v.errors.size(), 1u) << ::testing::PrintToString(Lines(v));
  EXPECT_EQ(Lines(v)[0],
            "Policy steps[4].tool: send_email at step 4 needs validate_email first (validate "
            "before send)");
  p = GoodPlaybook();
  p["steps"].erase(2);  // commit without validate_fill
  v = validators_.Playbook(p);
  ASSERT_EQ(v.errors.size(), 1u) << ::testing::PrintToString(Lines(v));
  EXPECT_EQ(Lines(v)[0],
            "Policy steps[5].tool: commit_fill at step 5 needs validate_fill first (validate "
            "before commit)");
  p = GoodPlaybook();
  for (int i = 0; i < 30; ++i) p["steps"].push_back(p["steps"][0]);
  EXPECT_EQ(Only(validators_.Playbook(p)), "Policy steps: 37 steps; the limit is 32");
}

TEST_F(ValidatorsTest, ValidateRejectsUnknownKindAndNonObjects) {
  auto r = validators_.Validate(roster(), "invoice", Json::object());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown validator kind 'invoice'"), std::string::npos);
  r = validators_.Validate(roster(), "fill", Json::array());
  EXPECT_EQ(r.status().message(), "field 'payload' must be an object, got array");
}

TEST_F(ValidatorsTest, RulesTextNamesTheRules) {
  EXPECT_NE(validators_.RulesText("fill").find("within 50 miles"), std::string::npos);
  EXPECT_NE(validators_.RulesText("email").find("[NAME]"), std::string::npos);
  EXPECT_NE(validators_.RulesText("playbook").find("commit_fill (args: order_id)"),
            std::string::npos);
}

}  // namespace
}  // namespace lakehouse
