// Tests of src/catalog: versions, commit as the visibility point, reopen, bad names.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "storage/local_object_store.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

// A version of one new part of `rows` rows (the part's bytes need not exist: the catalog
// only records them).
DatasetVersion Meta(int64_t rows, std::string file) {
  DatasetVersion v;
  v.source = "test";
  v.row_count = rows;
  v.files = {file};
  v.columns = {{"id", "VARCHAR"}};
  iceberg::NewFile stats;
  stats.key = std::move(file);
  stats.record_count = rows;
  stats.file_size = 100 * rows;
  stats.columns["id"].values = rows;
  stats.columns["id"].nulls = 0;
  stats.columns["id"].lower = "a";
  stats.columns["id"].upper = "z";
  v.added = {stats};
  return v;
}

TEST(CatalogTest, VersionsCommitAndSurviveReopen) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  FixedClock clock(0);
  {
    auto cat = Catalog::Open(**store, clock);
    ASSERT_TRUE(cat.ok());
    int notified = 0;
    (*cat)->AddListener(
        [&](const DatasetManifest& m) { notified += static_cast<int>(m.current_version); });
    for (int i = 1; i <= 2; ++i) {
      auto p = (*cat)->BeginVersion("workers");
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->version(), i);
      EXPECT_EQ(p->KeyPrefix(), "datasets/workers/v" + std::to_string(i) + "/");
      ASSERT_TRUE((*cat)->Commit(*p, Meta(10 * i, p->KeyPrefix() + "part-0.parquet")).ok());
    }
    EXPECT_EQ(notified, 3);
  }
  auto cat = Catalog::Open(**store, clock);
  ASSERT_TRUE(cat.ok());
  auto m = (*cat)->Get("workers");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->current_version, 2);
  EXPECT_EQ(m->Current()->row_count, 20);
  EXPECT_EQ(m->Version(1)->row_count, 10);
  EXPECT_EQ(m->Current()->created_at, "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(m->DetailJson()["views"], Json::parse(R"(["workers","workers@v1","workers@v2"])"));
}

// A version that is never committed leaves no trace: its parts are deleted and the next
// writer gets the same version number.
TEST(CatalogTest, UncommittedVersionIsInvisibleAndCleanedUp) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  auto cat = Catalog::Open(**store);
  {
    auto p = (*cat)->BeginVersion("orders");
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*store)->Put(p->KeyPrefix() + "part-0.parquet", "x").ok());
  }
  EXPECT_EQ((*cat)->Get("orders").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE((*store)->List("datasets/orders/")->empty());
  auto p = (*cat)->BeginVersion("orders");
  EXPECT_EQ(p->version(), 1);
}

TEST(CatalogTest, DatasetNamesAreValidated) {
  for (const char* bad : {"", "Workers", "1x", "a-b", "../etc", "a/b", "x y"}) {
    EXPECT_FALSE(ValidateDatasetName(bad).ok()) << bad;
  }
  EXPECT_TRUE(ValidateDatasetName("job_orders").ok());
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  auto cat = Catalog::Open(**store);
  EXPECT_EQ((*cat)->BeginVersion("../x").status().code(), ErrorCode::kInvalidArgument);
}

// A root in the catalog.v1 layout is refused, naming the manifest and the command that
// migrates it; never read half.
TEST(CatalogTest, TheOldLayoutIsRefusedNamingMigrate) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE((*store)->Put("catalog/bad.json", "{not json").ok());
  auto cat = Catalog::Open(**store);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.status().message().find("catalog/bad.json"), std::string::npos);
  EXPECT_NE(cat.status().message().find("lakehouse migrate"), std::string::npos);
}

// Damaged table metadata is reported with its file name, never skipped.
TEST(CatalogTest, CorruptTableMetadataIsAnError) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE((*store)->Put("datasets/bad/metadata/v1.metadata.json", "{not json").ok());
  ASSERT_TRUE((*store)->Put("datasets/bad/metadata/version-hint.text", "1").ok());
  auto cat = Catalog::Open(**store);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.status().message().find("datasets/bad/metadata/v1.metadata.json"),
            std::string::npos)
      << cat.status().message();
}

// Each version is an Iceberg snapshot (id = version) of one table: metadata files, the hint,
// an append that keeps the parts before it, and column statistics in the manifest.
TEST(CatalogTest, VersionsAreIcebergSnapshots) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  FixedClock clock(1000);
  auto cat = Catalog::Open(**store, clock);
  ASSERT_TRUE(cat.ok());
  {
    auto p = (*cat)->BeginVersion("orders");
    ASSERT_TRUE((*cat)->Commit(*p, Meta(5, p->KeyPrefix() + "part-0.parquet")).ok());
  }
  {
    auto p = (*cat)->BeginVersion("orders");  // append: v1's part stays
    DatasetVersion v = Meta(3, p->KeyPrefix() + "part-0.parquet");
    v.files.insert(v.files.begin(), "datasets/orders/v1/part-0.parquet");
    v.row_count = 8;
    ASSERT_TRUE((*cat)->Commit(*p, v).ok());
  }
  EXPECT_EQ(*(*store)->Get("datasets/orders/metadata/version-hint.text"), "2");
  auto table = (*cat)->Table("orders");
  ASSERT_TRUE(table.ok());
  const auto& meta = table->metadata;
  ASSERT_EQ(meta.snapshots.size(), 2u);
  EXPECT_EQ(meta.current_snapshot_id, 2);
  EXPECT_EQ(meta.snapshots[1].summary.at("operation"), "append");
  EXPECT_EQ(meta.snapshots[1].summary.at("total-records"), "8");
  EXPECT_EQ(meta.snapshots[1].parent_id, 1);
  EXPECT_EQ(meta.location, (*store)->Uri("datasets/orders"));
  auto files = iceberg::SnapshotFiles(**store, *table, meta.snapshots[1]);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, (*store)->Uri("datasets/orders/v1/part-0.parquet"));
  EXPECT_EQ((*files)[1].record_count, 3);
  const auto& id = (*files)[1].columns.at(1);  // field id 1: "id"
  EXPECT_EQ(id.values, 3);
  EXPECT_EQ(id.nulls, 0);
  EXPECT_EQ(id.lower, "a");
  EXPECT_EQ(id.upper, "z");

  // A replacing version with a new column: a new schema; "id" keeps field id 1.
  {
    auto p = (*cat)->BeginVersion("orders");
    DatasetVersion v = Meta(4, p->KeyPrefix() + "part-0.parquet");
    v.columns.push_back({"rate", "SMALLINT"});
    ASSERT_TRUE((*cat)->Commit(*p, v).ok());
  }
  auto reopened = Catalog::Open(**store, clock);
  ASSERT_TRUE(reopened.ok());
  auto m = (*reopened)->Get("orders");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->current_version, 3);
  EXPECT_EQ(m->Current()->files, std::vector<std::string>{"datasets/orders/v3/part-0.parquet"});
  EXPECT_EQ(m->Version(2)->files.size(), 2u);
  EXPECT_EQ(m->Current()->columns[1].type, "SMALLINT");  // kept though Iceberg says int
  EXPECT_EQ(m->Version(1)->columns.size(), 1u);
  auto t3 = (*reopened)->Table("orders");
  EXPECT_EQ(t3->metadata.schemas.size(), 2u);
  EXPECT_EQ(t3->metadata.FindSchema(t3->metadata.current_schema_id)->Find("id")->id, 1);
  EXPECT_EQ(t3->metadata.snapshots.back().summary.at("operation"), "overwrite");
}

// Expiry keeps the current version, the newest N and every version in use; the files of
// the rest go, and the table still reads.
TEST(CatalogTest, ExpiryKeepsCurrentRecentAndInUseVersions) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  FixedClock clock(1000);
  auto cat = Catalog::Open(**store, clock);
  for (int i = 1; i <= 5; ++i) {
    auto p = (*cat)->BeginVersion("fills");
    const std::string key = p->KeyPrefix() + "part-0.parquet";
    ASSERT_TRUE((*store)->Put(key, "PAR1").ok());
    ASSERT_TRUE((*cat)->Commit(*p, Meta(i, key)).ok());
  }
  (*cat)->SetInUse([](const std::string& name) {
    return name == "fills" ? std::vector<int64_t>{2} : std::vector<int64_t>{};
  });
  std::vector<int64_t> seen;
  (*cat)->AddListener([&](const DatasetManifest& m) { seen.push_back(m.versions.size()); });
  Catalog::Retention keep2;
  keep2.keep_last = 2;
  keep2.grace_ms = 0;
  auto expired = (*cat)->ExpireVersions("fills", keep2);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(*expired, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(seen, std::vector<int64_t>{3});
  EXPECT_FALSE(*(*store)->Exists("datasets/fills/v1/part-0.parquet"));
  EXPECT_FALSE(*(*store)->Exists("datasets/fills/v3/part-0.parquet"));
  EXPECT_TRUE(*(*store)->Exists("datasets/fills/v2/part-0.parquet"));
  auto reopened = Catalog::Open(**store, clock);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto m = (*reopened)->Get("fills");
  ASSERT_EQ(m->versions.size(), 3u);
  EXPECT_EQ(m->versions[0].version, 2);
  EXPECT_EQ(m->current_version, 5);
  // No policy, nothing expires.
  EXPECT_TRUE((*cat)->ExpireVersions("fills", Catalog::Retention{})->empty());

  // The policy applied at each commit: the newest 2 and v2 (in use) stay; a version just
  // replaced waits out its grace period.
  Catalog::Retention graced = keep2;
  graced.grace_ms = 60'000;
  (*cat)->SetRetention(graced);
  for (int i = 6; i <= 7; ++i) {
    clock.Set(1000 + i * 60'000);
    auto p = (*cat)->BeginVersion("fills");
    ASSERT_TRUE((*cat)->Commit(*p, Meta(i, p->KeyPrefix() + "part-0.parquet")).ok());
  }
  std::vector<int64_t> left;
  auto now = (*cat)->Get("fills");
  ASSERT_TRUE(now.ok());
  for (const auto& v : now->versions) left.push_back(v.version);
  // v4 and v5 went (v5 was replaced by v6 a minute before v7's commit); v6 was replaced
  // just now, so it waits out its grace.
  EXPECT_EQ(left, (std::vector<int64_t>{2, 6, 7}));
}

// A writer killed (SIGKILL) after each durable step of a commit leaves the table at its old
// snapshot or its new one, never broken, and the next writer commits after it.
TEST(CatalogTest, ACommitKilledAtEveryStepLeavesTheOldOrTheNewSnapshot) {
  for (int step = 0; step <= 4; ++step) {
    TempDir dir;
    auto store = LocalObjectStore::Open(dir.path());
    {
      auto cat = Catalog::Open(**store);
      auto p = (*cat)->BeginVersion("workers");
      ASSERT_TRUE((*cat)->Commit(*p, Meta(1, p->KeyPrefix() + "part-0.parquet")).ok());
    }
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto cat = Catalog::Open(**store);
      if (!cat.ok()) _exit(2);
      (*cat)->SetCommitHookForTest([step](int at) {
        if (at == step) raise(SIGKILL);
      });
      auto p = (*cat)->BeginVersion("workers");
      if (step == 0) raise(SIGKILL);  // before anything of v2 is written
      auto st = (*cat)->Commit(*p, Meta(2, p->KeyPrefix() + "part-0.parquet"));
      _exit(st.ok() ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "step " << step;
    auto cat = Catalog::Open(**store);
    ASSERT_TRUE(cat.ok()) << "step " << step << ": " << cat.status().ToString();
    auto m = (*cat)->Get("workers");
    ASSERT_TRUE(m.ok());
    // The metadata file is the commit: from step 3 on the new snapshot is the table's.
    EXPECT_EQ(m->current_version, step >= 3 ? 2 : 1) << "step " << step;
    EXPECT_EQ(m->Current()->row_count, step >= 3 ? 2 : 1) << "step " << step;
    auto p = (*cat)->BeginVersion("workers");
    ASSERT_TRUE(p.ok());
    const int64_t next = step >= 3 ? 3 : 2;
    EXPECT_EQ(p->version(), next);
    ASSERT_TRUE((*cat)->Commit(*p, Meta(9, p->KeyPrefix() + "part-0.parquet")).ok())
        << "step " << step;
    auto again = Catalog::Open(**store);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)->Get("workers")->current_version, next);
  }
}

}  // namespace
}  // namespace lakehouse
