// lakehouse backup / restore (ops/backup.h): a copy of a live root, restored into a new root,
// answers as the original did; a copy taken during writes holds a prefix of them; damaged or
// misplaced backups are refused in words.
#include "ops/backup.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/app.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::TempDir;
using testing::TestServer;

std::unique_ptr<App> StartOn(const fs::path& root) {
  return testing::StartReadyApp(testing::TestConfig(root.string()));
}

// What a client sees: the answer's status and the part of its body that is data (not
// timings).
Json Answer(HttpClient& c, const std::string& method, const std::string& target,
            const std::string& pointer, const Json& body = nullptr) {
  auto r = method == "GET" ? c.Get(target) : c.PostJson(target, body);
  Json j = Json::parse(r.body, nullptr, false);
  return Json{
      {"status", r.status},
      {"body", j.is_discarded() ? Json(r.body) : j.value(Json::json_pointer(pointer), Json())}};
}

TEST(Backup, ALiveRootRestoredAnswersAsTheOriginal) {
  TestServer server(300, 40);
  HttpClient c = server.Client();
  ASSERT_EQ(c.PostJson("/v1/memory", {{"subject", "worker:W0000001"},
                                      {"text", "prefers nights, has a forklift license"},
                                      {"source", "coordinator"}})
                .status,
            201);
  ASSERT_EQ(c.PostJson("/v1/indexes", {{"name", "backup_notes"}}).status, 201);
  Json items = Json::array();
  for (int i = 0; i < 40; ++i)
    items.push_back({{"id", "n" + std::to_string(i)},
                     {"text", "note " + std::to_string(i) + (i % 2 ? " night shift" : " days")},
                     {"payload", {{"i", i}}}});
  ASSERT_EQ(c.PostJson("/v1/indexes/backup_notes/upsert", {{"items", items}}).status, 200);

  TempDir out;
  auto taken = ops::Backup({server.root().path(), out.path() / "bk"});  // the server is live
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ((*taken)["attempts"], 1);
  EXPECT_GT((*taken)["files"].get<int64_t>(), 10);
  EXPECT_TRUE(fs::exists(out.path() / "bk" / "backup.json"));
  EXPECT_FALSE(fs::exists(out.path() / "bk" / "files" / ".lakehouse.lock")) << "locks not copied";

  auto restored = ops::Restore({out.path() / "bk", out.path() / "root"});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ((*restored)["files"], (*taken)["files"]);
  EXPECT_EQ((*restored)["bytes"], (*taken)["bytes"]);
  auto copy = StartOn(out.path() / "root");
  HttpClient d(copy->port());

  struct Probe {
    const char* method;
    const char* target;
    const char* pointer;
    Json body;
  };
  const Probe probes[] = {
      {"GET", "/v1/datasets", "/datasets", nullptr},
      {"POST",
       "/v1/sql",
       "/rows",
       {{"sql", "SELECT role, count(*) AS n FROM workers GROUP BY role ORDER BY role"}}},
      {"GET", "/v1/orders?limit=15", "/orders", nullptr},
      {"GET", "/v1/workers/W0000001", "", nullptr},
      {"POST", "/v1/indexes/workers/search", "/results", {{"text", "forklift operator"}, {"k", 5}}},
      {"POST", "/v1/indexes/backup_notes/search", "/results", {{"text", "night shift"}, {"k", 5}}},
      {"GET", "/v1/indexes/backup_notes", "/count", nullptr},
      {"GET", "/v1/memory?subject=worker:W0000001", "", nullptr},
  };
  for (const Probe& p : probes) {
    const Json before = Answer(c, p.method, p.target, p.pointer, p.body);
    EXPECT_EQ(before["status"], 200) << p.target << " " << before.dump();
    EXPECT_EQ(Answer(d, p.method, p.target, p.pointer, p.body), before) << p.target;
  }
}

// Writes acknowledged before the backup began are in it; the copy holds a prefix of the
// writes (no later write without every earlier one): what a kill -9 at one moment leaves.
TEST(Backup, TakenDuringWritesHoldsAPrefixOfThem) {
  TestServer server;
  HttpClient c = server.Client();
  ASSERT_EQ(c.PostJson("/v1/indexes", {{"name", "storm"}, {"dims", 4}}).status, 201);
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    HttpClient w = server.Client();
    for (int i = 0; !stop; ++i) {
      Json item{{"id", "i" + std::to_string(i)},
                {"vector", {1.0, 0.5 + i % 7, 0.25, 0.125}},
                {"payload", {{"i", i}}}};
      if (w.PostJson("/v1/indexes/storm/upsert", {{"items", {item}}}).status != 200) break;
      acked = i + 1;
    }
  });
  // Waits for the writer to pass `n` writes (at most a minute: a failing writer stops).
  auto wait_for = [&](int n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (acked < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  wait_for(30);
  TempDir out;
  const int before = acked;
  auto taken = ops::Backup({server.root().path(), out.path() / "bk"});
  const int after = acked;
  wait_for(after + 10);
  stop = true;
  writer.join();
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_TRUE(ops::Restore({out.path() / "bk", out.path() / "root"}).ok());

  auto copy = StartOn(out.path() / "root");
  HttpClient d(copy->port());
  const Json info = Json::parse(d.Get("/v1/indexes/storm").body);
  const int n = info["count"].get<int>();
  EXPECT_GE(n, before) << "a write acknowledged before the backup is missing";
  EXPECT_LE(n, after + 1) << "a write begun after the backup is in it";
  for (int i : {0, n / 2, n - 1}) {
    auto r = d.Get("/v1/indexes/storm/items/i" + std::to_string(i));
    EXPECT_EQ(r.status, 200) << "i" << i << " of a prefix of " << n;
    EXPECT_EQ(Json::parse(r.body)["payload"]["i"], i);
  }
  EXPECT_EQ(d.Get("/v1/indexes/storm/items/i" + std::to_string(n)).status, 404) << "not a prefix";
}

TEST(Backup, RefusesWhatWouldLoseOrOverwriteData) {
  TestServer server(20, 4);
  const fs::path root = server.root().path();
  TempDir out;
  auto inside = ops::Backup({root, root / "backups" / "b1"});
  ASSERT_FALSE(inside.ok());
  EXPECT_THAT(inside.status().message(), HasSubstr("cannot be inside the root"));
  auto not_root = ops::Backup({out.path(), out.path() / "x"});
  EXPECT_EQ(not_root.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(not_root.status().message(), HasSubstr("not a Lakehouse root"));

  ASSERT_TRUE(ops::Backup({root, out.path() / "bk"}).ok());
  auto again = ops::Backup({root, out.path() / "bk"});
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists) << "a backup is never overwritten";

  auto onto_live = ops::Restore({out.path() / "bk", root});
  EXPECT_EQ(onto_live.status().code(), ErrorCode::kAlreadyExists);
  auto no_backup = ops::Restore({out.path() / "nothing", out.path() / "r0"});
  EXPECT_EQ(no_backup.status().code(), ErrorCode::kInvalidArgument);

  // One flipped byte in a dataset part: refused naming it, and no root appears.
  std::string part;
  for (const auto& e : fs::recursive_directory_iterator(out.path() / "bk" / "files" / "datasets"))
    if (e.path().extension() == ".parquet") part = e.path().string();
  ASSERT_FALSE(part.empty());
  {
    std::fstream f(part, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(10);
    const char b = static_cast<char>(f.get());
    f.seekp(10);
    f.put(static_cast<char>(~b));
  }
  auto damaged = ops::Restore({out.path() / "bk", out.path() / "r1"});
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), ErrorCode::kCorruption);
  EXPECT_THAT(damaged.status().message(), HasSubstr("fails its CRC-32C"));
  EXPECT_THAT(damaged.status().message(), HasSubstr("datasets/"));
  EXPECT_FALSE(fs::exists(out.path() / "r1"));
}

}  // namespace
}  // namespace lakehouse
