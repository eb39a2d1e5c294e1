// Tests of src/vector/hnsw_graph's batch of exact distances (Distances, a rerank's reads):
// over a float column read from disk, cold (its pages dropped, so the reads are started
// first and waited for after) or cached, and over a mapped one, it answers what Distance
// answers row by row, and leaves rows named kNoRow alone.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vector/hnsw_graph.h"
#include "vector/vector_column.h"

namespace lakehouse {
namespace {

using testing::DropPageCache;
using testing::TempDir;

constexpr int kDims = 8;
constexpr uint64_t kRows = 5000;  // 180 KB of rows: past the 64 KB limit below

std::vector<float> RowOf(uint64_t row) {
  std::vector<float> v(kDims + 1);
  for (int i = 0; i < kDims; ++i) v[i] = std::sin(static_cast<float>(row * 7 + i));
  v[kDims] = 1;  // the row layout's last float (1/|v| for cosine, 1 for l2)
  return v;
}

void Fill(VectorColumn* col) {
  ASSERT_TRUE(col->Open(0).ok());
  for (uint64_t r = 0; r < kRows; ++r) ASSERT_TRUE(col->Write(r, RowOf(r).data()).ok());
  ASSERT_TRUE(col->Sync(kRows).ok());
}

// Distances against Distance, row by row, for rows scattered over the file and two holes.
void ExpectDistancesAsOneByOne(const HnswGraph& graph) {
  const std::vector<float> query = graph.Prepared({1, -2, 3, -4, 5, -6, 7, -8});
  std::vector<uint64_t> rows;
  for (uint64_t r = 3; r < kRows; r += 97) rows.push_back(r);
  rows.insert(rows.begin() + 5, HnswGraph::kNoRow);
  rows.push_back(HnswGraph::kNoRow);
  std::vector<float> got(rows.size(), -1.0f);
  graph.Distances(query, rows, got.data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] == HnswGraph::kNoRow) {
      EXPECT_EQ(got[i], -1.0f) << i;  // left alone
      continue;
    }
    const float want = graph.Distance(query, rows[i]);
    EXPECT_GT(want, 0.0f) << rows[i];
    EXPECT_EQ(got[i], want) << "row " << rows[i];
  }
}

TEST(HnswGraphTest, DistancesFromDiskColdOrCachedAreDistanceRowByRow) {
  TempDir dir;
  VectorColumn col(dir.str(), "vectors", "f32", (kDims + 1) * sizeof(float), /*read_only=*/false,
                   64 << 10);
  Fill(&col);
  ASSERT_FALSE(col.mapped());
  const HnswGraph graph(kDims, Metric::kL2, 16, 100, &col, nullptr);
  ASSERT_TRUE(DropPageCache(dir.path() / col.FileName(0)));
  ExpectDistancesAsOneByOne(graph);  // cold: the reads started, then waited for
  ExpectDistancesAsOneByOne(graph);  // cached now
}

TEST(HnswGraphTest, DistancesOverAMappedColumnAreDistanceRowByRow) {
  TempDir dir;
  VectorColumn col(dir.str(), "vectors", "f32", (kDims + 1) * sizeof(float), /*read_only=*/false);
  Fill(&col);
  ASSERT_TRUE(col.mapped());
  const HnswGraph graph(kDims, Metric::kL2, 16, 100, &col, nullptr);
  ExpectDistancesAsOneByOne(graph);
}

}  // namespace
}  // namespace lakehouse
