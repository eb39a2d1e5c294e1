// The roster scans workers in file order and sorts only when a row comes out of worker_id
// order: data appended out of order, or with a duplicate id far from its twin, must load
// exactly as sorted data does.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "server/services.h"
#include "support/test_support.h"
#include "validate/roster.h"

namespace lakehouse {
namespace {

std::string Worker(const std::string& id, const std::string& first, const std::string& last) {
  return fmt::format(
      R"({{"worker_id":"{0}","first_name":"{1}","last_name":"{2}","email":"{1}.{2}@example.com",)"
      R"("phone":"+1-937-555-0{3}","role":"welder","certifications":["osha 10"],"city":"Dayton",)"
      R"("state":"OH","lat":39.76,"lon":-84.19,"shift_pref":"day","available":true,)"
      R"("status":"active","rating":4.5,"reliability":0.9,"pay_rate":19.0,"years_experience":3}})"
      "\n",
      id, first, last, id.substr(id.size() - 3));
}

class RosterOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Services::Open(testing::TestConfig(dir_.str()), /*with_vectors=*/false);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    services_ = std::move(*s);
  }
  void Ingest(const std::string& jsonl, IngestMode mode) {
    const auto path = dir_.path() / "in.jsonl";
    testing::WriteFile(path, jsonl);
    auto r =
        services_->ingestor->Ingest("workers", IngestFormat::kJsonl, path.string(), "test", mode);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::shared_ptr<const Roster> Load() {
    auto r = Roster::Load(*services_->query, *services_->catalog);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<Services> services_;
};

TEST_F(RosterOrderTest, WorkersOutOfOrderLoadSorted) {
  Ingest(
      Worker("W005", "Eve", "Falk") + Worker("W002", "Ben", "Cole") + Worker("W009", "Ida", "Jude"),
      IngestMode::kReplace);
  Ingest(Worker("W001", "Ana", "Diaz") + Worker("W007", "Gus", "Hale"), IngestMode::kAppend);
  auto roster = Load();
  ASSERT_TRUE(roster);
  ASSERT_EQ(roster->worker_count(), 5u);
  for (const char* id : {"W001", "W002", "W005", "W007", "W009"}) {
    auto w = roster->FindWorker(id);
    ASSERT_TRUE(w) << id;
    EXPECT_EQ(roster->Worker(*w).worker_id, id);
  }
  for (uint32_t i = 1; i < roster->worker_count(); ++i)
    EXPECT_LT(roster->WorkerIdOf(i - 1), roster->WorkerIdOf(i));
  EXPECT_EQ(roster->WorkerByEmail("ana.diaz@example.com"), roster->FindWorker("W001"));
  EXPECT_TRUE(roster->IsWorkerName("IDA", "jude"));
  EXPECT_EQ(roster->WorkersWithRole("welder").size(), 5u);
}

TEST_F(RosterOrderTest, ADuplicateIdFarFromItsTwinIsSkippedOnce) {
  Ingest(Worker("W001", "Ana", "Diaz") + Worker("W002", "Ben", "Cole") +
             Worker("W003", "Cara", "Dunn"),
         IngestMode::kReplace);
  Ingest(Worker("W001", "Ann", "Other"), IngestMode::kAppend);
  auto roster = Load();
  ASSERT_TRUE(roster);
  EXPECT_EQ(roster->worker_count(), 3u);
  EXPECT_EQ(roster->stats().skipped_rows, 1);
}

}  // namespace
}  // namespace lakehouse
