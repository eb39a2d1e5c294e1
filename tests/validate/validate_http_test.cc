// POST /v1/validate over real HTTP: answers, the _kb/validations.jsonl line, and the
// roster following a new dataset version without a restart.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TestServer;

TEST(ValidateHttp, AnswersAndLogsEveryCall) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  auto ok = c.PostJson(
      "/v1/validate",
      Json{{"kind", "fill"}, {"payload", {{"order_id", "O000007"}, {"worker_ids", {"W0000071"}}}}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto bad = c.PostJson(
      "/v1/validate",
      Json{{"kind", "fill"}, {"payload", {{"order_id", "O000007"}, {"worker_ids", {"W9999999"}}}}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  auto lines = testing::KbLines(server.root().path(), "validations");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["schema"], "validation.v1");
  EXPECT_EQ(lines[0]["origin"], "validate");
  EXPECT_EQ(lines[0]["valid"], true);
  EXPECT_EQ(lines[1]["valid"], false);
  EXPECT_EQ(lines[1]["errors"][0]["Consistency"]["field"], "worker_ids[0]");
  EXPECT_EQ(lines[1]["payload"]["worker_ids"][0], "W9999999");
  EXPECT_EQ(lines[1]["roster_versions"]["workers"], 1);
  EXPECT_FALSE(lines[1]["request_id"].get<std::string>().empty());
}

TEST(ValidateHttp, RosterFollowsANewWorkersVersion) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  auto fill =
      Json{{"kind", "fill"}, {"payload", {{"order_id", "O000007"}, {"worker_ids", {"W7777777"}}}}};
  auto before = c.PostJson("/v1/validate", fill);
  ASSERT_EQ(before.status, 422);
  EXPECT_EQ(before.json()["errors"][0]["Consistency"]["reason"], "unknown worker W7777777");

  // Append a night-shift forklift operator in Norfolk, VA as a new version of workers.
  const std::string row =
      R"({"worker_id":"W7777777","first_name":"Nia","last_name":"Oduya","email":"nia.oduya@example.com",)"
      R"("phone":"+1-757-555-0199","role":"forklift operator","skills":["inventory"],)"
      R"("certifications":["osha forklift"],"city":"Norfolk","state":"VA","lat":36.85,"lon":-76.29,)"
      R"("shift_pref":"night","available":true,"status":"active","rating":4.8,"reliability":0.95,)"
      R"("pay_rate":22.0,"years_experience":6,"last_assignment_date":null})";
  auto ing = c.Request("POST", "/v1/datasets/workers/ingest?format=jsonl&mode=append", row + "\n",
                       {{"content-type", "application/x-ndjson"}});
  ASSERT_EQ(ing.status, 201) << ing.body;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (c.Get("/v1/validate/roster").json()["versions"]["workers"] != 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto status = c.Get("/v1/validate/roster").json();
  EXPECT_EQ(status["versions"]["workers"], 2);
  EXPECT_EQ(status["workers"], 201);
  auto after = c.PostJson("/v1/validate", fill);
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST(ValidateHttp, AFailedReloadKeepsThePreviousRosterAndSaysWhy) {
  TestServer server;  // no datasets yet: an empty roster, every worker unknown
  auto c = server.Client();
  auto fill = Json{{"kind", "fill"}, {"payload", {{"order_id", "O1"}, {"worker_ids", {"W1"}}}}};
  EXPECT_EQ(c.PostJson("/v1/validate", fill).status, 422);
  EXPECT_EQ(c.Get("/v1/validate/roster").json()["workers"], 0);

  // A workers dataset without the roster's columns: the reload fails and says why.
  ASSERT_EQ(
      c.Request("POST", "/v1/datasets/workers/ingest?format=jsonl", "{\"worker_id\":\"W1\"}\n")
          .status,
      201);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (c.Get("/v1/validate/roster").json()["last_error"].is_null() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const Json status = c.Get("/v1/validate/roster").json();
  ASSERT_TRUE(status["last_error"].is_string()) << status.dump();
  EXPECT_NE(status["last_error"].get<std::string>().find("first_name"), std::string::npos)
      << status.dump();
  // The previous (empty) roster keeps serving.
  EXPECT_EQ(c.PostJson("/v1/validate", fill).status, 422);
}

}  // namespace
}  // namespace lakehouse
