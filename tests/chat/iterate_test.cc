// POST /v1/iterate end to end: a scripted in-test provider (OpenAI wire, over loopback)
// that answers wrong three ways and then right; the loop converges and records every
// attempt, the errors are fed back to the model, and _kb gets every line. With the
// offline local/planner a fill for a real open order is valid on the first attempt.
#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::FakeProvider;
using testing::TestServer;

// A server over seed-42 data whose `openrouter` provider is the fake.
std::unique_ptr<TestServer> ServerUsing(const FakeProvider& fake) {
  return std::make_unique<TestServer>(200, 40, 42, [&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
  });
}

Json FillO000007(const std::string& model, int max_attempts) {
  return Json{{"kind", "fill"},
              {"task", {{"order_id", "O000007"}}},
              {"model", model},
              {"max_attempts", max_attempts}};
}

TEST(IterateHttp, ConvergesAfterWrongAnswersAndRecordsEveryAttempt) {
  // O000007: night forklift order in Virginia Beach; W0000071 is the one eligible worker,
  // W0000116 a day-shift forklift operator, W0000048 a CNA in Florida.
  const std::vector<std::string> script = {
      "I think Rachel would be great for this!",
      "```json\n{\"order_id\": \"O000007\", \"worker_ids\": [\"W9999999\"]}\n```",
      "Sure: {\"order_id\": \"O000007\", \"worker_ids\": [\"W0000048\"]}",
      "Fixed.\n```json\n{\"order_id\": \"O000007\", \"worker_ids\": [\"W0000071\"]}\n```"};
  std::atomic<size_t> calls{0};
  std::mutex mu;
  std::vector<Json> requests;
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest& req) {
      {
        std::lock_guard lock(mu);
        requests.push_back(Json::parse(req.body));
      }
      return testing::OpenAiChatReply(script[calls++]);
    });
  });
  auto server = ServerUsing(fake);
  auto res = server->Client().PostJson("/v1/iterate", FillO000007("openrouter/test-model", 4));
  ASSERT_EQ(res.status, 200) << res.body;
  const Json j = res.json();
  EXPECT_EQ(j["valid"], true);
  ASSERT_EQ(j["attempts"].size(), 4u);
  EXPECT_TRUE(j["attempts"][0]["extracted"].is_null());
  EXPECT_EQ(j["attempts"][0]["errors"][0]["Parse"]["reason"], "no JSON object found in the answer");
  EXPECT_EQ(j["attempts"][1]["errors"][0]["Consistency"]["reason"], "unknown worker W9999999");
  EXPECT_EQ(j["attempts"][2]["errors"][0]["Consistency"]["reason"],
            "worker W0000048 is a cna; order O000007 needs a forklift operator");
  EXPECT_EQ(j["attempts"][3]["errors"], Json::array());
  EXPECT_EQ(j["attempts"][3]["raw"], script[3]);
  EXPECT_EQ(j["final"].dump(), R"({"order_id":"O000007","worker_ids":["W0000071"]})");
  EXPECT_EQ(j["model"], "openrouter/test-model");

  // The prompt carries the rules and the task; each retry carries the previous answer and
  // its errors.
  ASSERT_EQ(requests.size(), 4u);
  const Json& first = requests[0]["messages"];
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0]["content"].get<std::string>().find("within 50 miles"), std::string::npos);
  EXPECT_NE(first[1]["content"].get<std::string>().find("\"order_id\": \"O000007\""),
            std::string::npos);
  EXPECT_NE(first[1]["content"].get<std::string>().find("W0000071"),
            std::string::npos);  // candidates
  const Json& third = requests[2]["messages"];
  ASSERT_EQ(third.size(), 6u);
  EXPECT_EQ(third[4]["role"], "assistant");
  EXPECT_EQ(third[4]["content"], script[1]);
  EXPECT_NE(third[5]["content"].get<std::string>().find(
                "- Consistency worker_ids[0]: unknown worker W9999999"),
            std::string::npos);

  // _kb: one run, four validations, four chat turns, all tied to the run.
  auto runs = testing::KbLines(server->root().path(), "iterate_runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["schema"], "iterate_run.v1");
  EXPECT_EQ(runs[0]["run_id"], j["run_id"]);
  EXPECT_EQ(runs[0]["attempt_count"], 4);
  EXPECT_EQ(runs[0]["valid"], true);
  auto validations = testing::KbLines(server->root().path(), "validations");
  ASSERT_EQ(validations.size(), 4u);
  EXPECT_EQ(validations[0]["origin"], "iterate");
  EXPECT_EQ(validations[0]["run_id"], j["run_id"]);
  EXPECT_EQ(validations[3]["valid"], true);
  auto turns = testing::KbLines(server->root().path(), "chat_turns");
  ASSERT_EQ(turns.size(), 4u);
  EXPECT_EQ(turns[2]["run_id"], j["run_id"]);
  EXPECT_EQ(turns[2]["usage"]["total_tokens"], 120);
}

TEST(IterateHttp, GivesUpAfterMaxAttempts) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions",
          [&](HttpRequest&) { return testing::OpenAiChatReply("no idea"); });
  });
  auto server = ServerUsing(fake);
  auto res = server->Client().PostJson("/v1/iterate", FillO000007("openrouter/m", 2));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json()["valid"], false);
  EXPECT_EQ(res.json()["attempts"].size(), 2u);
  EXPECT_TRUE(res.json()["final"].is_null());  // no attempt had a payload to keep
}

// Exhausted: `final` holds the last output (valid false). A provider failure on attempt n
// keeps attempts 1..n-1, in the answer and in the iterate_runs line.
TEST(IterateHttp, KeepsItsHistoryWhenTheProviderFailsOrItGivesUp) {
  std::atomic<int> calls{0};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      if (++calls <= 2)
        return testing::OpenAiChatReply(
            "```json\n{\"order_id\": \"O000007\", \"worker_ids\": [\"W0000048\"]}\n```");
      return HttpResponse::FromJson(500, Json{{"error", "provider down"}});
    });
  });
  auto server = std::make_unique<TestServer>(200, 40, 42, [&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
    c.chat_max_retries = 0;
  });
  auto c = server->Client();
  auto gave_up = c.PostJson("/v1/iterate", FillO000007("openrouter/m", 1));
  ASSERT_EQ(gave_up.status, 200) << gave_up.body;
  EXPECT_EQ(gave_up.json()["valid"], false);
  EXPECT_EQ(gave_up.json()["final"]["worker_ids"][0], "W0000048");

  auto failed = c.PostJson("/v1/iterate", FillO000007("openrouter/m", 3));
  EXPECT_GE(failed.status, 500) << failed.body;
  const Json j = failed.json();
  ASSERT_EQ(j["attempts"].size(), 1u) << j.dump();  // the attempt before the failure
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["final"]["worker_ids"][0], "W0000048");
  ASSERT_TRUE(j["error"].is_object()) << j.dump();
  EXPECT_NE(j["error"]["message"].get<std::string>().find("provider down"), std::string::npos);
  auto runs = testing::KbLines(server->root().path(), "iterate_runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["attempt_count"], 1);
  EXPECT_EQ(runs[1]["attempts"].size(), 1u);
  EXPECT_TRUE(runs[1]["error"].is_object());
  EXPECT_EQ(runs[1]["final"]["worker_ids"][0], "W0000048");

  // A failure on the first attempt has nothing to keep: the error alone.
  auto first = c.PostJson("/v1/iterate", FillO000007("openrouter/m", 2));
  EXPECT_GE(first.status, 500);
  EXPECT_TRUE(first.json()["error"].is_object());
}

// The role fallback of matrix retrieve: no taxonomy rule matches, the model names the role.
TEST(IterateHttp, RetrieveAsksTheModelForTheRoleWhenRulesFindNone) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions",
          [&](HttpRequest&) { return testing::OpenAiChatReply("{\"role\": \"welder\"}"); });
  });
  auto server = std::make_unique<TestServer>(2000, 40, 42, [&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
    c.chat_default_model = "openrouter/m";
  });
  auto res = server->Client().PostJson(
      "/v1/matrix/retrieve",
      Json{{"query", "someone who joins metal in Dayton"}, {"corpora", {"workers"}}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json()["role"], "welder");
  EXPECT_EQ(res.json()["role_source"], "model");
  const Json answer = res.json();
  for (const auto& r : answer["results"]) EXPECT_EQ(r["payload"]["role"], "welder");
}

TEST(IterateHttp, LocalPlannerIsValidOnTheFirstAttempt) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  for (const Json& task :
       {Json{{"kind", "fill"}, {"task", {{"order_id", "O000007"}}}},
        Json{{"kind", "email"}, {"task", {{"order_id", "O000007"}, {"worker_id", "W0000071"}}}},
        Json{{"kind", "playbook"}, {"task", {{"order_id", "O000007"}}}}}) {
    auto res = c.PostJson("/v1/iterate", task);
    ASSERT_EQ(res.status, 200) << res.body;
    const Json j = res.json();
    EXPECT_EQ(j["valid"], true) << j.dump();
    EXPECT_EQ(j["attempts"].size(), 1u);
    EXPECT_EQ(j["model"], "local/planner");
    // What the loop accepted, /v1/validate accepts.
    auto v = c.PostJson("/v1/validate", Json{{"kind", task["kind"]}, {"payload", j["final"]}});
    EXPECT_EQ(v.status, 200) << v.body;
  }
}

TEST(IterateHttp, LocalPlannerFillsEveryOpenOrderValidly) {
  TestServer server(8000, 40, 7);
  auto c = server.Client();
  auto orders =
      c.PostJson("/v1/sql", {{"sql", "SELECT order_id FROM job_orders WHERE status = 'open'"}});
  ASSERT_EQ(orders.status, 200);
  int with_workers = 0;
  const Json rows = orders.json()["rows"];
  ASSERT_GT(rows.size(), 10u) << orders.body;
  for (const auto& row : rows) {
    const std::string order_id = row[0].get<std::string>();
    auto res =
        c.PostJson("/v1/iterate",
                   Json{{"kind", "fill"}, {"task", {{"order_id", order_id}}}, {"max_attempts", 1}});
    ASSERT_EQ(res.status, 200) << res.body;
    const Json j = res.json();
    const Json& ids = j["attempts"][0]["extracted"]["worker_ids"];
    if (ids.empty()) continue;  // nobody eligible: the validator says so, which is right
    ++with_workers;
    EXPECT_EQ(j["valid"], true) << order_id << ": " << j["attempts"][0]["errors"].dump();
  }
  EXPECT_GE(with_workers, 10);
}

TEST(IterateHttp, BadRequestsAreClear400s) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  auto expect400 = [&](const Json& body, const std::string& message) {
    auto res = c.PostJson("/v1/iterate", body);
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_EQ(res.json()["error"]["message"], message);
  };
  expect400(Json{{"kind", "invoice"}, {"task", Json::object()}},
            "unknown kind 'invoice'; expected fill, email or playbook");
  expect400(Json{{"kind", "fill"}}, "field 'task' is required");
  expect400(Json{{"kind", "fill"}, {"task", "O1"}}, "field 'task' must be an object, got string");
  expect400(Json{{"kind", "email"}, {"task", {{"order_id", "O000007"}}}},
            "field 'task.worker_id' must be a string for a email task");
  expect400(Json{{"kind", "fill"}, {"task", {{"order_id", "O000007"}}}, {"max_attempts", 0}},
            "field 'max_attempts' must be 1..10");
  auto res =
      c.PostJson("/v1/iterate",
                 Json{{"kind", "fill"}, {"task", {{"order_id", "O000007"}}}, {"model", "kimi/k2"}});
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(testing::KbLines(server.root().path(), "iterate_runs").back()["error"]["code"],
            "unavailable");
}

TEST(ChatHttp, OpenAiShapeAndStreaming) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  Json req = {{"model", "local/planner"},
              {"messages",
               {{{"role", "user"},
                 {"content", "{\"kind\":\"fill\",\"task\":{\"order_id\":\"O000007\"}}"}}}}};
  auto res = c.PostJson("/v1/chat", req);
  ASSERT_EQ(res.status, 200) << res.body;
  Json j = res.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "local/planner");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_NE(j["choices"][0]["message"]["content"].get<std::string>().find("W0000071"),
            std::string::npos);
  EXPECT_GT(j["usage"]["total_tokens"].get<int>(), 0);
  req["stream"] = true;
  auto sse = c.PostJson("/v1/chat", req);
  ASSERT_EQ(sse.status, 200);
  EXPECT_EQ(sse.headers["content-type"], "text/event-stream");
  EXPECT_EQ(sse.body.rfind("data: {", 0), 0u);
  EXPECT_NE(sse.body.find("\"object\":\"chat.completion.chunk\""), std::string::npos);
  EXPECT_TRUE(sse.body.ends_with("data: [DONE]\n\n"));
  auto bad = c.PostJson("/v1/chat", Json{{"messages", {{{"role", "robot"}, {"content", "x"}}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(
      bad.json()["error"]["message"],
      "field 'messages[0].role' must be system, developer, user, assistant or tool, got 'robot'");
}

}  // namespace
}  // namespace lakehouse
