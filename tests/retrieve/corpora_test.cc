// Indexes follow the data (retrieve/corpora.h, WorkersIndexBuilder::Follow): committed
// fills, sent emails and memory notes reach their corpora without anyone building an index,
// and a new workers version updates the workers index in place, changed rows only.
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::TestServer;

// Polls `done` for up to 20 s.
bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

// A fill and an email the local planner drafts for the first open order it can staff.
struct Drafts {
  std::string order_id;
  Json fill, email;
};

Drafts Draft(HttpClient& c) {
  auto open = c.PostJson(
      "/v1/sql",
      {{"sql", "SELECT order_id FROM job_orders WHERE status = 'open' ORDER BY order_id"}});
  Drafts d;
  EXPECT_EQ(open.status, 200) << open.body;
  EXPECT_FALSE(open.json()["rows"].empty()) << open.body;
  const Json listed = open.json();
  for (const auto& row : listed["rows"]) {
    auto it = c.PostJson("/v1/iterate", {{"kind", "fill"},
                                         {"task", {{"order_id", row[0]}}},
                                         {"model", "local/planner"},
                                         {"max_attempts", 1}});
    if (it.status != 200 || it.json()["valid"] != true) {
      ADD_FAILURE() << it.body;
      continue;
    }
    d.order_id = row[0].get<std::string>();
    d.fill = it.json()["final"];
    const std::string worker = d.fill["worker_ids"][0];
    auto em =
        c.PostJson("/v1/iterate", {{"kind", "email"},
                                   {"task", {{"order_id", d.order_id}, {"worker_id", worker}}},
                                   {"model", "local/planner"},
                                   {"max_attempts", 1}});
    if (em.status == 200 && em.json()["valid"] == true) {
      d.email = em.json()["final"];
      d.email["order_id"] = d.order_id;
      d.email["worker_id"] = worker;
    }
    return d;
  }
  return d;
}

TEST(Corpora, CommitsAndNotesAreSearchableWithoutBuildingIndexes) {
  TestServer server(2000, 100, 42);
  auto c = server.Client();
  const Drafts d = Draft(c);
  ASSERT_FALSE(d.order_id.empty()) << "the local planner staffed no open order";
  auto fill = c.PostJson("/v1/fills", d.fill);
  ASSERT_EQ(fill.status, 201) << fill.body;
  const std::string fill_id = fill.json()["fill_id"];
  ASSERT_TRUE(d.email.is_object()) << "the local planner drafted no valid email";
  auto email = c.PostJson("/v1/emails", d.email);
  ASSERT_EQ(email.status, 201) << email.body;
  const std::string email_id = email.json()["email_id"];
  auto note = c.PostJson("/v1/memory", {{"subject", "order:" + d.order_id},
                                        {"text", "Client asked for steel-toe boots on site"},
                                        {"source", "coordinator"}});
  ASSERT_LT(note.status, 300) << note.body;

  // Each corpus has its item, and matrix retrieve over it finds it.
  for (const auto& [corpus, id] :
       std::vector<std::pair<std::string, std::string>>{{"fills", fill_id}, {"emails", email_id}}) {
    ASSERT_TRUE(Eventually([&] {
      return c.Get("/v1/indexes/" + corpus + "/items/" + id).status == 200;
    })) << corpus
        << " never got " << id;
    auto found = c.PostJson("/v1/matrix/retrieve",
                            {{"query", "order " + d.order_id}, {"corpora", {corpus}}, {"k", 5}});
    ASSERT_EQ(found.status, 200) << found.body;
    bool hit = false;
    const Json answer = found.json();
    for (const auto& r : answer["results"]) hit = hit || r["id"] == id;
    EXPECT_TRUE(hit) << corpus << ": " << found.body;
  }
  ASSERT_TRUE(Eventually([&] {
    auto r = c.PostJson("/v1/matrix/retrieve",
                        {{"query", "steel-toe boots"}, {"corpora", {"notes"}}, {"k", 3}});
    return r.status == 200 && !r.json()["results"].empty() &&
           r.json()["results"][0]["payload"]["subject"] == "order:" + d.order_id;
  }));
  auto item = c.Get("/v1/indexes/fills/items/" + fill_id).json();
  EXPECT_EQ(item["payload"]["order_id"], d.order_id);
  EXPECT_EQ(item["payload"]["status"], "active");

  // A fill cancelled for all its workers leaves the corpus.
  ASSERT_EQ(c.Request("DELETE", "/v1/fills/" + fill_id + "?reason=test").status, 200);
  EXPECT_TRUE(
      Eventually([&] { return c.Get("/v1/indexes/fills/items/" + fill_id).status == 404; }));
}

TEST(Corpora, ANewWorkersVersionUpdatesTheWorkersIndexInPlace) {
  TestServer server(200, 40, 42);
  auto c = server.Client();
  ASSERT_EQ(c.Get("/v1/indexes/workers").json()["count"], 200);
  auto before_w2 = c.Get("/v1/indexes/workers/items/W0000002").json();
  auto before_w1 = c.Get("/v1/indexes/workers/items/W0000001").json();

  // The workers dataset again, with W0000001 moved to another role and W0000200 gone.
  auto all = c.PostJson("/v1/sql", {{"sql", "SELECT * FROM workers ORDER BY worker_id"}});
  ASSERT_EQ(all.status, 200);
  const Json rows = all.json();
  std::string lines;
  for (const auto& row : rows["rows"]) {
    Json obj = Json::object();
    for (size_t i = 0; i < rows["columns"].size(); ++i)
      obj[rows["columns"][i]["name"].get<std::string>()] = row[i];
    if (obj["worker_id"] == "W0000200") continue;
    if (obj["worker_id"] == "W0000001")
      obj["role"] = obj["role"] == "welder" ? "line cook" : "welder";
    lines += obj.dump() + "\n";
  }
  auto ing = c.Request("POST", "/v1/datasets/workers/ingest?format=jsonl&mode=replace", lines,
                       {{"content-type", "application/x-ndjson"}});
  ASSERT_EQ(ing.status, 201) << ing.body;

  ASSERT_TRUE(Eventually([&] { return c.Get("/v1/indexes/workers").json()["count"] == 199; }));
  ASSERT_TRUE(Eventually([&] {
    return c.Get("/v1/indexes/workers/items/W0000001").json()["payload"]["role"] !=
           before_w1["payload"]["role"];
  }));
  // Changed rows only: an unchanged worker keeps the write that produced it.
  EXPECT_EQ(c.Get("/v1/indexes/workers/items/W0000002").json()["version"], before_w2["version"]);
  EXPECT_NE(c.Get("/v1/indexes/workers/items/W0000001").json()["version"], before_w1["version"]);
  EXPECT_EQ(c.Get("/v1/indexes/workers/items/W0000200").status, 404);
}

}  // namespace
}  // namespace lakehouse
