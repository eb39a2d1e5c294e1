// Tests of src/memory/pathways: versions, reopen, a torn tail, and the _kb line per step.
#include <thread>

#include <gtest/gtest.h>

#include "memory/pathways.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

PathwayStep Step(const char* name, Json data = Json::object()) {
  return PathwayStep{name, std::move(data), "test", "req-1"};
}

TEST(PathwayStore, AppendsVersionsAndSurvivesReopenAndATornTail) {
  testing::TempDir dir;
  KbLog kb(dir.path() / "_kb");
  {
    auto store = PathwayStore::Open(dir.str() + "/memory", &kb);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const char* s : {"retrieved", "proposed", "validated", "proposed", "validated"}) {
      auto r = (*store)->Append("O1", Step(s, {{"n", 1}}));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    ASSERT_TRUE((*store)->Append("O2", Step("cancelled")).ok());
    EXPECT_EQ((*store)->size(), 2u);
  }
  {
    auto store = PathwayStore::Open(dir.str() + "/memory", &kb);
    ASSERT_TRUE(store.ok());
    auto t = (*store)->Get("O1");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->steps.size(), 5u);
    EXPECT_EQ(t->steps.back().step, "validated");
    EXPECT_EQ(t->steps[3].step, "proposed");
    EXPECT_EQ(t->steps[3].request_id, "req-1");
    EXPECT_EQ(t->steps[3].data["n"], 1);
    const Json j = t->ToJson();
    EXPECT_EQ(j["version"], 5);
    EXPECT_EQ(j["status"], "validated");
    EXPECT_EQ(j["steps"][3]["version"], 4);
    EXPECT_EQ((*store)->Get("O1", 2)->ToJson()["status"], "proposed");
    EXPECT_EQ((*store)->Get("O1", 2)->latest_version, 5);
    EXPECT_EQ((*store)->Get("O1", 0).status().code(), ErrorCode::kNotFound);
    EXPECT_EQ((*store)->Get("O3").status().code(), ErrorCode::kNotFound);
  }
  // Tear the last record (O2's step): O1 is intact, O2 has no trace, appends go on.
  const auto log = dir.path() / "memory" / "pathways.log";
  const std::string bytes = testing::ReadFile(log);
  testing::WriteFile(log, bytes.substr(0, bytes.size() - 4));
  auto store = PathwayStore::Open(dir.str() + "/memory", &kb);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get("O1")->steps.size(), 5u);
  EXPECT_FALSE((*store)->Get("O2").ok());
  auto again = (*store)->Append("O2", Step("retrieved"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->step.version, 1);
  EXPECT_EQ(again->ToJson()["version"], 1);

  auto lines = testing::KbLines(dir.path(), "pathway_traces");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0]["schema"], "pathway_trace.v1");
  EXPECT_EQ(lines[0]["order_id"], "O1");
  EXPECT_EQ(lines[0]["data"]["n"], 1);
}

// A run's steps go in as consecutive versions with one fdatasync for all of them.
TEST(PathwayStore, StepsAppendedTogetherShareOneSync) {
  testing::TempDir dir;
  KbLog kb(dir.path() / "_kb");
  auto store = PathwayStore::Open(dir.str() + "/memory", &kb);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Append("O1", Step("retrieved")).ok());
  const uint64_t before = (*store)->syncs();
  EXPECT_EQ(before, 1u);
  auto two = (*store)->AppendSteps("O1", {Step("proposed"), Step("validated", {{"valid", true}})});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].version, 2);
  EXPECT_EQ((*two)[1].version, 3);
  EXPECT_EQ((*store)->syncs(), before + 1);
  auto bad = (*store)->AppendSteps("bad\nid", {Step("proposed")});
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  store->reset();
  auto reopened = PathwayStore::Open(dir.str() + "/memory", &kb);
  ASSERT_TRUE(reopened.ok());
  auto t = (*reopened)->Get("O1");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->steps.size(), 3u);
  EXPECT_EQ(t->steps[2].step, "validated");
  EXPECT_EQ(t->steps[2].data["valid"], true);
  auto lines = testing::KbLines(dir.path(), "pathway_traces");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["version"], 3);
}

TEST(PathwayStore, ParseNamesTheSteps) {
  EXPECT_TRUE(ParsePathwayStep(Json{{"step", "emailed"}}).ok());
  auto bad = ParsePathwayStep(Json{{"step", "approved"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("retrieved, proposed"), std::string::npos);
  EXPECT_FALSE(ParsePathwayStep(Json{{"step", "filled"}, {"data", 3}}).ok());
  EXPECT_FALSE(ParsePathwayStep(Json::object()).ok());
}

// Split-service mode: the memory and validate services both append to one pathways.log.
// Two stores on one directory stand for the two processes (flock is per open file, so
// they exclude each other as processes would).
TEST(PathwayStore, TwoWritersOnOneLogKeepVersionsDenseAndSeeEachOther) {
  testing::TempDir dir;
  auto a = PathwayStore::Open(dir.str() + "/memory", nullptr);
  auto b = PathwayStore::Open(dir.str() + "/memory", nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<std::thread> writers;
  for (auto* store : {a->get(), b->get()}) {
    writers.emplace_back([store] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->Append("O1", Step("proposed")).ok());
    });
  }
  for (auto& t : writers) t.join();
  for (auto* store : {a->get(), b->get()}) {
    auto trace = store->Get("O1");
    ASSERT_TRUE(trace.ok()) << trace.status().ToString();
    ASSERT_EQ(trace->steps.size(), 100u);
    for (int v = 1; v <= 100; ++v)
      EXPECT_EQ(trace->steps[v - 1].version, v) << "a gap or repeat at version " << v;
  }
  // A third opener (a restarted service) reads the same 100 steps.
  auto c = PathwayStore::Open(dir.str() + "/memory", nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Get("O1")->steps.size(), 100u);
}

}  // namespace
}  // namespace lakehouse
