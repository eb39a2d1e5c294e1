// The workers index build (retrieve/workers_index.h): cancelled cleanly (SIGTERM during a
// first start), and never served half-built after a build that did not finish.
#include "retrieve/workers_index.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/services.h"
#include "staffing/generator.h"
#include "support/test_support.h"
#include "vector/vector_store.h"

namespace lakehouse {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::TestConfig;

std::unique_ptr<Services> OpenWithWorkers(const TempDir& dir, int64_t workers) {
  auto services = Services::Open(TestConfig(dir.str()));
  if (!services.ok()) throw std::runtime_error(services.status().ToString());
  staffing::GenOptions o;
  o.workers = workers;
  o.orders = 5;
  if (auto rep = staffing::Generate(*(*services)->workspace, o); !rep.ok())
    throw std::runtime_error(rep.status().ToString());
  return std::move(services).value();
}

// Waits (up to two minutes) for a started build to end.
void WaitForBuild(const WorkersIndexBuilder& builder) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (builder.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

TEST(WorkersIndexBuild, ACancelledBuildStopsDropsWhatItWroteAndIsRedone) {
  TempDir dir;
  auto s = OpenWithWorkers(dir, 6000);
  BuildProgress progress;
  std::thread canceller([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (progress.work.Get().phase != "indexing" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    progress.work.Cancel();
  });
  auto cancelled = BuildWorkersIndex(WorkersIndexDepsOf(*s), &progress);
  canceller.join();
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(cancelled.status().message(), HasSubstr("cancelled"));
  EXPECT_LT(progress.work.Get().done, 6000) << "stopped before the end";
  EXPECT_EQ(s->vectors->Get("workers").status().code(), ErrorCode::kNotFound)
      << "no half-built index is left to serve";
  EXPECT_TRUE(s->vectors->Unfinished("workers"));

  auto built = BuildWorkersIndex(WorkersIndexDepsOf(*s));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ((*built)["count"], 6000);
  EXPECT_FALSE(s->vectors->Unfinished("workers"));
}

// A build streams the workers: batches of the asked size (the last one the rest), in
// worker_id order, each item with its text; the same workers as the read that collects all.
TEST(WorkersIndexBuild, WorkersAreReadInBatchesInIdOrder) {
  TempDir dir;
  auto s = OpenWithWorkers(dir, 2500);
  std::vector<size_t> sizes;
  std::vector<std::string> ids;
  ASSERT_TRUE(ReadWorkers(*s->query, 1000,
                          [&](std::vector<VectorItem>& items, std::vector<std::string>& texts) {
                            EXPECT_EQ(items.size(), texts.size());
                            sizes.push_back(items.size());
                            for (size_t i = 0; i < items.size(); ++i) {
                              ids.push_back(items[i].id);
                              EXPECT_EQ(texts[i], WorkerText(items[i].payload));
                            }
                            return Status::OK();
                          })
                  .ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "no worker twice";
  std::vector<VectorItem> all;
  std::vector<std::string> texts;
  ASSERT_TRUE(ReadWorkers(*s->query, &all, &texts).ok());
  ASSERT_EQ(all.size(), ids.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].id, ids[i]);
  // A consumer's error stops the read with it.
  int calls = 0;
  Status stopped = ReadWorkers(*s->query, 1000, [&](auto&, auto&) {
    ++calls;
    return Status::Unavailable("stop here");
  });
  EXPECT_EQ(stopped.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

TEST(WorkersIndexBuild, AnIndexLeftUnfinishedIsBuiltAgainOnStart) {
  TempDir dir;
  auto s = OpenWithWorkers(dir, 300);
  ASSERT_TRUE(BuildWorkersIndex(WorkersIndexDepsOf(*s)).ok());
  {
    // A finished index is left alone.
    WorkersIndexBuilder builder(WorkersIndexDepsOf(*s));
    builder.StartIfMissing();
    EXPECT_FALSE(builder.running());
  }
  // What a kill -9 in the middle of a build leaves: the index and its mark.
  ASSERT_TRUE(s->vectors->MarkUnfinished("workers").ok());
  WorkersIndexBuilder builder(WorkersIndexDepsOf(*s));
  builder.StartIfMissing();
  EXPECT_TRUE(builder.running());
  WaitForBuild(builder);
  EXPECT_FALSE(builder.running());
  EXPECT_FALSE(s->vectors->Unfinished("workers"));
  auto index = s->vectors->Get("workers");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->Count(), 300u);
}

// vectors.workers_quantization: the index is built with the declared storage, and one stored
// otherwise is built again at start (then left alone); the int8 index answers a filtered
// search with the float scores of the float index. `auto` (the default) builds int8 and
// keeps an index it finds as it was stored.
TEST(WorkersIndexBuild, TheDeclaredQuantizationIsBuiltAndAChangeRebuilds) {
  TempDir dir;
  auto s = OpenWithWorkers(dir, 300);
  EXPECT_EQ(s->config.vectors_workers_quantization, "auto");
  const auto by_default = WorkersIndexDepsOf(*s);
  EXPECT_EQ(by_default.quantization, Quantization::kInt8);
  EXPECT_TRUE(by_default.keep_existing);
  s->config.vectors_workers_quantization = "none";
  ASSERT_TRUE(BuildWorkersIndex(WorkersIndexDepsOf(*s)).ok());
  auto plain = s->vectors->Get("workers");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->spec().quantization, Quantization::kNone);
  const auto query = (*plain)->Get((*plain)->Ids()[7])->vector;
  auto filter = PayloadFilter::Compile(Json::parse(R"({"available": true})"));
  auto want = (*plain)->Search(query, 5, 0, *filter);
  ASSERT_TRUE(want.ok());
  plain->reset();
  WorkersIndexBuilder kept(by_default);
  kept.StartIfMissing();
  EXPECT_FALSE(kept.running());  // auto: the float index stays

  s->config.vectors_workers_quantization = "int8";
  auto deps = WorkersIndexDepsOf(*s);
  EXPECT_EQ(deps.quantization, Quantization::kInt8);
  WorkersIndexBuilder builder(deps);
  builder.StartIfMissing();
  EXPECT_TRUE(builder.running());
  WaitForBuild(builder);
  ASSERT_FALSE(builder.running());
  auto quantized = s->vectors->Get("workers");
  ASSERT_TRUE(quantized.ok());
  EXPECT_EQ((*quantized)->spec().quantization, Quantization::kInt8);
  EXPECT_EQ((*quantized)->Count(), 300u);
  auto got = (*quantized)->Search(query, 5, 0, *filter);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i) {
    EXPECT_NEAR((*got)[i].score, (*want)[i].score, 1e-5) << i;
  }
  WorkersIndexBuilder again(deps);
  again.StartIfMissing();
  EXPECT_FALSE(again.running());  // as declared: left alone
}

}  // namespace
}  // namespace lakehouse
