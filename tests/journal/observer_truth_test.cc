// The observer (rolling windows; fail-safe: it may throw or stall while requests keep
// succeeding), truth reconciliation, and the journal, observer and truth routes over HTTP.
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "journal/observer.h"
#include "journal/truth.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::TestServer;

JournalEvent Request(const std::string& route, int status, double ms) {
  JournalEvent e;
  e.type = "http.request";
  e.subject = route;
  e.ts_ms = SystemClock::Get().NowMillis();
  e.payload = Json{{"method", "POST"}, {"route", route}, {"status", status}, {"latency_ms", ms}};
  return e;
}

TEST(Observer, RollingWindowsByRouteValidatorAndModel) {
  Observer obs(ObserverOptions{});
  for (int i = 0; i < 100; ++i)
    obs.Offer(Request("/v1/validate", i < 90 ? 200 : 422, i < 98 ? 0.8 : 40));
  JournalEvent v;
  v.type = "validate";
  v.ts_ms = SystemClock::Get().NowMillis();
  v.payload = Json{{"kind", "fill"},
                   {"valid", false},
                   {"error_kinds", {{"Consistency", 2}, {"Policy", 1}}},
                   {"reasons", {"Consistency: worker_ids[0]: unknown worker W1"}}};
  obs.Offer(v);
  JournalEvent c;
  c.type = "chat.call";
  c.subject = "local/planner";
  c.ts_ms = v.ts_ms;
  c.payload = Json{{"ok", false}, {"latency_ms", 3.0}};
  obs.Offer(c);
  obs.Drain();
  const Json s = obs.Summary();
  const Json& w = s["windows"]["1m"];
  EXPECT_EQ(w["requests"], 100);
  const Json& r = w["by_route"]["POST /v1/validate"];
  EXPECT_EQ(r["by_status"]["200"], 90);
  EXPECT_EQ(r["by_status"]["422"], 10);
  EXPECT_EQ(r["p50_ms"], 1.0);   // the bucket holding 0.8 ms
  EXPECT_EQ(r["p99_ms"], 50.0);  // the two 40 ms requests
  EXPECT_EQ(w["validators"]["fill"]["errors_by_kind"]["Consistency"], 2);
  EXPECT_EQ(w["top_failure_reasons"][0]["count"], 1);
  EXPECT_EQ(w["chat"]["local/planner"]["errors"], 1);
  EXPECT_EQ(s["windows"]["1h"]["requests"], 100);
  EXPECT_EQ(s["queue"]["processed"], 102);
  EXPECT_EQ(s["queue"]["dropped"], 0);
}

// Each closed minute with traffic becomes one _kb/observer_events.jsonl line.
TEST(Observer, ClosedMinutesGoToTheKbLog) {
  testing::TempDir dir;
  KbLog kb(dir.path() / "_kb");
  const int64_t t0 = 1795000000000;  // a minute boundary: 1795000000 s = 29916666 min + 40 s
  FixedClock clock(t0 - t0 % 60000 + 5000);
  ObserverOptions o;
  o.kb = &kb;
  o.clock = &clock;
  Observer obs(o);
  obs.Drain();  // the observer starts counting from the minute before this one
  for (int i = 0; i < 3; ++i) {
    JournalEvent e = Request("/v1/memory", 201, 2.0);
    e.ts_ms = clock.NowMillis();
    obs.Offer(e);
  }
  obs.Drain();
  EXPECT_TRUE(testing::KbLines(dir.path(), "observer_events").empty());  // still open
  clock.Set(clock.NowMillis() + 61000);
  obs.Drain();
  auto lines = testing::KbLines(dir.path(), "observer_events");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["schema"], "observer_event.v1");
  EXPECT_EQ(lines[0]["window_s"], 60);
  EXPECT_EQ(lines[0]["window_start"], FormatRfc3339Millis(t0 - t0 % 60000));
  EXPECT_EQ(lines[0]["requests"], 3);
  EXPECT_EQ(lines[0]["by_route"]["POST /v1/memory"]["p50_ms"], 2.5);
  clock.Set(clock.NowMillis() + 120000);  // quiet minutes write nothing
  obs.Drain();
  EXPECT_EQ(testing::KbLines(dir.path(), "observer_events").size(), 1u);
}

// The observer throws on every event, then stalls: every request still succeeds, quickly,
// and the observer counts its errors and its drops.
TEST(ObserverHttp, AThrowingOrStalledObserverNeverFailsOrSlowsRequests) {
  TestServer server(50, 10, 42, [](Config& c) { c.observer_queue_capacity = 16; });
  Observer& obs = *server.app().services().observer;
  HttpClient c = server.Client();
  const Json fill = {{"kind", "fill"},
                     {"payload", {{"order_id", "O000001"}, {"worker_ids", {"W0000001"}}}}};

  obs.SetHookForTest([](const JournalEvent&) { throw std::runtime_error("observer bug"); });
  for (int i = 0; i < 100; ++i) {
    auto r = c.PostJson("/v1/validate", fill);
    ASSERT_TRUE(r.status == 200 || r.status == 422) << r.body;
  }
  obs.Drain();
  // Every event either reached the throwing hook (an error) or overflowed the 16-slot
  // queue (a drop): how many of each depends on scheduling, the sum does not.
  const Json queue = obs.Summary()["queue"];
  EXPECT_GT(queue["errors"].get<int64_t>(), 0);
  EXPECT_GE(queue["errors"].get<int64_t>() + queue["dropped"].get<int64_t>(), 100);

  // Stalled: 200 ms per event, a 16-slot queue. 300 requests would take a minute if they
  // waited for it; they take well under that, and the overflow is dropped and counted.
  obs.SetHookForTest(
      [](const JournalEvent&) { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    auto r = c.Get("/healthz");
    ASSERT_EQ(r.status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_GT(obs.Summary()["queue"]["dropped"].get<int64_t>(), 0);
  obs.SetHookForTest(nullptr);
}

TEST(Truth, PriorityThenRecencyThenConfidenceWithConflicts) {
  testing::TempDir dir;
  auto claim = [](const char* attr, Json value, const char* source, const char* observed,
                  double confidence = 1.0) {
    auto c = ParseClaim(Json{{"subject", "worker:W1"},
                             {"attribute", attr},
                             {"value", value},
                             {"source", source},
                             {"observed_at", observed},
                             {"confidence", confidence}});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return *c;
  };
  {
    auto t = TruthStore::Open(dir.str() + "/truth",
                              {"roster", "coordinator", "email", "memory", "model"}, nullptr);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE((*t)->Add({claim("phone", "555-0100", "email", "2026-11-01"),
                           claim("phone", "555-0199", "email", "2026-11-20", 0.6),
                           claim("phone", "555-0177", "model", "2026-11-23"),
                           claim("city", "Dayton", "memory", "2026-10-01", 0.9),
                           claim("city", "Kettering", "memory", "2026-10-01", 0.5),
                           claim("shift", "night", "gossip", "2026-11-24")},
                          "req-1")
                    .ok());
  }
  auto t = TruthStore::Open(dir.str() + "/truth",
                            {"roster", "coordinator", "email", "memory", "model"}, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->size(), 6u);  // durable across a reopen
  auto r = (*t)->Resolve("worker:W1", {});
  ASSERT_TRUE(r.ok());
  const auto& a = r->attributes;
  // email beats model although the model's claim is newer; among emails the recent wins.
  EXPECT_EQ(a.at("phone").winner.value, "555-0199");
  EXPECT_EQ(a.at("phone").winner.source, "email");
  EXPECT_EQ(a.at("phone").claims, 3u);
  ASSERT_EQ(a.at("phone").conflicts.size(), 2u);
  EXPECT_EQ(a.at("phone").conflicts[0].value, "555-0100");  // same order: email first
  EXPECT_EQ(a.at("phone").conflicts[1].source, "model");
  // Same source and time: the higher confidence.
  EXPECT_EQ(a.at("city").winner.value, "Dayton");
  // An unlisted source still answers when it is the only one.
  EXPECT_EQ(a.at("shift").winner.source, "gossip");
  // The JSON form, written once next to the struct.
  const Json j = r->ToJson();
  EXPECT_EQ(j["subject"], "worker:W1");
  EXPECT_EQ(j["attributes"]["phone"]["claims"], 3);
  EXPECT_EQ(j["attributes"]["phone"]["conflicts"][0]["value"], "555-0100");
  // The roster outranks everything.
  Claim roster = claim("phone", "555-0000", "roster", "2026-01-01");
  roster.id = "roster:workers@v1";
  auto with_roster = (*t)->Resolve("worker:W1", {roster});
  EXPECT_EQ(with_roster->attributes.at("phone").winner.value, "555-0000");
  EXPECT_EQ(with_roster->attributes.at("phone").conflicts.size(), 3u);
  EXPECT_EQ((*t)->Resolve("worker:W404", {}).status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(ParseClaim(Json{{"subject", "s"},
                               {"attribute", "a"},
                               {"value", 1},
                               {"source", "x"},
                               {"observed_at", "yesterday"}})
                   .ok());
  EXPECT_FALSE(ParseClaim(Json{{"subject", "s"},
                               {"attribute", "a"},
                               {"value", {1, 2}},
                               {"source", "x"},
                               {"observed_at", "2026-11-01"}})
                   .ok());
}

TEST(JournalHttp, EventsQueriesFollowObserverAndTruth) {
  TestServer server(200, 40, 42);
  HttpClient c = server.Client();
  ASSERT_EQ(c.PostJson("/v1/memory", {{"subject", "worker:W0000001"},
                                      {"text", "prefers nights"},
                                      {"source", "coordinator"}})
                .status,
            201);
  ASSERT_EQ(c.PostJson("/v1/validate",
                       {{"kind", "fill"},
                        {"payload", {{"order_id", "O000001"}, {"worker_ids", {"W9999999"}}}}})
                .status,
            422);
  ASSERT_EQ(
      c.PostJson("/v1/iterate", {{"kind", "fill"}, {"task", {{"order_id", "O000007"}}}}).status,
      200);
  ASSERT_EQ(c.Get("/v1/datasets").status, 200);  // a read: not journaled

  Json all = c.Get("/v1/journal?limit=1000").json();
  std::map<std::string, int> types;
  for (const auto& e : all["events"]) ++types[e["type"].get<std::string>()];
  EXPECT_EQ(types["memory.add"], 1);
  EXPECT_GE(types["validate"], 2);  // the 422 and the iterate attempt(s)
  EXPECT_GE(types["chat.call"], 1);
  EXPECT_EQ(types["iterate.run"], 1);
  EXPECT_EQ(types["pathway.step"], 2);
  // POST memory and iterate (they need the write scope); not GETs nor /v1/validate (a read:
  // it judges, it changes nothing, and its own "validate" event is above).
  EXPECT_EQ(types["http.request"], 2);
  for (size_t i = 1; i < all["events"].size(); ++i)
    EXPECT_EQ(all["events"][i]["seq"], all["events"][i - 1]["seq"].get<int>() + 1);

  Json mem = c.Get("/v1/journal?type=memory.&subject=worker:W0000001").json();
  ASSERT_EQ(mem["count"], 1);
  EXPECT_EQ(mem["events"][0]["payload"]["id"], "mem_000001");
  Json v = c.Get("/v1/journal?type=validate&limit=1").json();
  EXPECT_EQ(v["count"], 1);
  EXPECT_EQ(v["events"][0]["payload"]["error_kinds"]["Consistency"], 1);
  EXPECT_EQ(c.Get("/v1/journal?since=2099-01-01").json()["count"], 0);
  EXPECT_EQ(c.Get("/v1/journal?since=yesterday").status, 400);
  EXPECT_EQ(c.Get("/v1/journal?limit=0").status, 400);

  // Follow: a long poll answered by the next matching append.
  const uint64_t last = all["last_seq"];
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    HttpClient w = server.Client();
    (void)w.PostJson(
        "/v1/memory",
        {{"subject", "worker:W0000002"}, {"text", "speaks Spanish"}, {"source", "email"}});
  });
  Json followed =
      c.Get("/v1/journal/follow?type=memory.&wait_ms=10000&after_seq=" + std::to_string(last))
          .json();
  writer.join();
  ASSERT_EQ(followed["count"], 1) << followed.dump();
  EXPECT_EQ(followed["events"][0]["subject"], "worker:W0000002");
  EXPECT_EQ(c.Get("/v1/journal/follow?wait_ms=70000").status, 400);
  Json stats = c.Get("/v1/journal/stats").json();
  EXPECT_GT(stats["last_seq"].get<uint64_t>(), last);
  EXPECT_EQ(stats["segments"], 1);

  // The observer saw the requests (GETs too) and the validations.
  Json summary;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    summary = c.Get("/v1/observer/summary").json();
  } while (summary["windows"]["1m"]["by_route"].find("GET /v1/datasets") ==
               summary["windows"]["1m"]["by_route"].end() &&
           std::chrono::steady_clock::now() < deadline);
  const Json& w = summary["windows"]["1m"];
  EXPECT_EQ(w["by_route"]["POST /v1/validate"]["by_status"]["422"], 1);
  EXPECT_EQ(w["by_route"]["GET /v1/datasets"]["count"], 1);
  EXPECT_GE(w["validators"]["fill"]["validations"].get<int>(), 2);

  // Truth: a claim conflicting with the roster loses to it and is listed.
  Json roster_phone =
      c.PostJson("/v1/sql", {{"sql", "SELECT phone FROM workers WHERE worker_id = 'W0000003'"}})
          .json();
  const std::string phone = roster_phone["rows"][0][0];
  auto added = c.PostJson("/v1/truth/claims", {{"claims",
                                                {{{"subject", "worker:W0000003"},
                                                  {"attribute", "phone"},
                                                  {"value", "+1-555-000-1111"},
                                                  {"source", "email"},
                                                  {"observed_at", "2026-11-20"},
                                                  {"confidence", 0.7}},
                                                 {{"subject", "worker:W0000003"},
                                                  {"attribute", "preferred_shift"},
                                                  {"value", "night"},
                                                  {"source", "coordinator"},
                                                  {"observed_at", "2026-11-21T09:30:00Z"}}}}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json()["accepted"], 2);
  Json truth = c.Get("/v1/truth/worker:W0000003").json();
  EXPECT_EQ(truth["attributes"]["phone"]["value"], phone);
  EXPECT_EQ(truth["attributes"]["phone"]["source"], "roster");
  EXPECT_EQ(truth["attributes"]["phone"]["conflicts"][0]["value"], "+1-555-000-1111");
  EXPECT_EQ(truth["attributes"]["preferred_shift"]["value"], "night");
  EXPECT_TRUE(truth["attributes"].contains("status"));
  EXPECT_EQ(c.Get("/v1/truth/client:C404").status, 404);
  auto bad = c.PostJson("/v1/truth/claims", {{"claims", {{{"subject", "s"}}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("claims[0]."), std::string::npos);
  auto lines = testing::KbLines(server.root().path(), "truth_claims");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["schema"], "truth_claim.v1");
}

}  // namespace
}  // namespace lakehouse
