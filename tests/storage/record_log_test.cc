// Tests of src/storage/record_log (and core/crc32c): the side store's durable framing.
// Like LevelDB's log_test: cut and corrupt the file at every offset and check the reader
// returns exactly the records before the damage.
#include <gtest/gtest.h>

#include "core/crc32c.h"
#include "storage/record_log.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);              // the standard check value
  EXPECT_EQ(Crc32c("6789", Crc32c("12345")), 0xE3069283u);  // incremental
}

std::vector<std::string> ReadAll(const std::string& path, LogReadResult* info = nullptr) {
  std::vector<std::string> out;
  auto r = ReadRecords(path, [&](std::string_view body) {
    out.emplace_back(body);
    return Status::OK();
  });
  EXPECT_TRUE(r.ok());
  if (info != nullptr) *info = *r;
  return out;
}

TEST(RecordLogTest, AppendsAndReadsBack) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "store.log").string();
  EXPECT_TRUE(ReadAll(path).empty());  // missing file: empty
  std::string batch;
  AppendRecord(batch, "first");
  AppendRecord(batch, "");
  AppendRecord(batch, std::string(100000, 'x'));
  ASSERT_TRUE(AppendDurably(path, batch).ok());
  std::string more;
  AppendRecord(more, "last");
  ASSERT_TRUE(AppendDurably(path, more).ok());
  LogReadResult info;
  auto records = ReadAll(path, &info);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], "first");
  EXPECT_EQ(records[1], "");
  EXPECT_EQ(records[2].size(), 100000u);
  EXPECT_EQ(records[3], "last");
  EXPECT_FALSE(info.torn_tail);
}

// Truncation at every offset inside the last record keeps every earlier record; the file
// is then cut back to the last good record and appends continue cleanly.
TEST(RecordLogTest, TruncationAtEveryOffsetOfTheLastRecord) {
  testing::TempDir dir;
  std::string full;
  AppendRecord(full, "alpha");
  AppendRecord(full, "beta");
  const size_t good = full.size();
  AppendRecord(full, "gamma-record");
  for (size_t cut = good; cut < full.size(); ++cut) {
    const std::string path = (dir.path() / ("t" + std::to_string(cut))).string();
    testing::WriteFile(path, full.substr(0, cut));
    LogReadResult info;
    auto records = ReadAll(path, &info);
    ASSERT_EQ(records.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(info.valid_bytes, good);
    EXPECT_EQ(info.torn_tail, cut > good);
    ASSERT_TRUE(TruncateFile(path, info.valid_bytes).ok());
    std::string next;
    AppendRecord(next, "delta");
    ASSERT_TRUE(AppendDurably(path, next).ok());
    records = ReadAll(path);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[2], "delta");
  }
}

// Flipping any byte of the last record is detected (checksum or length), never returned.
TEST(RecordLogTest, CorruptionAtEveryOffsetOfTheLastRecord) {
  testing::TempDir dir;
  std::string full;
  AppendRecord(full, "alpha");
  const size_t good = full.size();
  AppendRecord(full, "beta-record-body");
  for (size_t pos = good; pos < full.size(); ++pos) {
    std::string damaged = full;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5A);
    const std::string path = (dir.path() / ("c" + std::to_string(pos))).string();
    testing::WriteFile(path, damaged);
    LogReadResult info;
    auto records = ReadAll(path, &info);
    ASSERT_EQ(records.size(), 1u) << "flip at " << pos;
    EXPECT_EQ(records[0], "alpha");
    EXPECT_TRUE(info.torn_tail);
  }
}

TEST(RecordLogTest, AtomicReplace) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "snap").string();
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(testing::ReadFile(path), "two");
}

}  // namespace
}  // namespace lakehouse
