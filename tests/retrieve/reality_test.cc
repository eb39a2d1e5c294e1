// Reality tests: queries a coordinator would type, against generated data (30k workers),
// through POST /v1/matrix/retrieve. Every result must have the right role (the cross-role
// gate), honour the filter, and be what a coordinator wants: role first, then place (near
// the city the query names), then the qualifications the query names.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "staffing/taxonomy.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TestServer;

class Reality : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(30000, 300, 42); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Json Retrieve(const Json& body, int expect_status = 200) {
    auto res = server_->Client().PostJson("/v1/matrix/retrieve", body);
    EXPECT_EQ(res.status, expect_status) << res.body;
    return res.json();
  }
  // Checks the role, place and shift of every result; returns the results.
  static Json Expect(const std::string& query, const std::string& role, const std::string& city,
                     const std::string& shift, int k = 10) {
    Json out = Retrieve(Json{{"query", query}, {"k", k}});
    EXPECT_EQ(out["role"], role) << query;
    EXPECT_EQ(out["role_source"], "extracted");
    EXPECT_EQ(out["results"].size(), static_cast<size_t>(k)) << query;
    const staffing::City* c = nullptr;
    for (const auto& x : staffing::Cities())
      if (x.name == city && (c == nullptr || x.weight > c->weight)) c = &x;
    for (const auto& r : out["results"]) {
      const Json& p = r["payload"];
      EXPECT_EQ(r["corpus"], "workers");
      EXPECT_EQ(p["role"], role) << query << ": " << r.dump();
      if (c != nullptr) {
        if (out["place"]["scope"] == "radius") {
          const double miles = staffing::HaversineMiles(p["lat"].get<double>(),
                                                        p["lon"].get<double>(), c->lat, c->lon);
          EXPECT_LT(miles, 75.0) << query << ": "
                                 << r.dump();  // the 50-mile box's corners reach ~71
        } else {
          EXPECT_EQ(p["state"], c->state) << query;
        }
      }
      if (!shift.empty()) {
        EXPECT_TRUE(p["shift_pref"] == shift || p["shift_pref"] == "any")
            << query << ": " << r.dump();
      }
    }
    return out;
  }
  static int Holds(const Json& payload, const std::string& qual) {
    for (const char* f : {"certifications", "skills"})
      for (const auto& v : payload[f])
        if (v == qual) return 1;
    return 0;
  }
  static TestServer* server_;
};
TestServer* Reality::server_ = nullptr;

TEST_F(Reality, real_001_forklift_drivers_nights_in_dayton) {
  Json out =
      Expect("need 12 forklift drivers nights in Dayton", "forklift operator", "Dayton", "night");
  EXPECT_EQ(out["place"]["city"], "Dayton");
  EXPECT_EQ(out["shift"], "night");
}

TEST_F(Reality, real_002_cna_weekend_columbus) {
  Json out = Expect("CNA weekend shift Columbus", "cna", "Columbus", "", 8);
  EXPECT_EQ(out["place"]["state"], "OH");
}

TEST_F(Reality, real_003_welders_with_6g_near_houston_qualified_first) {
  Json out = Expect("welders with 6G cert near Houston", "welder", "Houston", "", 5);
  EXPECT_EQ(out["qualifications"], Json::array({"6g pipe"}));
  // Holders of the named certification come first.
  int previous = 1;
  for (const auto& r : out["results"]) {
    const int h = Holds(r["payload"], "6g pipe");
    EXPECT_LE(h, previous) << out.dump();
    previous = h;
  }
  EXPECT_EQ(Holds(out["results"][0]["payload"], "6g pipe"), 1) << out["results"][0].dump();
}

TEST_F(Reality, real_004_lift_truck_operators_day_shift_chicago) {
  Expect("lift truck operators, day shift, Chicago", "forklift operator", "Chicago", "day");
}

TEST_F(Reality, real_005_certified_nursing_assistants_phoenix) {
  Expect("certified nursing assistants in Phoenix", "cna", "Phoenix", "");
}

TEST_F(Reality, real_006_cdl_a_hazmat_atlanta) {
  Json out = Expect("CDL-A drivers with hazmat endorsement around Atlanta", "cdl-a driver",
                    "Atlanta", "", 5);
  EXPECT_EQ(Holds(out["results"][0]["payload"], "hazmat endorsement"), 1)
      << out["results"][0].dump();
}

TEST_F(Reality, real_007_line_cooks_anywhere) {
  Json out = Expect("line cooks", "line cook", "", "");
  EXPECT_TRUE(out["place"].is_null());
}

TEST_F(Reality, real_008_given_role_gates_every_other_role) {
  Json out = Retrieve(Json{{"query", "forklift drivers in Dayton"}, {"role", "welder"}, {"k", 10}});
  EXPECT_EQ(out["role"], "welder");
  EXPECT_EQ(out["role_source"], "given");
  for (const auto& r : out["results"]) EXPECT_EQ(r["payload"]["role"], "welder") << r.dump();
  EXPECT_GT(out["gated"].get<int>(), 0);  // a plain search would have returned forklift operators
  // A synonym given as the role maps to its canonical name.
  EXPECT_EQ(Retrieve(Json{{"query", "x"}, {"role", "forklift driver"}})["role"],
            "forklift operator");
}

TEST_F(Reality, real_009_filter_holds_inside_the_search) {
  Json out = Retrieve(Json{{"query", "warehouse associates in Los Angeles"},
                           {"k", 10},
                           {"filter", {{"available", true}, {"rating", {{"gte", 4.5}}}}}});
  EXPECT_EQ(out["results"].size(), 10u);
  for (const auto& r : out["results"]) {
    EXPECT_EQ(r["payload"]["role"], "warehouse associate");
    EXPECT_EQ(r["payload"]["available"], true);
    EXPECT_GE(r["payload"]["rating"].get<double>(), 4.5);
  }
}

TEST_F(Reality, real_010_no_role_means_no_gate) {
  Json out = Retrieve(Json{{"query", "reliable and punctual"}, {"k", 5}});
  EXPECT_TRUE(out["role"].is_null());
  EXPECT_EQ(out["role_source"], "none");
  EXPECT_EQ(out["gated"], 0);
  EXPECT_EQ(out["results"].size(), 5u);
}

TEST_F(Reality, real_011_several_corpora_merge_by_rank_fusion_and_gate_each) {
  auto c = server_->Client();
  // A role-bearing corpus (fills) and a role-less one (notes), embedded from text.
  ASSERT_EQ(c.PostJson("/v1/indexes", Json{{"name", "fills"}}).status, 201);
  ASSERT_EQ(c.PostJson("/v1/indexes", Json{{"name", "notes"}}).status, 201);
  ASSERT_EQ(c.PostJson("/v1/indexes/fills/upsert",
                       Json{{"items",
                             {{{"id", "F1"},
                               {"text", "forklift operator night fill Dayton OH"},
                               {"payload", {{"role", "forklift operator"}}}},
                              {{"id", "F2"},
                               {"text", "forklift night shift Dayton welder"},
                               {"payload", {{"role", "welder"}}}}}}})
                .status,
            200);
  ASSERT_EQ(c.PostJson("/v1/indexes/notes/upsert",
                       Json{{"items",
                             {{{"id", "N1"},
                               {"text", "Dayton forklift crew prefers nights"},
                               {"payload", {{"author", "coordinator"}}}}}}})
                .status,
            200);
  Json out = Retrieve(Json{{"query", "forklift drivers nights in Dayton"}, {"k", 12}});
  EXPECT_EQ(out["per_corpus"]["fills"], 1);  // F2 (a welder) is gated
  EXPECT_EQ(out["per_corpus"]["notes"], 1);  // notes carry no role: not gated
  EXPECT_EQ(out["per_corpus"]["workers"], 12);
  EXPECT_GE(out["gated"].get<int>(), 1);
  // Rank fusion: each corpus's first hit shares the top score; ties by similarity.
  std::set<std::string> top3;
  for (size_t i = 0; i < 3; ++i) top3.insert(out["results"][i]["corpus"].get<std::string>());
  EXPECT_EQ(top3, (std::set<std::string>{"workers", "fills", "notes"}));
  for (const auto& r : out["results"]) {
    if (r["payload"].contains("role")) {
      EXPECT_EQ(r["payload"]["role"], "forklift operator");
    }
  }
  // Only the named corpora, and a missing one is a 404.
  Json only = Retrieve(Json{{"query", "forklift"}, {"corpora", {"notes"}}});
  EXPECT_EQ(only["per_corpus"].size(), 1u);
  Retrieve(Json{{"query", "forklift"}, {"corpora", {"emails"}}}, 404);
  ASSERT_EQ(c.Request("DELETE", "/v1/indexes/fills").status, 200);
  ASSERT_EQ(c.Request("DELETE", "/v1/indexes/notes").status, 200);
}

// Near workers first, whichever widening found them (a filtered graph search can miss some
// that a wider one then finds): every radius hit ranks above every hit outside it, and each
// result says how far it is.
TEST_F(Reality, real_012_virginia_beach_radius_hits_first_with_reasons) {
  Json out = Retrieve(Json{{"query", "forklift operators in Virginia Beach"}, {"k", 40}});
  ASSERT_EQ(out["results"].size(), 40u);
  bool outside = false;
  for (const auto& r : out["results"]) {
    const Json& why = r["reasons"];
    ASSERT_TRUE(why["distance_miles"].is_number()) << r.dump();
    const double miles = why["distance_miles"];
    if (miles > 50) outside = true;
    EXPECT_FALSE(outside && miles <= 50)
        << "a radius hit ranked after one outside it: " << r.dump();
    EXPECT_EQ(why["role_match"], true);
    EXPECT_TRUE(why["shift"].contains("match"));
    EXPECT_EQ(why["similarity"], r["similarity"]);
  }
}

// Candidates for an order: its role, place and shift; placed workers are left out and
// counted; every result explains itself against the order.
TEST(RetrieveHttp, OrderCandidatesLeaveOutPlacedWorkersAndExplainThemselves) {
  TestServer server(2000, 100, 42);
  auto c = server.Client();
  auto open = c.PostJson(
      "/v1/sql",
      {{"sql", "SELECT order_id FROM job_orders WHERE status = 'open' ORDER BY order_id"}});
  ASSERT_EQ(open.status, 200);
  std::string order, placed;
  Json first;
  const Json listed = open.json();
  for (const auto& row : listed["rows"]) {
    auto got = c.PostJson("/v1/matrix/retrieve",
                          {{"order_id", row[0]}, {"corpora", {"workers"}}, {"k", 5}});
    ASSERT_EQ(got.status, 200) << got.body;
    first = got.json();
    if (first["results"].empty()) continue;
    const Json& top = first["results"][0];
    auto commit = c.PostJson("/v1/fills", {{"order_id", row[0]}, {"worker_ids", {top["id"]}}});
    if (commit.status == 201) {
      order = row[0].get<std::string>();
      placed = top["id"].get<std::string>();
      break;
    }
  }
  ASSERT_FALSE(order.empty()) << "no open order's top candidate could be committed";
  EXPECT_EQ(first["role_source"], "order");
  EXPECT_EQ(first["order_id"], order);
  const Json& top = first["results"][0];
  EXPECT_EQ(top["reasons"]["role_match"], true);
  EXPECT_EQ(top["reasons"]["shift"]["match"], true);
  EXPECT_EQ(top["reasons"]["status"], "active");
  EXPECT_EQ(top["reasons"]["available"], true);
  EXPECT_LE(top["reasons"]["distance_miles"].get<double>(), 50.0);
  EXPECT_TRUE(top["reasons"]["certifications_missing"].empty());

  auto again =
      c.PostJson("/v1/matrix/retrieve", {{"order_id", order}, {"corpora", {"workers"}}, {"k", 5}});
  ASSERT_EQ(again.status, 200);
  const Json second = again.json();
  for (const auto& r : second["results"]) EXPECT_NE(r["id"], placed);
  EXPECT_GE(again.json()["excluded"].get<int>(), 1);
  EXPECT_EQ(c.PostJson("/v1/matrix/retrieve", {{"order_id", "O999999"}}).status, 404);
}

// A small server: retrieve's checks and gate under the sanitizer build too (the Reality
// suite's 30k-worker index is too slow there and is excluded from make test-asan).
TEST(RetrieveHttp, BadRequestsGateAndTheKbLine) {
  TestServer server(2000, 50, 42);
  auto Retrieve = [&](const Json& body, int expect_status = 200) {
    auto res = server.Client().PostJson("/v1/matrix/retrieve", body);
    EXPECT_EQ(res.status, expect_status) << res.body;
    return res.json();
  };
  Json gated = Retrieve(Json{{"query", "forklift operators"}, {"role", "welder"}, {"k", 5}});
  for (const auto& r : gated["results"]) EXPECT_EQ(r["payload"]["role"], "welder");
  EXPECT_GT(gated["gated"].get<int>(), 0);
  Retrieve(Json{{"query", ""}}, 400);
  Retrieve(Json{{"query", "x"}, {"k", 0}}, 400);
  Json bad = Retrieve(Json{{"query", "x"}, {"role", "astronaut"}}, 400);
  EXPECT_EQ(bad["error"]["message"], "unknown role 'astronaut'");
  Retrieve(Json{{"query", "x"}, {"filter", {{"rating", {{"between", 1}}}}}}, 400);
  Retrieve(Json{{"query", "welders in Tulsa"}, {"k", 3}});  // each test runs in its own process
  auto lines = testing::KbLines(server.root().path(), "retrievals");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["schema"], "retrieval.v1");
  EXPECT_EQ(lines.back()["query"], "welders in Tulsa");
  EXPECT_EQ(lines.back()["results"].size(), 3u);
}

}  // namespace
}  // namespace lakehouse
