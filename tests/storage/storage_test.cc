// Tests of src/storage: the local object store and the quarantine writer.
#include <gtest/gtest.h>

#include "core/json.h"
#include "storage/local_object_store.h"
#include "storage/quarantine.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

TEST(ObjectKeyTest, RejectsKeysThatEscapeTheRoot) {
  EXPECT_TRUE(ValidateKey("datasets/workers/v1/part-0.parquet").ok());
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../b", "a//b", "a/./b", "a\\b", "a/"}) {
    EXPECT_FALSE(ValidateKey(bad).ok()) << bad;
  }
}

TEST(LocalObjectStoreTest, PutGetListDeleteAppend) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path() / "root");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto& s = **store;
  ASSERT_TRUE(s.Put("catalog/a.json", "{}").ok());
  ASSERT_TRUE(s.Put("catalog/a.json", "{\"v\":2}").ok());  // replace
  ASSERT_TRUE(s.Put("catalog/b.json", "b").ok());
  ASSERT_TRUE(s.Put("datasets/x/v1/part-0.parquet", "p").ok());
  EXPECT_EQ(*s.Get("catalog/a.json"), "{\"v\":2}");
  EXPECT_EQ(s.Get("catalog/none.json").status().code(), ErrorCode::kNotFound);
  auto list = s.List("catalog/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "catalog/a.json");
  EXPECT_EQ((*list)[1].size, 1u);
  EXPECT_TRUE(*s.Exists("catalog/b.json"));
  ASSERT_TRUE(s.Delete("catalog/b.json").ok());
  EXPECT_FALSE(*s.Exists("catalog/b.json"));
  ASSERT_TRUE(s.Append("_kb/log.jsonl", "1\n", true).ok());
  ASSERT_TRUE(s.Append("_kb/log.jsonl", "2\n", false).ok());
  EXPECT_EQ(*s.Get("_kb/log.jsonl"), "1\n2\n");
  ASSERT_TRUE(s.DeletePrefix("datasets/x/").ok());
  EXPECT_TRUE(s.List("datasets/")->empty());
  EXPECT_FALSE(s.Put("../escape", "x").ok());
}

// PutFile publishes a staged file atomically and consumes it.
TEST(LocalObjectStoreTest, PutFileMovesStagedFile) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const auto staged = (*store)->StagingDir() / "f.tmp";
  testing::WriteFile(staged, "payload");
  ASSERT_TRUE((*store)->PutFile("datasets/d/v1/part-0.parquet", staged).ok());
  EXPECT_FALSE(std::filesystem::exists(staged));
  EXPECT_EQ(*(*store)->Get("datasets/d/v1/part-0.parquet"), "payload");
  // Staging files are not objects.
  EXPECT_TRUE((*store)->List("_staging")->empty());
}

TEST(ObjectStoreTest, S3RootWithoutCredentialsNamesTheVariables) {
  const char* saved = std::getenv("AWS_ACCESS_KEY_ID");
  const std::string keep = saved ? saved : "";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  auto s = OpenObjectStore("s3://bucket/prefix");
  if (saved) ::setenv("AWS_ACCESS_KEY_ID", keep.c_str(), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

// quarantine.v1 records carry source, origin, line_offset (even 0), reason and raw text.
TEST(QuarantineTest, WritesQuarantineV1RecordsByDay) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  FixedClock clock(1795505395123);  // 2026-11-24
  {
    QuarantineWriter q(**store, "workers", "upload.csv", clock);
    q.Add(0, "bad value", "a,b");
    q.Add(7, "too many columns", "1,2,3");
    EXPECT_EQ(q.count(), 2);
    EXPECT_EQ(q.key(), "_quarantine/2026/11/24/workers.jsonl");
  }  // flushed on destruction
  auto text = (*store)->Get("_quarantine/2026/11/24/workers.jsonl");
  ASSERT_TRUE(text.ok());
  const std::string first = text->substr(0, text->find('\n'));
  EXPECT_EQ(
      first,
      R"({"schema":"quarantine.v1","source":"workers","origin":"upload.csv","line_offset":0,"reason":"bad value","raw":"a,b","quarantined_at":"2026-11-24T07:29:55.123Z"})");
}

}  // namespace
}  // namespace lakehouse
