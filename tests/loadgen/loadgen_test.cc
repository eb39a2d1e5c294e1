// The load generator against a real server (every class runs, every answer checks out), a
// fake target that answers wrong (the wrong answers are counted as failures), and its
// loopback-only rule. Also: one server per data root.
#include <gtest/gtest.h>

#include "auth/keys.h"
#include "core/process_lock.h"
#include "loadgen/loadgen.h"
#include "server/app.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::FakeProvider;
using testing::TestServer;

TEST(Loadgen, TargetsLoopbackOnly) {
  for (const char* ok :
       {"http://127.0.0.1:3100", "http://localhost:8080/", "http://[::1]:3100", "http://127.0.0.1"})
    EXPECT_TRUE(loadgen::CheckLoopbackTarget(ok).ok()) << ok;
  for (const char* bad : {"http://10.0.0.7:3100", "http://example.com", "https://127.0.0.1:3100",
                          "127.0.0.1:3100", "http://127.0.0.1.evil.com:80"}) {
    Status st = loadgen::CheckLoopbackTarget(bad);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << bad;
  }
  loadgen::LoadgenOptions o;
  o.target = "http://192.168.1.2:3100";
  EXPECT_NE(loadgen::RunLoadgen(o).status().message().find("not loopback"), std::string::npos);
  o.target = "http://127.0.0.1:1";
  o.scenarios = {"sql_query", "teleport"};
  EXPECT_NE(loadgen::RunLoadgen(o).status().message().find("unknown scenario 'teleport'"),
            std::string::npos);
}

TEST(Loadgen, EveryClassRunsAgainstARealServerWithoutFailures) {
  TestServer server(300, 60, 42);
  loadgen::LoadgenOptions o;
  o.target = "http://127.0.0.1:" + std::to_string(server.port());
  o.concurrency = 4;
  o.duration_s = 1.5;
  auto report = loadgen::RunLoadgen(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const std::string& c : loadgen::ScenarioClasses()) {
    const Json& s = (*report)["classes"][c];
    EXPECT_GT(s["count"].get<int64_t>(), 0) << c;
    EXPECT_EQ(s["failures"], 0) << c << ": " << s["first_failures"].dump();
    EXPECT_GE(s["p99_ms"].get<double>(), s["p50_ms"].get<double>()) << c;
  }
  EXPECT_EQ((*report)["schema"], "loadgen_report.v1");
  EXPECT_NE(loadgen::ReportTable(*report).find("total"), std::string::npos);
  // The machine's own stalls meanwhile: how many is the machine's business, the fields are not.
  const Json& m = (*report)["machine_stalls"];
  EXPECT_EQ(m["threshold_ms"], 50) << m.dump();
  EXPECT_EQ(m["count"].get<size_t>(), m["stalls"].size()) << m.dump();
  EXPECT_NE(loadgen::ReportTable(*report).find("machine stalls (" + m["probe"].get<std::string>()),
            std::string::npos);
}

// With auth required the load generator sends its key, and every class still passes: the
// key needs read and write, and a concurrency bound above the clients it runs.
TEST(Loadgen, RunsWithAKeyAgainstAServerWithAuthRequired) {
  TestServer server(300, 60, 42, [](Config& c) { c.auth = "required"; });
  auto key = server.app().keys().Create("loadgen", auth::kRead | auth::kWrite, 0, 16);
  ASSERT_TRUE(key.ok());
  loadgen::LoadgenOptions o;
  o.target = "http://127.0.0.1:" + std::to_string(server.port());
  o.concurrency = 4;
  o.duration_s = 1;
  o.api_key = key->secret;
  auto report = loadgen::RunLoadgen(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT((*report)["total"]["count"].get<int64_t>(), 0);
  EXPECT_EQ((*report)["total"]["failures"], 0) << (*report)["classes"].dump();
  // Without it the setup itself is refused, and says why.
  o.api_key.clear();
  auto refused = loadgen::RunLoadgen(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("pass --key"), std::string::npos)
      << refused.status().ToString();
}

// A target that serves the setup but miscounts: the sql_query class fails on every
// scenario, with the reason, and nothing else is counted as run.
TEST(Loadgen, AWrongAnswerIsAFailure) {
  FakeProvider fake([](Router& r) {
    r.Add("GET", "/v1/validate/roster", [](HttpRequest&) {
      return HttpResponse::FromJson(200, Json{{"loaded", true}});
    });
    r.Add("POST", "/v1/sql", [](HttpRequest& req) {
      const bool orders = req.body.find("job_orders") != std::string::npos;
      const bool by_role = req.body.find("GROUP BY") != std::string::npos;
      Json rows = orders    ? Json::array({Json::array({"O1", "cna", "Dayton", "OH", "day"})})
                  : by_role ? Json::array({Json::array({"cna", 41})})
                            : Json::array({Json::array({40})});  // one short: wrong
      return HttpResponse::FromJson(200, Json{{"rows", rows}});
    });
    r.Add("POST", "/v1/iterate", [](HttpRequest&) {
      return HttpResponse::FromJson(
          200, Json{{"valid", true}, {"final", {{"order_id", "O1"}, {"worker_ids", {"W1"}}}}});
    });
    r.Add("POST", "/v1/embed", [](HttpRequest&) {
      return HttpResponse::FromJson(200, Json{{"dims", 2}, {"embeddings", {{0.6, 0.8}}}});
    });
  });
  loadgen::LoadgenOptions o;
  o.target = fake.url();
  o.concurrency = 2;
  o.duration_s = 0.3;
  o.scenarios = {"sql_query"};
  auto report = loadgen::RunLoadgen(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const Json& s = (*report)["classes"]["sql_query"];
  ASSERT_GT(s["count"].get<int64_t>(), 0);
  EXPECT_EQ(s["failures"], s["count"]);
  EXPECT_EQ(s["failure_pct"], 100.0);
  EXPECT_EQ(s["first_failures"][0], "sql: 40 active cna workers, the setup counted 41");
}

TEST(RootLock, ASecondServerOnAServedRootRefusesToStart) {
  TestServer server(0, 0);
  Config cfg = testing::TestConfig(server.root().str());
  auto second = App::Create(cfg);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_NE(second.status().message().find("is in use by pid"), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("lakehouse serve"), std::string::npos);
  // And the CLI's writing commands refuse too, naming the holder.
  auto gen = testing::RunCli("gen --root " + server.root().str() + " --workers 10 --orders 2");
  EXPECT_EQ(gen.exit_code, 1) << gen.out;
  EXPECT_NE(gen.out.find("is in use by pid"), std::string::npos) << gen.out;
}

TEST(RootLock, IsReleasedWithItsHolder) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "x.lock").string();
  {
    auto a = ProcessLock::Acquire(path, "first", "x", "hint");
    ASSERT_TRUE(a.ok());
    auto b = ProcessLock::Acquire(path, "second", "x", "hint");
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.status().message().find("(first, since"), std::string::npos)
        << b.status().message();
  }
  EXPECT_TRUE(ProcessLock::Acquire(path, "third", "x", "hint").ok());
}

}  // namespace
}  // namespace lakehouse
