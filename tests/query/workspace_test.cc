// Tests of src/query/workspace: a written version reads back in the order it was written
// (the roster relies on it to skip a sort), and a version larger than a part is split into
// several parts with every row kept.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <fmt/format.h>

#include "query/workspace.h"
#include "server/services.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

constexpr int kRows = 300000;  // more than two of DuckDB's row groups (122,880 rows)

Result<DatasetVersion> WriteNumbers(Workspace& ws, const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto w, DatasetWriter::Begin(ws, name,
                                                   {{"id", ColumnKind::kString},
                                                    {"n", ColumnKind::kInt},
                                                    {"note", ColumnKind::kString}}));
  for (int i = 0; i < kRows; ++i) {
    w->String(fmt::format("K{:07d}", i));
    w->Int(i);
    // Text that does not compress away: the version must outgrow a 1 MB part.
    const uint64_t h = std::hash<int>{}(i)*0x9E3779B97F4A7C15ULL;
    w->String(fmt::format("{:016x}{:016x}", h, h * 0xBF58476D1CE4E5B9ULL));
    LH_RETURN_IF_ERROR(w->EndRow());
  }
  return w->Commit("test");
}

// Rows out of their written order, read in file order.
int64_t OutOfOrder(QueryEngine& q, const std::string& dataset) {
  int64_t out = 0, expected = 0;
  ScanOptions so;
  auto r = q.Scan(fmt::format("SELECT n FROM {}", dataset), so, [&](const ScanBatch& b) {
    for (size_t i = 0; i < b.rows(); ++i)
      if (static_cast<int64_t>(*b[0].Number(i)) != expected++) ++out;
    return Status::OK();
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return out;
}

TEST(WorkspaceTest, AVersionReadsBackInTheOrderItWasWritten) {
  testing::TempDir dir;
  auto s = Services::Open(testing::TestConfig(dir.str()), /*with_vectors=*/false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto v = WriteNumbers(*(*s)->workspace, "numbers");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->files.size(), 1u);
  EXPECT_EQ(v->row_count, kRows);
  EXPECT_EQ(OutOfOrder(*(*s)->query, "numbers"), 0);
}

TEST(WorkspaceTest, AVersionLargerThanAPartIsSplitAndKeepsEveryRow) {
  testing::TempDir dir;
  Config cfg = testing::TestConfig(dir.str());
  auto s = Services::Open(cfg, /*with_vectors=*/false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  WorkspaceOptions wo;
  wo.part_size_bytes = 1 << 20;       // the version is several MB
  wo.spill_dir = "duckdb_tmp_split";  // not the services' workspace's (workspace.h)
  auto ws = Workspace::Open(*(*s)->store, *(*s)->catalog, wo);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  auto v = WriteNumbers(**ws, "numbers");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_GT(v->files.size(), 1u);
  EXPECT_EQ(v->row_count, kRows);
  QueryOptions qo;
  auto r = (*s)->query->Query(
      "SELECT count(*), count(DISTINCT id), min(n), max(n), sum(n) FROM numbers", qo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const int64_t sum = static_cast<int64_t>(kRows) * (kRows - 1) / 2;
  EXPECT_EQ(Json::parse(r->rows_json),
            Json::parse(fmt::format("[[{0},{0},0,{1},{2}]]", kRows, kRows - 1, sum)));
}

// Commit in two halves (the fills ledger writes on a thread of lower priority and commits
// from its own): the written parts are no version until CommitWritten, which may run on
// another thread, and then read back whole.
TEST(WorkspaceTest, WrittenPartsAreNoVersionUntilCommitted) {
  testing::TempDir dir;
  auto s = Services::Open(testing::TestConfig(dir.str()), /*with_vectors=*/false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Workspace& ws = *(*s)->workspace;
  auto w = DatasetWriter::Begin(ws, "halves", {{"n", ColumnKind::kInt}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->CommitWritten().status().code(), ErrorCode::kInternal);  // nothing written
  for (int i = 0; i < 1000; ++i) {
    (*w)->Int(i);
    ASSERT_TRUE((*w)->EndRow().ok());
  }
  Status wrote;
  std::thread writer([&] { wrote = (*w)->WriteParts("two halves"); });
  writer.join();
  ASSERT_TRUE(wrote.ok()) << wrote.ToString();
  auto before = ws.catalog().Get("halves");  // written, not committed
  EXPECT_TRUE(!before.ok() || before->Current() == nullptr);
  EXPECT_EQ((*w)->WriteParts("again").code(), ErrorCode::kInternal);
  auto v = (*w)->CommitWritten();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->row_count, 1000);
  EXPECT_EQ(v->source, "two halves");
  auto m = ws.catalog().Get("halves");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->current_version, v->version);
  auto r = (*s)->query->Query("SELECT count(*), sum(n) FROM halves", QueryOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json::parse(r->rows_json), Json::parse("[[1000,499500]]"));
}

}  // namespace
}  // namespace lakehouse
