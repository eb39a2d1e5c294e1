// The fills ledger over real HTTP (validate/ledger.h): a committed fill is a fact at once
// (validation, SQL, the roster), no double placement under concurrent commits, retries are
// one fill, cancel/end free the worker, and acknowledged commits survive kill -9 and
// compaction.
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::TempDir;
using testing::TestServer;

// Orders made for a test, at the place of a group of free workers who qualify for them
// (same role and city, day or any shift, no certifications asked), so every outcome below
// is decided by the ledger alone.
struct Scene {
  std::string role, city, state;
  double lat = 0, lon = 0;
  std::vector<std::string> workers;  // free, eligible, sorted
};

Scene FindScene(HttpClient& c) {
  auto r = c.PostJson(
      "/v1/sql",
      {{"sql",
        "SELECT role, city, state, avg(lat), avg(lon), list(worker_id ORDER BY worker_id) FROM "
        "workers WHERE status = 'active' AND available AND shift_pref IN ('day', 'any') AND "
        "worker_id NOT IN (SELECT worker_id FROM fills) GROUP BY role, city, state "
        "ORDER BY count(*) DESC, role LIMIT 1"}});
  EXPECT_EQ(r.status, 200) << r.body;
  const Json row = r.json()["rows"][0];
  Scene s{row[0], row[1], row[2], row[3], row[4], {}};
  for (const auto& w : row[5]) s.workers.push_back(w);
  return s;
}

// Appends orders (id -> {headcount, start, end}) as a new job_orders version and waits for
// the roster to load it.
void AddOrders(HttpClient& c, const Scene& s,
               const std::vector<std::tuple<std::string, int, std::string, std::string>>& orders) {
  const int64_t before = c.Get("/v1/validate/roster").json()["versions"]["job_orders"];
  std::string lines;
  for (const auto& [id, headcount, start, end] : orders) {
    lines += Json{{"order_id", id},
                  {"client_id", "C9"},
                  {"client_name", "Ledger Test Co"},
                  {"role", s.role},
                  {"headcount", headcount},
                  {"shift", "day"},
                  {"start_date", start},
                  {"end_date", end},
                  {"city", s.city},
                  {"state", s.state},
                  {"lat", s.lat},
                  {"lon", s.lon},
                  {"pay_rate", 20.0},
                  {"required_certifications", Json::array()},
                  {"required_skills", Json::array()},
                  {"status", "open"}}
                 .dump() +
             "\n";
  }
  auto ing = c.Request("POST", "/v1/datasets/job_orders/ingest?format=jsonl&mode=append", lines,
                       {{"content-type", "application/x-ndjson"}});
  ASSERT_EQ(ing.status, 201) << ing.body;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (c.Get("/v1/validate/roster").json()["versions"]["job_orders"] == before &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

testing::HttpResult Commit(HttpClient& c, const std::string& order,
                           const std::vector<std::string>& workers,
                           const std::map<std::string, std::string>& headers = {}) {
  std::map<std::string, std::string> h = headers;
  h["content-type"] = "application/json";
  return c.Request("POST", "/v1/fills", Json{{"order_id", order}, {"worker_ids", workers}}.dump(),
                   h);
}

int64_t SqlCount(HttpClient& c, const std::string& where) {
  auto r = c.PostJson("/v1/sql", {{"sql", "SELECT count(*) FROM fills WHERE " + where}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["rows"][0][0];
}

std::string FirstReason(const Json& answer) {
  const Json& e = answer["errors"][0];
  return e.begin().value()["reason"];
}

TEST(FillsLedger, ACommitIsAFactEverywhereAtOnce) {
  TestServer server(2000, 100, 42);
  auto c = server.Client();
  const Scene s = FindScene(c);
  ASSERT_GE(s.workers.size(), 3u);
  AddOrders(c, s,
            {{"O900001", 1, "2027-03-01", "2027-03-31"},
             {"O900002", 3, "2027-03-15", "2027-04-15"},
             {"O900003", 3, "2027-03-10", "2027-04-30"},
             {"O900004", 3, "2027-03-03", "2027-03-20"}});
  const std::string w0 = s.workers[0], w1 = s.workers[1], w2 = s.workers[2];

  auto first = Commit(c, "O900001", {w0});
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string fill = first.json()["fill_id"];
  EXPECT_EQ(first.json()["placements"][0]["status"], "active");
  // SQL sees it with the next statement, and so does every check.
  EXPECT_EQ(SqlCount(c, fmt::format("fill_id = '{}' AND worker_id = '{}'", fill, w0)), 1);
  auto again = Commit(c, "O900001", {w0});  // the same worker again
  ASSERT_EQ(again.status, 422) << again.body;
  EXPECT_EQ(FirstReason(again.json()),
            fmt::format("worker {} is already filled on order O900001 (fill {})", w0, fill));
  auto over = Commit(c, "O900001", {w1});  // past the headcount, one request at a time
  ASSERT_EQ(over.status, 422);
  EXPECT_NE(FirstReason(over.json()).find("already filled (fills " + fill + ")"), std::string::npos)
      << over.body;
  auto twice = Commit(c, "O900002", {w0});  // overlapping dates on another order
  ASSERT_EQ(twice.status, 422);
  EXPECT_NE(FirstReason(twice.json()).find("double-booked: on order O900001 (fill " + fill),
            std::string::npos)
      << twice.body;
  auto check =
      c.PostJson("/v1/validate",
                 {{"kind", "fill"}, {"payload", {{"order_id", "O900002"}, {"worker_ids", {w0}}}}});
  EXPECT_EQ(check.status, 422);
  auto listed = c.Get("/v1/fills?worker_id=" + w0).json();
  ASSERT_EQ(listed["count"], 1);
  EXPECT_EQ(listed["fills"][0]["fill_id"], fill);

  // Cancel (a reason is required), which frees the worker and the slot.
  EXPECT_EQ(c.Request("DELETE", "/v1/fills/" + fill).status, 400);
  EXPECT_EQ(c.Request("DELETE", "/v1/fills/fil_nope?reason=x").status, 404);
  auto cancel = c.Request("DELETE", "/v1/fills/" + fill + "?reason=client%20cancelled");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.json()["status"], "cancelled");
  EXPECT_EQ(c.Request("DELETE", "/v1/fills/" + fill + "?reason=again").status, 409);
  EXPECT_EQ(SqlCount(c, fmt::format("fill_id = '{}' AND status = 'cancelled' AND reason = "
                                    "'client cancelled'",
                                    fill)),
            1);
  // The same statement before and after a commit (the first answer is cached; the commit's
  // rows reach the overlay when the next statement names fills, and drop that answer).
  const std::string active_on_2 = "order_id = 'O900002' AND status = 'active'";
  EXPECT_EQ(SqlCount(c, active_on_2), 0);
  EXPECT_EQ(SqlCount(c, active_on_2), 0);
  auto second = Commit(c, "O900002", {w0, w1});
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(SqlCount(c, active_on_2), 2);
  const std::string fill2 = second.json()["fill_id"];

  // End w1's placement early: free after ended_on, still booked before it.
  auto end = c.PostJson("/v1/fills/" + fill2 + "/status", {{"status", "ended"},
                                                           {"reason", "assignment cut short"},
                                                           {"worker_ids", {w1}},
                                                           {"ended_on", "2027-03-20"}});
  ASSERT_EQ(end.status, 200) << end.body;
  EXPECT_EQ(end.json()["placements"][0]["ended_on"], "2027-03-20");
  EXPECT_EQ(Commit(c, "O900004", {w1}).status, 422);  // 03-03..03-20 overlaps 03-15..03-20
  auto later = c.PostJson("/v1/fills/" + fill2 + "/status",
                          {{"status", "ended"}, {"reason", "x"}, {"ended_on", "2027-05-01"}});
  EXPECT_EQ(later.status, 400) << later.body;  // outside w0's placement
  EXPECT_EQ(Commit(c, "O900001", {w2}).status, 201);

  // Every change is a _kb line (a journal event) and a pathway step.
  auto lines = testing::KbLines(server.root().path(), "fills");
  int commits = 0, cancels = 0, ends = 0;
  for (const auto& l : lines) {
    if (!l.contains("op"))
      ++commits;
    else if (l["op"] == "cancel")
      ++cancels;
    else if (l["op"] == "end")
      ++ends;
  }
  EXPECT_EQ(cancels, 1);
  EXPECT_EQ(ends, 1);
  EXPECT_GE(commits, 6);
  std::set<std::string> steps;
  for (const auto& l : testing::KbLines(server.root().path(), "pathway_traces"))
    if (l["order_id"] == "O900001" || l["order_id"] == "O900002") steps.insert(l["step"]);
  EXPECT_TRUE(steps.count("filled") && steps.count("cancelled") && steps.count("ended"));
  auto events = c.Get("/v1/journal?type=fill.cancel").json();
  ASSERT_FALSE(events["events"].empty()) << events.dump();
  EXPECT_EQ(events["events"][0]["payload"]["id"], fill);
}

TEST(FillsLedger, NoDoublePlacementUnderConcurrentCommits) {
  TestServer server(12000, 100, 42);  // a place with 16 free workers of one role
  auto c = server.Client();
  const Scene s = FindScene(c);
  ASSERT_GE(s.workers.size(), 8u);
  const int clients = std::min<int>(16, static_cast<int>(s.workers.size()));
  std::vector<std::tuple<std::string, int, std::string, std::string>> orders = {
      {"O910000", 1, "2027-06-01", "2027-06-30"}};
  for (int i = 1; i <= 8; ++i)
    orders.emplace_back(fmt::format("O91000{}", i), 5, "2027-07-01", "2027-07-31");
  AddOrders(c, s, orders);

  // Round 1: `clients` commits of different workers to one headcount-1 order, at once.
  // Round 2: 8 commits of one worker to 8 orders with overlapping dates, at once.
  auto race = [&](int n, const std::function<testing::HttpResult(HttpClient&, int)>& commit) {
    std::vector<testing::HttpResult> out(static_cast<size_t>(n));
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        HttpClient own(server.port());
        own.Get("/healthz");  // connected before the start line
        ++ready;
        while (ready.load() < n) std::this_thread::yield();
        out[static_cast<size_t>(i)] = commit(own, i);
      });
    }
    for (auto& t : threads) t.join();
    return out;
  };
  auto check = [&](const std::vector<testing::HttpResult>& got) {
    std::string winner;
    for (const auto& r : got)
      if (r.status == 201) {
        EXPECT_TRUE(winner.empty()) << "two commits won";
        winner = r.json()["fill_id"];
      }
    ASSERT_FALSE(winner.empty());
    for (const auto& r : got) {
      if (r.status == 201) continue;
      ASSERT_EQ(r.status, 422) << r.body;
      const Json e = r.json()["errors"][0];
      ASSERT_TRUE(e.contains("Consistency")) << r.body;
      EXPECT_NE(e["Consistency"]["reason"].get<std::string>().find(winner), std::string::npos)
          << "the refusal does not name the winning fill: " << r.body;
    }
  };
  check(race(clients, [&](HttpClient& h, int i) {
    return Commit(h, "O910000", {s.workers[static_cast<size_t>(i)]});
  }));
  EXPECT_EQ(SqlCount(c, "order_id = 'O910000' AND status = 'active'"), 1);
  const std::string worker = s.workers.back();
  check(race(8, [&](HttpClient& h, int i) {
    return Commit(h, fmt::format("O91000{}", i + 1), {worker});
  }));
  // (The worker may also have won round 1's June order: count the July ones.)
  EXPECT_EQ(SqlCount(c, fmt::format("worker_id = '{}' AND status = 'active' AND order_id <> "
                                    "'O910000'",
                                    worker)),
            1);
}

TEST(FillsLedger, ARetriedCommitIsOneFill) {
  TestServer server(2000, 100, 42);
  auto c = server.Client();
  const Scene s = FindScene(c);
  ASSERT_GE(s.workers.size(), 2u);
  AddOrders(c, s, {{"O920001", 5, "2027-08-01", "2027-08-31"}});
  std::vector<testing::HttpResult> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      HttpClient own(server.port());
      got[i] = Commit(own, "O920001", {s.workers[0]}, {{"idempotency-key", "retry-1"}});
    });
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int replayed = 0;
  for (const auto& r : got) {
    ASSERT_EQ(r.status, 201) << r.body;
    ids.insert(r.json()["fill_id"].get<std::string>());
    replayed += r.json()["replayed"] == true ? 1 : 0;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(replayed, 7);
  EXPECT_EQ(SqlCount(c, "order_id = 'O920001'"), 1);
  // The key with other workers is a conflict, not a second fill.
  EXPECT_EQ(Commit(c, "O920001", {s.workers[1]}, {{"idempotency-key", "retry-1"}}).status, 409);
  // A client-chosen fill_id works the same way.
  auto body = Json{{"order_id", "O920001"}, {"worker_ids", {s.workers[1]}}, {"fill_id", "f-42"}};
  EXPECT_EQ(c.PostJson("/v1/fills", body).status, 201);
  auto retry = c.PostJson("/v1/fills", body);
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(retry.json()["replayed"], true);
  EXPECT_EQ(c.PostJson("/v1/fills", Json{{"order_id", "O920001"},
                                         {"worker_ids", {s.workers[1]}},
                                         {"fill_id", "bad id/1"}})
                .status,
            400);
  EXPECT_EQ(SqlCount(c, "order_id = 'O920001'"), 2);
}

// A compaction copies the ledger a chunk at a time while commits and cancels go on
// (ledger.cc Snapshot), then drops the log's bytes its version holds: what SQL answers, what
// the ledger lists and what a restart reads back must be the same fills, row for row.
TEST(FillsLedger, CompactionsDuringCommitsAndCancelsLoseNothing) {
  TempDir root;
  auto adjust = [&](Config& cfg) {
    cfg.root = (root.path() / "data").string();
    cfg.ledger_compact_rows = 1000000;  // only the compactions this test asks for
  };
  // {fill_id, status} -> rows, for the orders of this test, by the ledger and by SQL.
  auto listed = [](HttpClient& c) {
    std::map<std::pair<std::string, std::string>, int64_t> out;
    const Json all = c.Get("/v1/fills?limit=100000").json();
    for (const auto& f : all["fills"])
      if (f["order_id"].get<std::string>().rfind("O94", 0) == 0) ++out[{f["fill_id"], f["status"]}];
    return out;
  };
  auto counted = [](HttpClient& c) {
    std::map<std::pair<std::string, std::string>, int64_t> out;
    auto r = c.PostJson("/v1/sql", {{"sql",
                                     "SELECT fill_id, status, count(*) FROM fills WHERE order_id "
                                     "LIKE 'O94%' GROUP BY ALL"}});
    EXPECT_EQ(r.status, 200) << r.body;
    const Json answer = r.json();
    for (const auto& row : answer["rows"]) out[{row[0], row[1]}] = row[2];
    return out;
  };
  // The validations' own lists (a worker's placements, an order's active rows) and the
  // active count agree with the rows. O949999 is never filled and falls on O940000's day:
  // worker 1's placement there was cancelled (free that day), worker 0's was committed again
  // (double-booked); worker 1's placement on O940001 still fills it.
  std::vector<std::string> scene_workers;
  auto judged = [&](HttpClient& c) {
    auto all = c.Get("/v1/fills?limit=1").json();
    auto active = c.PostJson("/v1/sql", {{"sql",
                                          "SELECT count(*) FROM fills WHERE status = "
                                          "'active'"}});
    ASSERT_EQ(active.status, 200) << active.body;
    EXPECT_EQ(all["ledger"]["active"], active.json()["rows"][0][0]) << all.dump();
    auto check = [&](const std::string& order, const std::string& worker) {
      return c.PostJson(
          "/v1/validate",
          {{"kind", "fill"}, {"payload", {{"order_id", order}, {"worker_ids", {worker}}}}});
    };
    auto freed = check("O949999", scene_workers[1]);
    EXPECT_EQ(freed.status, 200) << freed.body;
    auto booked = check("O949999", scene_workers[0]);
    EXPECT_EQ(booked.status, 422) << booked.body;
    EXPECT_NE(booked.body.find("double-booked: on order O940000"), std::string::npos)
        << booked.body;
    auto filled = check("O940001", scene_workers[1]);
    EXPECT_EQ(filled.status, 422) << filled.body;
    EXPECT_NE(filled.body.find("already filled on order O940001"), std::string::npos)
        << filled.body;
  };
  std::map<std::pair<std::string, std::string>, int64_t> before;
  {
    TestServer server(2000, 100, 42, adjust);
    auto c = server.Client();
    const Scene s = FindScene(c);
    ASSERT_GE(s.workers.size(), 3u);
    scene_workers = s.workers;
    // One-day orders on distinct days, each filled by every worker of the scene: more rows
    // than two of the snapshot's chunks.
    const size_t n = std::min<size_t>(600, 2600 / s.workers.size() + 1);
    std::vector<std::tuple<std::string, int, std::string, std::string>> orders;
    for (size_t i = 0; i < n; ++i) {
      const std::string day =
          fmt::format("{}-{:02}-{:02}", 2029 + i / 336, (i % 336) / 28 + 1, i % 28 + 1);
      orders.emplace_back(fmt::format("O94{:04}", i), 100, day, day);
    }
    auto with_spare = orders;
    with_spare.emplace_back("O949999", 100, std::get<2>(orders[0]), std::get<3>(orders[0]));
    AddOrders(c, s, with_spare);
    std::vector<std::string> fills;
    for (const auto& o : orders) {
      auto r = Commit(c, std::get<0>(o), s.workers);
      ASSERT_EQ(r.status, 201) << r.body;
      fills.push_back(r.json()["fill_id"]);
    }
    // Cancels and commits again while compactions run.
    std::atomic<bool> done{false};
    std::atomic<int> compactions{0};
    std::thread compactor([&] {
      auto cc = server.Client();
      while (!done.load()) {
        auto r = cc.PostJson("/v1/fills/compact", Json::object());
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status == 200 && r.json()["version"].get<int64_t>() > 0) ++compactions;
      }
    });
    for (size_t i = 0; i < n; i += 2) {
      auto r = c.Request("DELETE", "/v1/fills/" + fills[i] + "?reason=test");
      ASSERT_EQ(r.status, 200) << r.body;
      auto again = Commit(c, std::get<0>(orders[i]), {s.workers[0]});
      ASSERT_EQ(again.status, 201) << again.body;
    }
    done = true;
    compactor.join();
    EXPECT_GE(compactions.load(), 2);
    // No compaction after the changes: a change copied stale by the last one would stay
    // wrong in SQL (its overlay row is trimmed) and after a restart (its record dropped).
    before = listed(c);
    EXPECT_GE(before.size(), n + n / 2);
    EXPECT_EQ(counted(c), before);
    judged(c);
  }
  TestServer after(0, 0, 42, adjust);
  auto c = after.Client();
  EXPECT_EQ(listed(c), before);
  EXPECT_EQ(counted(c), before);
  judged(c);
}

TEST(FillsLedger, AcknowledgedCommitsSurviveKillNineAndCompaction) {
  TempDir root;
  const std::string data = (root.path() / "data").string();
  const std::string acks = (root.path() / "acks.txt").string();
  auto adjust = [&](Config& cfg) {
    cfg.root = data;
    cfg.ledger_compact_rows = 3;  // compactions run during the storm, one a second
    cfg.ledger_compact_age_ms = 1000;
  };
  std::unique_ptr<TestServer> server;
  std::unique_ptr<HttpClient> client;
  Scene scene;
  std::string open_fill;
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!server) {
          server = std::make_unique<TestServer>(2000, 100, 42, adjust);
          client = std::make_unique<HttpClient>(server->port());
          scene = FindScene(*client);
          AddOrders(*client, scene, {{"O930001", 1000, "2027-09-01", "2027-09-30"}});
        }
        // Even writes commit a worker, odd ones cancel that fill again.
        const std::string worker = scene.workers[static_cast<size_t>(i / 2) % scene.workers.size()];
        if (i % 2 == 0) {
          auto r = Commit(*client, "O930001", {worker});
          if (r.status != 201) return false;
          open_fill = r.json()["fill_id"];
          std::ofstream(acks, std::ios::app) << open_fill << " active\n";
        } else {
          auto r = client->Request("DELETE", "/v1/fills/" + open_fill + "?reason=storm");
          if (r.status != 200) return false;
          std::ofstream(acks, std::ios::app) << open_fill << " cancelled\n";
        }
        return true;
      },
      std::chrono::milliseconds(2500), 8);
  ASSERT_GE(last, 7) << "the child made no progress, or died";

  TestServer after(0, 0, 42, adjust);
  auto c = after.Client();
  std::map<std::string, std::string> want;
  std::ifstream in(acks);
  std::string id, status;
  while (in >> id >> status) want[id] = status;
  ASSERT_GE(want.size(), 4u);
  auto listed = c.Get("/v1/fills?order_id=O930001&limit=100000").json();
  std::map<std::string, std::string> have;
  for (const auto& f : listed["fills"]) have[f["fill_id"]] = f["status"];
  for (const auto& [fill, st] : want) {
    ASSERT_TRUE(have.count(fill)) << "acknowledged fill " << fill << " is gone";
    if (st == "cancelled") {
      EXPECT_EQ(have[fill], "cancelled") << fill;
    }
  }
  // SQL agrees with the ledger, and the compactions left versions behind.
  EXPECT_EQ(SqlCount(c, "order_id = 'O930001'"), static_cast<int64_t>(have.size()));
  EXPECT_GE(listed["ledger"]["compactions"].get<int64_t>() +
                listed["ledger"]["base_version"].get<int64_t>(),
            1);
  // One more compaction folds everything; the answers do not change.
  auto compact = c.PostJson("/v1/fills/compact", Json::object());
  ASSERT_EQ(compact.status, 200) << compact.body;
  EXPECT_EQ(compact.json()["ledger"]["pending"], 0);
  EXPECT_EQ(SqlCount(c, "order_id = 'O930001'"), static_cast<int64_t>(have.size()));
  auto v = compact.json()["version"].get<int64_t>();
  if (v > 0) {
    auto old = c.PostJson("/v1/sql", {{"sql", "SELECT count(*) FROM \"fills@v1\""}});
    EXPECT_EQ(old.status, 200) << "older versions stay queryable";
  }
}

}  // namespace
}  // namespace lakehouse
