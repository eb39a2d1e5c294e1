// Tests of src/vector/vector_column: a column given a map limit is mapped while its file is
// at most that size and read and written with pread/pwrite past it (as it grows, or at
// open), and no row is lost or changed by the switch, for the owner or for a follower; a
// mapped column made resident (Populate) has its pages in the process's page tables; an
// unmapped column's row asked for ahead (WillNeed) is read into the page cache, and a row
// is copied by ReadCached only once it is there.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vector/vector_column.h"

namespace lakehouse {
namespace {

using testing::DropPageCache;
using testing::TempDir;

constexpr size_t kStride = 1540;  // a 384-dim float row and its 1/|v|

std::string RowBytes(uint64_t row) {
  std::string bytes(kStride, '\0');
  for (size_t i = 0; i < kStride; ++i) bytes[i] = static_cast<char>((row * 131 + i * 7) % 251);
  return bytes;
}

void ExpectRows(const VectorColumn& col, uint64_t rows) {
  std::string got(kStride, '\0');
  for (uint64_t r = 0; r < rows; ++r) {
    ASSERT_TRUE(col.Read(r, got.data()).ok()) << r;
    ASSERT_EQ(got, RowBytes(r)) << "row " << r;
  }
}

TEST(VectorColumnTest, AColumnPastItsMapLimitGoesOnUnmappedAndKeepsEveryRow) {
  TempDir dir;
  // The file grows by 4 MB first, then by a quarter: the second growth passes 6 MB.
  constexpr uint64_t kLimit = 6 << 20;
  constexpr uint64_t kRows = 6000;  // 9.2 MB
  VectorColumn owner(dir.str(), "vectors", "f32", kStride, /*read_only=*/false, kLimit);
  ASSERT_TRUE(owner.Open(0).ok());
  EXPECT_TRUE(owner.mapped());
  uint64_t switched_at = 0;
  for (uint64_t r = 0; r < kRows; ++r) {
    ASSERT_TRUE(owner.Write(r, RowBytes(r).data()).ok()) << r;
    if (switched_at == 0 && !owner.mapped()) switched_at = r;
    if (owner.mapped()) {
      ASSERT_EQ(std::memcmp(owner.Row(r), RowBytes(r).data(), kStride), 0);
    }
  }
  EXPECT_GT(switched_at, 2000u);  // the first 4 MB were written through the mapping
  EXPECT_FALSE(owner.mapped());
  ExpectRows(owner, kRows);

  // Followers: one with the same limit reads by row, one without a limit maps the file.
  VectorColumn limited(dir.str(), "vectors", "f32", kStride, /*read_only=*/true, kLimit);
  ASSERT_TRUE(limited.Open(0).ok());
  EXPECT_FALSE(limited.mapped());
  ExpectRows(limited, kRows);
  VectorColumn unlimited(dir.str(), "vectors", "f32", kStride, /*read_only=*/true);
  ASSERT_TRUE(unlimited.Open(0).ok());
  EXPECT_TRUE(unlimited.mapped());
  ExpectRows(unlimited, kRows);

  // Cut to 2,000 rows (3 MB) by a sync, the file is mapped again when reopened.
  ASSERT_TRUE(owner.Sync(2000).ok());
  VectorColumn reopened(dir.str(), "vectors", "f32", kStride, /*read_only=*/false, kLimit);
  ASSERT_TRUE(reopened.Open(0).ok());
  EXPECT_TRUE(reopened.mapped());
  ExpectRows(reopened, 2000);
}

// A follower that opened a small file follows the owner's growth past the limit by reads.
TEST(VectorColumnTest, AFollowerCoveringPastTheLimitReadsByRow) {
  TempDir dir;
  constexpr uint64_t kLimit = 6 << 20;
  VectorColumn owner(dir.str(), "vectors", "f32", kStride, /*read_only=*/false, kLimit);
  ASSERT_TRUE(owner.Open(0).ok());
  for (uint64_t r = 0; r < 100; ++r) ASSERT_TRUE(owner.Write(r, RowBytes(r).data()).ok());
  VectorColumn follower(dir.str(), "vectors", "f32", kStride, /*read_only=*/true, kLimit);
  ASSERT_TRUE(follower.Open(0).ok());
  EXPECT_TRUE(follower.mapped());
  ExpectRows(follower, 100);
  for (uint64_t r = 100; r < 6000; ++r) ASSERT_TRUE(owner.Write(r, RowBytes(r).data()).ok());
  ASSERT_TRUE(follower.Cover(6000).ok());
  EXPECT_FALSE(follower.mapped());
  ExpectRows(follower, 6000);
}

// The resident kB of the mapping holding `addr` (/proc/self/smaps), -1 when not found.
int64_t ResidentKbAt(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(addr);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > 12) {
      inside = lo <= at && at < hi;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      return std::stoll(line.substr(4));
    }
  }
  return -1;
}

TEST(VectorColumnTest, PopulateMakesAMappedColumnResidentWithinItsBudget) {
  TempDir dir;
  constexpr uint64_t kRows = 4000;  // 6.2 MB
  {
    VectorColumn owner(dir.str(), "vectors", "f32", kStride, /*read_only=*/false);
    ASSERT_TRUE(owner.Open(0).ok());
    for (uint64_t r = 0; r < kRows; ++r) ASSERT_TRUE(owner.Write(r, RowBytes(r).data()).ok());
    ASSERT_TRUE(owner.Sync(kRows).ok());
  }
  // A fresh mapping of the file: nothing in its page tables until read.
  VectorColumn col(dir.str(), "vectors", "f32", kStride, /*read_only=*/true);
  ASSERT_TRUE(col.Open(0).ok());
  ASSERT_TRUE(col.mapped());
  const uint64_t bytes = col.readable_rows() * kStride;
  ASSERT_GE(col.readable_rows(), kRows);
  const int64_t before = ResidentKbAt(col.Row(0));
  ASSERT_GE(before, 0);
  EXPECT_LT(before, 1024);
  EXPECT_EQ(col.Populate(bytes - 1), 0u);  // over budget: left alone
  EXPECT_LT(ResidentKbAt(col.Row(0)), 1024);
  const uint64_t made = col.Populate(bytes + (1 << 20));
  ASSERT_GE(made, bytes);
  EXPECT_GE(ResidentKbAt(col.Row(0)), static_cast<int64_t>(bytes / 1024) - 4);
  ExpectRows(col, kRows);

  // A column read by row has nothing to make resident.
  VectorColumn unmapped(dir.str(), "vectors", "f32", kStride, /*read_only=*/true, 1 << 20);
  ASSERT_TRUE(unmapped.Open(0).ok());
  ASSERT_FALSE(unmapped.mapped());
  EXPECT_EQ(unmapped.Populate(UINT64_MAX), 0u);
}

// Whether the page of `file` holding byte `offset` is in the page cache (mincore on a
// mapping of our own, which reads nothing).
bool PageCached(const std::string& file, uint64_t offset) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t at = offset / page * page;
  void* map = ::mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(at));
  unsigned char in = 0;
  const bool cached = map != MAP_FAILED && ::mincore(map, page, &in) == 0 && (in & 1) != 0;
  if (map != MAP_FAILED) ::munmap(map, page);
  ::close(fd);
  return cached;
}

TEST(VectorColumnTest, ReadCachedWaitsForNoDiskAndWillNeedStartsTheRead) {
  TempDir dir;
  constexpr uint64_t kRows = 6000, kRow = 4321;
  VectorColumn col(dir.str(), "vectors", "f32", kStride, /*read_only=*/false, 1 << 20);
  ASSERT_TRUE(col.Open(0).ok());
  for (uint64_t r = 0; r < kRows; ++r) ASSERT_TRUE(col.Write(r, RowBytes(r).data()).ok());
  ASSERT_TRUE(col.Sync(kRows).ok());
  ASSERT_FALSE(col.mapped());
  const std::string file = dir.str() + "/" + col.FileName(0);
  ASSERT_TRUE(DropPageCache(file));  // clean pages once synced: the kernel drops them
  ASSERT_FALSE(PageCached(file, kRow * kStride));
  std::string got(kStride, '\0');
  EXPECT_FALSE(col.ReadCached(kRow, got.data()));  // not cached: not read, nothing waited for
  col.WillNeed(kRow);
  // The read runs in the background: waited for, up to 5 s.
  bool cached = false;
  for (int i = 0; i < 500 && !cached; ++i) {
    cached = PageCached(file, kRow * kStride) && PageCached(file, (kRow + 1) * kStride - 1);
    if (!cached) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(cached);
  ASSERT_TRUE(col.ReadCached(kRow, got.data()));
  EXPECT_EQ(got, RowBytes(kRow));
  EXPECT_FALSE(col.ReadCached(kRows + 10, got.data()));  // past the end
  ExpectRows(col, kRows);

  // A mapped column is read through its mapping: nothing to ask for.
  VectorColumn mapped(dir.str(), "vectors", "f32", kStride, /*read_only=*/true);
  ASSERT_TRUE(mapped.Open(0).ok());
  ASSERT_TRUE(mapped.mapped());
  mapped.WillNeed(kRow);
  ASSERT_TRUE(mapped.ReadCached(kRow + 1, got.data()));
  EXPECT_EQ(got, RowBytes(kRow + 1));
  ExpectRows(mapped, kRows);
}

}  // namespace
}  // namespace lakehouse
