// /v1/memory*, /v1/pathways/* and /v1/playbooks/* over real HTTP on a generated roster,
// plus a few orders and workers of our own (appended as new dataset versions) so the
// playbook signature choice and the replayed fill can be checked exactly.
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::TestServer;

Json Post(HttpClient& c, const std::string& path, const Json& body, int expect) {
  auto r = c.PostJson(path, body);
  EXPECT_EQ(r.status, expect) << path << " " << body.dump() << " -> " << r.body;
  return r.json();
}

class MemoryHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TestServer(200, 40, 42);
    HttpClient c = server_->Client();
    // Orders: forklift operators around Ohio and one in Illinois; a welder order in Texas.
    std::string orders;
    auto order = [&](const char* id, const char* role, int headcount, const char* shift,
                     const char* city, const char* state, double lat, double lon) {
      orders += fmt::format(
          R"({{"order_id":"{}","client_id":"C09999","client_name":"Buckeye Freight","role":"{}",)"
          R"("headcount":{},"shift":"{}","start_date":"2027-05-01","end_date":"2027-05-31",)"
          R"("city":"{}","state":"{}","lat":{},"lon":{},"pay_rate":21.5,)"
          R"("required_certifications":[],"required_skills":[],"status":"open"}})"
          "\n",
          id, role, headcount, shift, city, state, lat, lon);
    };
    order("O900001", "forklift operator", 6, "night", "Dayton", "OH", 39.7589, -84.1916);
    order("O900002", "forklift operator", 3, "night", "Columbus", "OH", 39.9612, -82.9988);
    order("O900003", "forklift operator", 30, "day", "Chicago", "IL", 41.8781, -87.6298);
    order("O900004", "welder", 2, "day", "Houston", "TX", 29.7604, -95.3698);
    order("O900005", "forklift operator", 2, "night", "Dayton", "OH", 39.7589, -84.1916);
    order("O900006", "forklift operator", 3, "night", "Cincinnati", "OH", 39.1031, -84.5120);
    order("O900007", "cna", 2, "day", "Phoenix", "AZ", 33.4484, -112.0740);
    std::string workers;
    for (int i = 1; i <= 3; ++i) {
      workers += fmt::format(
          R"({{"worker_id":"W990000{}","first_name":"Dee{}","last_name":"Okafor","email":"dee{}.okafor@example.com",)"
          R"("phone":"+1-937-555-01{}0","role":"forklift operator","skills":["forklift"],)"
          R"("certifications":["osha forklift"],"city":"Dayton","state":"OH","lat":39.76,"lon":-84.19,)"
          R"("shift_pref":"night","available":true,"status":"active","rating":4.{},"reliability":0.9,)"
          R"("pay_rate":20.0,"years_experience":4,"last_assignment_date":null}})"
          "\n",
          i, i, i, i, 9 - i);
    }
    for (auto [dataset, rows] : {std::pair{"job_orders", orders}, std::pair{"workers", workers}}) {
      auto r =
          c.Request("POST", fmt::format("/v1/datasets/{}/ingest?format=jsonl&mode=append", dataset),
                    rows, {{"content-type", "application/x-ndjson"}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
    // The roster and the workers index follow these new versions on their own in the
    // background; the tests below must not depend on when. Reload and rebuild them now, and
    // fail loudly (not after a silent timeout) if they do not see the new rows.
    Services& s = server_->app().services();
    ASSERT_TRUE(s.roster->Reload().ok());
    Json status = s.roster->StatusJson();
    ASSERT_EQ(status["versions"]["job_orders"], 2) << status.dump();
    ASSERT_EQ(status["versions"]["workers"], 2) << status.dump();
    ASSERT_EQ(status["workers"], 203) << status.dump();
    auto built = BuildWorkersIndex(WorkersIndexDepsOf(s));
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    ASSERT_EQ((*built)["count"], 203) << built->dump();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Json Steps(const std::string& order_id) {
    Json steps = Json::array();
    steps.push_back(
        Json{{"tool", "retrieve"}, {"args", {{"query", "forklift nights " + order_id}}}});
    for (const char* t : {"propose_fill", "validate_fill", "draft_email", "validate_email",
                          "send_email", "commit_fill"})
      steps.push_back(Json{{"tool", t}, {"args", {{"order_id", order_id}}}});
    steps[1]["args"]["worker_ids"] = Json::array({"W0000001"});
    return steps;
  }
  static TestServer* server_;
};
TestServer* MemoryHttp::server_ = nullptr;

TEST_F(MemoryHttp, MemoryLifecycle) {
  HttpClient c = server_->Client();
  Json a = Post(c, "/v1/memory",
                {{"subject", "worker:W0000001"},
                 {"text", "prefers night shifts"},
                 {"source", "coordinator"},
                 {"observed_at", "2026-11-20"}},
                201);
  EXPECT_EQ(a["op"], "ADD");
  const std::string id = a["memory"]["id"];
  Json u = Post(
      c, "/v1/memory",
      {{"subject", "worker:W0000001"}, {"text", "prefers night shift"}, {"source", "email"}}, 200);
  EXPECT_EQ(u["op"], "UPDATE");
  EXPECT_EQ(u["memory"]["id"], id);
  EXPECT_EQ(u["previous"]["text"], "prefers night shifts");
  Json n = Post(
      c, "/v1/memory",
      {{"subject", "worker:W0000001"}, {"text", "prefers night shift"}, {"source", "email"}}, 200);
  EXPECT_EQ(n["op"], "NOOP");

  // Unknown roster subjects and bad fields are refused, naming what was wrong.
  Json bad = Post(c, "/v1/memory",
                  {{"subject", "worker:W9999999"}, {"text", "x"}, {"source", "model"}}, 422);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("W9999999"), std::string::npos);
  Post(c, "/v1/memory", {{"subject", "order:O404404"}, {"text", "x"}, {"source", "model"}}, 422);
  Post(c, "/v1/memory", {{"subject", "client:C1"}, {"text", 5}, {"source", "model"}}, 400);
  Post(c, "/v1/memory",
       {{"subject", "client:C1"}, {"text", "x"}, {"source", "model"}, {"observed_at", "soon"}},
       400);

  auto h = c.Get("/v1/memory/" + id + "/history");
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(h.json()["versions"].size(), 2u);
  EXPECT_EQ(h.json()["versions"][1]["op"], "UPDATE");

  auto del = c.Request("DELETE", "/v1/memory/" + id + "?source=coordinator");
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json()["memory"]["deleted"], true);
  EXPECT_EQ(c.Request("DELETE", "/v1/memory/" + id).status, 409);
  EXPECT_EQ(c.Request("DELETE", "/v1/memory/mem_999999").status, 404);
  EXPECT_EQ(c.Get("/v1/memory/" + id + "/history").json()["versions"].size(), 3u);
  EXPECT_EQ(c.Get("/v1/memory/" + id).json()["deleted"], true);

  Post(
      c, "/v1/memory",
      {{"subject", "worker:W0000002"}, {"text", "has her own forklift"}, {"source", "coordinator"}},
      201);
  Json found = Post(c, "/v1/memory/search", {{"query", "forklift"}, {"k", 5}}, 200);
  ASSERT_GE(found["results"].size(), 1u);
  EXPECT_EQ(found["results"][0]["subject"], "worker:W0000002");
  for (const auto& r : found["results"]) EXPECT_NE(r["id"], id);  // deleted: never returned
  Post(c, "/v1/memory/search", {{"query", "forklift"}, {"k", 0}}, 400);
  EXPECT_EQ(c.Get("/v1/memory?subject=worker:W0000002").json()["memories"].size(), 1u);
  EXPECT_EQ(c.Get("/v1/memory").status, 400);
  EXPECT_EQ(c.Get("/v1/memory/stats").json()["index"]["name"], "memory");
}

TEST_F(MemoryHttp, PathwayTraceIsVersioned) {
  HttpClient c = server_->Client();
  Json s1 =
      Post(c, "/v1/pathways/O900003/steps",
           {{"step", "retrieved"}, {"data", {{"candidates", 40}}}, {"source", "coordinator"}}, 201);
  EXPECT_EQ(s1["version"], 1);
  Post(c, "/v1/pathways/O900003/steps", {{"step", "proposed"}, {"data", {{"workers", 30}}}}, 201);
  Post(c, "/v1/pathways/O900003/steps", {{"step", "validated"}}, 201);
  Post(c, "/v1/pathways/O900003/steps", {{"step", "approved"}}, 400);
  Post(c, "/v1/pathways/O404404/steps", {{"step", "retrieved"}}, 404);
  Json trace = c.Get("/v1/pathways/O900003").json();
  EXPECT_EQ(trace["version"], 3);
  EXPECT_EQ(trace["status"], "validated");
  ASSERT_EQ(trace["steps"].size(), 3u);
  EXPECT_EQ(trace["steps"][0]["data"]["candidates"], 40);
  EXPECT_EQ(trace["steps"][1]["source"], "api");
  Json v1 = c.Get("/v1/pathways/O900003?version=1").json();
  EXPECT_EQ(v1["steps"].size(), 1u);
  EXPECT_EQ(v1["status"], "retrieved");
  EXPECT_EQ(v1["latest_version"], 3);
  EXPECT_EQ(c.Get("/v1/pathways/O900003?version=9").status, 404);
  EXPECT_EQ(c.Get("/v1/pathways/O900003?version=x").status, 400);
  EXPECT_EQ(c.Get("/v1/pathways/O900002").status, 404);
  int lines = 0;
  for (const auto& l : testing::KbLines(server_->root().path(), "pathway_traces")) {
    if (l["order_id"] != "O900003") continue;
    EXPECT_EQ(l["schema"], "pathway_trace.v1");
    EXPECT_EQ(l["version"], ++lines);
  }
  EXPECT_EQ(lines, 3);
}

TEST_F(MemoryHttp, PlaybooksRecordAndReplayBySignature) {
  HttpClient c = server_->Client();
  // Nothing recorded for cna: 404 naming the role.
  auto none = c.PostJson("/v1/playbooks/replay", {{"order_id", "O900007"}});
  EXPECT_EQ(none.status, 404) << none.body;

  // Invalid steps are refused with the Playbook validator's errors; nothing is stored.
  Json bad_steps = Json::array({Json{{"tool", "send_email"}, {"args", {{"order_id", "O900001"}}}}});
  Json bad = Post(c, "/v1/playbooks/record",
                  {{"order_id", "O900001"}, {"steps", bad_steps}, {"outcome", "filled"}}, 422);
  EXPECT_EQ(bad["error"]["code"], "unprocessable");
  ASSERT_GE(bad["errors"].size(), 1u);
  EXPECT_TRUE(bad["errors"][0].contains("Policy")) << bad.dump();
  EXPECT_EQ(c.Get("/v1/playbooks/pb_O900001").status, 404);
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O404404"}, {"steps", Steps("x")}, {"outcome", "filled"}}, 404);
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O900001"}, {"steps", Steps("O900001")}, {"outcome", "won"}}, 400);

  Json rec = Post(c, "/v1/playbooks/record",
                  {{"order_id", "O900001"},
                   {"steps", Steps("O900001")},
                   {"outcome", {{"status", "filled"}, {"filled", 6}}}},
                  201);
  EXPECT_EQ(rec["playbook_id"], "pb_O900001");
  EXPECT_EQ(rec["signature"]["headcount_band"], "5-9");
  EXPECT_EQ(rec["signature"]["shift"], "night");
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O900002"}, {"steps", Steps("O900002")}, {"outcome", "partial"}}, 201);
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O900003"}, {"steps", Steps("O900003")}, {"outcome", "filled"}}, 201);
  // A welder playbook that matches Dayton's place exactly never serves a forklift order,
  // and a failed playbook is never replayed.
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O900004"}, {"steps", Steps("O900004")}, {"outcome", "filled"}}, 201);
  Json again =
      Post(c, "/v1/playbooks/record",
           {{"order_id", "O900003"}, {"steps", Steps("O900003")}, {"outcome", "filled"}}, 200);
  EXPECT_EQ(again["replaced"], true);

  // Same city and shift: the Dayton playbook (city 4 + shift 2 points).
  Json r5 = Post(c, "/v1/playbooks/replay", {{"order_id", "O900005"}}, 200);
  EXPECT_EQ(r5["playbook"]["id"], "pb_O900001");
  EXPECT_EQ(r5["playbook"]["points"], 6);
  EXPECT_EQ(r5["playbook"]["match"]["city"], true);
  // Its steps, for the new order: ids rewritten, the retrieve query rebuilt, a real fill.
  ASSERT_EQ(r5["steps"].size(), 7u);
  EXPECT_EQ(r5["steps"][0]["args"]["query"], "forklift operator night shift near Dayton, OH");
  for (size_t i = 1; i < 7; ++i) EXPECT_EQ(r5["steps"][i]["args"]["order_id"], "O900005");
  const Json fill = r5["fill"];
  ASSERT_EQ(fill["worker_ids"].size(), 2u) << r5.dump();
  EXPECT_EQ(r5["steps"][1]["args"]["worker_ids"], fill["worker_ids"]);
  EXPECT_EQ(r5["valid"], true) << r5["verdicts"].dump();
  for (const auto& s : r5["steps"]) EXPECT_EQ(s["verdict"]["valid"], true) << s.dump();
  // The validator agrees on its own.
  auto check = c.PostJson("/v1/validate", {{"kind", "fill"}, {"payload", fill}});
  EXPECT_EQ(check.status, 200) << check.body;

  // Same state and shift, and the 2-4 band: Columbus (2 + 2 + 1) over Dayton (2 + 2).
  Json r6 = Post(c, "/v1/playbooks/replay", {{"order_id", "O900006"}}, 200);
  EXPECT_EQ(r6["playbook"]["id"], "pb_O900002");
  EXPECT_EQ(r6["playbook"]["points"], 5);
  // Cincinnati has none of our Dayton workers within 50 miles: the fill is judged invalid
  // on the propose/validate/commit steps, never on retrieve.
  if (r6["fill"]["worker_ids"].empty()) {
    EXPECT_EQ(r6["valid"], false);
    EXPECT_EQ(r6["steps"][1]["verdict"]["valid"], false);
    EXPECT_EQ(r6["steps"][0]["verdict"]["valid"], true);
  }

  // The replay wrote the order's pathway and the kb lines.
  Json trace = c.Get("/v1/pathways/O900005").json();
  ASSERT_EQ(trace["steps"].size(), 2u);
  EXPECT_EQ(trace["steps"][0]["step"], "proposed");
  EXPECT_EQ(trace["steps"][0]["data"]["playbook_id"], "pb_O900001");
  EXPECT_EQ(trace["steps"][1]["step"], "validated");
  EXPECT_EQ(trace["steps"][1]["data"]["valid"], true);
  int records = 0, replays = 0;
  for (const auto& l : testing::KbLines(server_->root().path(), "playbooks")) {
    EXPECT_EQ(l["schema"], "playbook.v1");
    records += l["op"] == "record";
    replays += l["op"] == "replay";
  }
  EXPECT_EQ(records, 5);
  EXPECT_EQ(replays, 2);
  // Each replay's search is a retrieval like any other: first the playbook it chose.
  std::vector<Json> searches;
  for (const auto& l : testing::KbLines(server_->root().path(), "retrievals"))
    if (l["corpora"] == Json::array({"playbooks"}) && l["role_source"] == "given")
      searches.push_back(l);
  ASSERT_EQ(searches.size(), 2u);
  EXPECT_EQ(searches[0]["results"][0]["id"], "pb_O900001");
  EXPECT_EQ(searches[0]["role"], "forklift operator");
  EXPECT_EQ(searches[0]["results"].size(), 3u);  // the three forklift playbooks, no welder

  // The playbooks corpus is searchable by matrix retrieve, role-gated.
  Json got =
      Post(c, "/v1/matrix/retrieve",
           {{"query", "welder playbook Houston"}, {"corpora", {"playbooks"}}, {"k", 10}}, 200);
  ASSERT_GE(got["results"].size(), 1u);
  for (const auto& r : got["results"]) EXPECT_EQ(r["payload"]["role"], "welder");
  EXPECT_EQ(c.Get("/v1/playbooks/pb_O900004").json()["outcome"], "filled");
}

TEST_F(MemoryHttp, AnIterateFillWritesTheOrdersPathway) {
  HttpClient c = server_->Client();
  // The suite's server is shared: another test may have replayed a playbook for this order.
  auto before = c.Get("/v1/pathways/O900005");
  const size_t had = before.status == 200 ? before.json()["steps"].size() : 0;
  Json run = Post(c, "/v1/iterate", {{"kind", "fill"}, {"task", {{"order_id", "O900005"}}}}, 200);
  ASSERT_EQ(run["valid"], true) << run.dump();
  Json trace = c.Get("/v1/pathways/O900005").json();
  ASSERT_EQ(trace["steps"].size(), had + 2) << trace.dump();
  const Json& proposed = trace["steps"][had];
  EXPECT_EQ(proposed["step"], "proposed");
  EXPECT_EQ(proposed["version"], had + 1);
  EXPECT_EQ(proposed["source"], "iterate");
  EXPECT_EQ(proposed["data"]["run_id"], run["run_id"]);
  EXPECT_EQ(proposed["data"]["worker_ids"], run["final"]["worker_ids"]);
  EXPECT_EQ(trace["steps"][had + 1]["step"], "validated");
  EXPECT_EQ(trace["steps"][had + 1]["data"]["valid"], true);
  // Other kinds, and unknown orders, leave no trace.
  const std::string other = c.Get("/v1/pathways/O900006").body;
  Post(c, "/v1/iterate", {{"kind", "playbook"}, {"task", {{"order_id", "O900006"}}}}, 200);
  EXPECT_EQ(c.Get("/v1/pathways/O900006").body, other);
  Post(c, "/v1/iterate", {{"kind", "fill"}, {"task", {{"order_id", "O404"}}}}, 200);
  EXPECT_EQ(c.Get("/v1/pathways/O404").status, 404);
}

TEST_F(MemoryHttp, AFailedPlaybookIsNeverReplayed) {
  HttpClient c = server_->Client();
  Post(c, "/v1/playbooks/record",
       {{"order_id", "O900007"}, {"steps", Steps("O900007")}, {"outcome", "failed"}}, 201);
  auto r = c.PostJson("/v1/playbooks/replay", {{"order_id", "O900007"}});
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("cna"), std::string::npos);
}

}  // namespace
}  // namespace lakehouse
