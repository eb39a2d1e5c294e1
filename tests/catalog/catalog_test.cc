// Tests of src/catalog: versions, commit as the visibility point, reopen, bad names.
#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "storage/local_object_store.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

DatasetVersion Meta(int64_t rows, std::string file) {
  DatasetVersion v;
  v.source = "test";
  v.row_count = rows;
  v.files = {std::move(file)};
  v.columns = {{"id", "VARCHAR"}};
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

// A damaged manifest is reported with its file name, never skipped.
TEST(CatalogTest, CorruptManifestIsAnError) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE((*store)->Put("catalog/bad.json", "{not json").ok());
  auto cat = Catalog::Open(**store);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.status().message().find("catalog/bad.json"), std::string::npos);
}

}  // namespace
}  // namespace lakehouse
