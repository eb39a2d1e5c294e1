// Tests of src/vector: the HNSW index over its side store — CRUD, filtered search that
// never under-returns, recall against brute force, and recovery (restart, crash, corrupt
// graph, torn log).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "storage/record_log.h"
#include "support/test_support.h"
#include "vector/vector_index.h"
#include "vector/vector_store.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

IndexSpec Spec(int dims, Metric metric = Metric::kCosine) {
  IndexSpec s;
  s.name = "t";
  s.dims = dims;
  s.metric = metric;
  s.model = "hash/default";
  return s;
}

// Clustered data: ~50 Gaussian clusters, the structure real embeddings have.
std::vector<std::vector<float>> Clustered(size_t n, int dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.15f), center(0.0f, 1.0f);
  std::vector<std::vector<float>> centers(50, std::vector<float>(static_cast<size_t>(dims)));
  for (auto& c : centers)
    for (auto& x : c) x = center(rng);
  std::vector<std::vector<float>> out(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& c = centers[rng() % centers.size()];
    out[i].resize(static_cast<size_t>(dims));
    for (int d = 0; d < dims; ++d)
      out[i][static_cast<size_t>(d)] = c[static_cast<size_t>(d)] + noise(rng);
  }
  return out;
}

std::vector<VectorItem> Items(const std::vector<std::vector<float>>& vs) {
  std::vector<VectorItem> items;
  for (size_t i = 0; i < vs.size(); ++i) {
    VectorItem it;
    it.id = "id" + std::to_string(i);
    it.vector = vs[i];
    it.payload = {{"group", static_cast<int>(i % 10)}, {"even", i % 2 == 0}};
    items.push_back(std::move(it));
  }
  return items;
}

TEST(VectorIndexTest, UpsertGetDeleteAndReAdd) {
  testing::TempDir dir;
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(3));
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  auto& index = **idx;
  ASSERT_TRUE(
      index.Upsert({{"a", {1, 0, 0}, {{"role", "welder"}}}, {"b", {0, 1, 0}, Json::object()}})
          .ok());
  EXPECT_EQ(index.Count(), 2u);
  EXPECT_EQ(index.Get("a")->payload["role"], "welder");
  ASSERT_TRUE(index.Upsert({{"a", {0, 0, 1}, {{"role", "cna"}}}}).ok());  // replace
  EXPECT_EQ(index.Count(), 2u);
  EXPECT_EQ(index.Get("a")->payload["role"], "cna");
  auto hits = index.Search({0, 0, 1}, 1, 0, PayloadFilter());
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, "a");
  EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5);
  EXPECT_TRUE(*index.Delete("a"));
  EXPECT_FALSE(*index.Delete("a"));
  EXPECT_FALSE(index.Get("a").has_value());
  hits = index.Search({0, 0, 1}, 5, 0, PayloadFilter());
  ASSERT_EQ(hits->size(), 1u);  // really gone from results
  EXPECT_EQ((*hits)[0].id, "b");
  ASSERT_TRUE(index.Upsert({{"a", {0, 0, 1}, Json::object()}}).ok());  // re-added id is live again
  hits = index.Search({0, 0, 1}, 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "a");
  EXPECT_EQ(index.Info()["count"], 2);
}

// An id written again with the same vector (a payload-only change, the same text embedded
// again: a memory's NOOP, a fill's status) keeps its row, so the column does not grow and
// the graph keeps the element's links; a changed vector takes a new row. Both survive a
// reopen, and a follower applies both.
TEST(VectorIndexTest, AnUnchangedVectorKeepsItsRow) {
  testing::TempDir dir;
  const int dims = 32;
  const auto data = Clustered(300, dims, 3);
  const auto path = dir.str() + "/t";
  auto idx = VectorIndex::Create(path, Spec(dims));
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  ASSERT_TRUE((*idx)->Upsert(Items(data)).ok());
  EXPECT_EQ((*idx)->Info()["rows"], 300);
  auto reader = VectorIndex::Open(path, /*read_only=*/true);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();

  std::vector<VectorItem> again;
  for (size_t i = 0; i < data.size(); ++i)
    again.push_back({"id" + std::to_string(i), data[i], {{"round", 2}}, 0});
  ASSERT_TRUE((*idx)->Upsert(std::move(again)).ok());
  EXPECT_EQ((*idx)->Info()["rows"], 300);  // no row written
  EXPECT_EQ((*idx)->Info()["seq"], 600);   // but every write recorded
  EXPECT_EQ((*idx)->Count(), 300u);
  ASSERT_TRUE((*idx)->Upsert({{"id7", data[100], {{"round", 3}}, 0}}).ok());
  EXPECT_EQ((*idx)->Info()["rows"], 301);  // a changed vector: a new row

  auto check = [&](const VectorIndex& index, const std::string& who) {
    EXPECT_EQ(index.Get("id3")->payload["round"], 2) << who;
    EXPECT_EQ(index.Get("id3")->vector, data[3]) << who;
    EXPECT_EQ(index.Get("id7")->vector, data[100]) << who;
    EXPECT_EQ(index.Get("id7")->payload["round"], 3) << who;
    for (size_t i = 0; i < data.size(); i += 23) {
      if (i == 7 || i == 100) continue;
      auto hits = index.Search(data[i], 1, 0, PayloadFilter());
      ASSERT_TRUE(hits.ok() && !hits->empty()) << who;
      EXPECT_EQ((*hits)[0].id, "id" + std::to_string(i)) << who;
      EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5) << who;
    }
    auto moved = index.Search(data[100], 2, 0, PayloadFilter());
    ASSERT_TRUE(moved.ok() && moved->size() == 2) << who;
    EXPECT_NEAR((*moved)[1].score, 1.0f, 1e-5) << who;  // id7 and id100 both hold it
  };
  check(**idx, "owner");
  auto followed = (*reader)->FollowLog();
  ASSERT_TRUE(followed.ok() && *followed) << followed.status().ToString();
  check(**reader, "follower");
  reader->reset();
  idx->reset();
  auto reopened = VectorIndex::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Info()["rows"], 301);
  check(**reopened, "reopened");
}

// Slot i names row i while items are only added (batch by batch, in any order within a
// batch, with unchanged rewrites between), so walks skip a load; a vector moved to a new
// row, or a reused slot, ends that, and the dropping of old rows (or a reopen that finds the
// saved graph aligned) restores it. Every answer is the same either way.
TEST(VectorIndexTest, SlotsStayAlignedWithRowsUntilAVectorMoves) {
  testing::TempDir dir;
  const int dims = 16;
  const auto data = Clustered(1600, dims, 5);
  const auto path = dir.str() + "/t";
  auto idx = VectorIndex::Create(path, Spec(dims));
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  VectorIndex& index = **idx;
  auto finds_each = [&](const std::vector<std::vector<float>>& vs, size_t first,
                        const std::string& when) {
    for (size_t i = first; i < vs.size(); i += 37) {
      auto hits = index.Search(vs[i], 1, 0, PayloadFilter());
      ASSERT_TRUE(hits.ok() && !hits->empty()) << when;
      EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5) << when << " " << i;
    }
  };
  // Batches of 1,200 (threaded inserts) and 100, then an unchanged rewrite.
  auto items = Items(data);
  std::vector<VectorItem> big(items.begin(), items.begin() + 1200);
  std::reverse(big.begin(), big.end());
  ASSERT_TRUE(index.Upsert(std::move(big)).ok());
  ASSERT_TRUE(index.Upsert({items.begin() + 1200, items.begin() + 1300}).ok());
  ASSERT_TRUE(index.Upsert({{"id3", data[3], {{"again", true}}, 0}}).ok());
  EXPECT_EQ(index.Info()["graph_aligned"], true);
  finds_each(std::vector(data.begin(), data.begin() + 1300), 0, "aligned");

  // A moved vector (its label keeps its slot, names a new row) ends the alignment; so does
  // the reuse of a deleted slot. New items still go in, and every answer holds.
  ASSERT_TRUE(
      index.Upsert({{"id5", data[1300], Json::object(), 0}, items[1301], items[1302]}).ok());
  EXPECT_EQ(index.Info()["graph_aligned"], false);
  auto moved = index.Search(data[1300], 1, 0, PayloadFilter());
  ASSERT_TRUE(moved.ok() && !moved->empty());
  EXPECT_EQ((*moved)[0].id, "id5");
  EXPECT_NEAR((*moved)[0].score, 1.0f, 1e-5);
  ASSERT_TRUE(index.Upsert({items.begin() + 1303, items.end()}).ok());
  finds_each(data, 1303, "misaligned");

  // Old rows dropped: the column rewritten in slot order, the graph aligned again, and a
  // reopen finds it so.
  for (int round = 0; round < 2; ++round) {
    std::vector<VectorItem> changed;
    for (size_t i = 0; i < 800; ++i) changed.push_back({"id" + std::to_string(i), data[i + 800]});
    ASSERT_TRUE(index.Upsert(std::move(changed)).ok());
    ASSERT_TRUE(index.Upsert({items.begin(), items.begin() + 800}).ok());
  }
  EXPECT_EQ(index.Info()["graph_aligned"], false);
  ASSERT_TRUE(index.Snapshot().ok());
  EXPECT_EQ(index.Info()["rows"], 1599);  // every id but id1300, never written
  EXPECT_EQ(index.Info()["graph_aligned"], true);
  finds_each(data, 0, "renumbered");
  ASSERT_TRUE(index.Upsert({{"extra", data[7], Json::object(), 0}}).ok());
  EXPECT_EQ(index.Info()["graph_aligned"], true);
  ASSERT_TRUE(index.Snapshot().ok());
  idx->reset();
  auto reopened = VectorIndex::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->graph_origin(), "loaded");
  EXPECT_EQ((*reopened)->Info()["graph_aligned"], true);
  ASSERT_TRUE(*(*reopened)->Delete("id9"));
  ASSERT_TRUE((*reopened)->Upsert({{"reuse", data[9], Json::object(), 0}}).ok());
  EXPECT_EQ((*reopened)->Info()["graph_aligned"], false);  // "reuse" took id9's slot
  auto reused = (*reopened)->Search(data[9], 1, 0, PayloadFilter());
  ASSERT_TRUE(reused.ok() && !reused->empty());
  EXPECT_EQ((*reused)[0].id, "reuse");
}

// Split-service mode: a read-only copy in another process follows the owner's appends in
// place (adds, replacements, deletes, re-adds) and asks to be reopened after a compaction.
TEST(VectorIndexTest, AReadOnlyCopyFollowsTheOwnersLog) {
  testing::TempDir dir;
  auto owner = VectorIndex::Create(dir.str() + "/t", Spec(3));
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE((*owner)->Upsert({{"a", {1, 0, 0}, {{"role", "welder"}}}}).ok());
  auto reader = VectorIndex::Open(dir.str() + "/t", /*read_only=*/true);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->Count(), 1u);
  EXPECT_EQ((*reader)->Upsert({{"x", {1, 1, 1}, Json::object()}}).code(), ErrorCode::kConflict);
  EXPECT_EQ((*reader)->Snapshot().code(), ErrorCode::kConflict);

  ASSERT_TRUE((*owner)->Upsert({{"b", {0, 1, 0}, Json::object()}}).ok());
  ASSERT_TRUE((*owner)->Upsert({{"a", {0, 0, 1}, {{"role", "cna"}}}}).ok());
  ASSERT_TRUE(*(*owner)->Delete("b"));
  ASSERT_TRUE((*owner)->Upsert({{"c", {0, 1, 0}, Json::object()}}).ok());
  auto followed = (*reader)->FollowLog();
  ASSERT_TRUE(followed.ok() && *followed);
  EXPECT_EQ((*reader)->Count(), 2u);
  EXPECT_EQ((*reader)->Get("a")->payload["role"], "cna");
  EXPECT_FALSE((*reader)->Get("b").has_value());
  auto hits = (*reader)->Search({0, 1, 0}, 5, 0, PayloadFilter());
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].id, "c");
  hits = (*reader)->Search({0, 0, 1}, 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "a");  // the replaced vector, not the old one

  // Nothing new: true, nothing changes. A compaction: false (reopen).
  EXPECT_TRUE(*(*reader)->FollowLog());
  ASSERT_TRUE((*owner)->Snapshot().ok());
  ASSERT_TRUE((*owner)->Upsert({{"d", {1, 1, 0}, Json::object()}}).ok());
  auto after = (*reader)->FollowLog();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(*after);
  auto reopened = VectorIndex::Open(dir.str() + "/t", /*read_only=*/true);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->Count(), 3u);
}

// Deleted graph slots are reused by new items instead of growing the graph.
TEST(VectorIndexTest, DeletedSlotsAreReused) {
  testing::TempDir dir;
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(4));
  auto data = Clustered(20, 4, 9);
  ASSERT_TRUE((*idx)->Upsert(Items(data)).ok());
  EXPECT_EQ((*idx)->Info()["graph_slots"], 20);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(*(*idx)->Delete("id" + std::to_string(i)));
  std::vector<VectorItem> fresh;
  for (int i = 0; i < 8; ++i)
    fresh.push_back({"new" + std::to_string(i), data[static_cast<size_t>(i)], Json::object(), 0});
  ASSERT_TRUE((*idx)->Upsert(std::move(fresh)).ok());
  EXPECT_EQ((*idx)->Info()["graph_slots"], 20);
  EXPECT_EQ((*idx)->Count(), 20u);
  auto hits = (*idx)->Search(data[3], 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "new3");
}

// In a large index a selective eq/in filter is answered from posting lists, exactly: the
// same hits a brute-force scan gives, and the lists follow writes.
TEST(VectorIndexTest, SelectiveFiltersAreAnsweredExactlyFromPostingLists) {
  testing::TempDir dir;
  const int dims = 16;
  const size_t n = VectorIndex::kPostingsMinItems + 2000;
  auto data = Clustered(n, dims, 11);
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(dims));
  std::vector<VectorItem> items;
  const char* roles[] = {"forklift operator", "welder", "cna", "line cook"};
  for (size_t i = 0; i < n; ++i) {
    // 1 in 100 items is "rare"; every item has a unique serial (too many values to list).
    Json payload = {{"role", i % 100 == 0 ? "rare" : roles[i % 4]},
                    {"night", i % 3 == 0},
                    {"serial", "s" + std::to_string(i)},
                    {"rating", static_cast<double>(i % 5)},
                    {"x", static_cast<double>(i % 200)},
                    {"y", static_cast<double>(i / 200)}};
    items.push_back({"id" + std::to_string(i), data[i], payload, 0});
  }
  ASSERT_TRUE((*idx)->Upsert(std::move(items)).ok());
  auto brute = [&](const Json& filter_json, const std::vector<float>& q, size_t k) {
    auto f = PayloadFilter::Compile(filter_json);
    std::vector<std::pair<float, std::string>> all;
    for (size_t i = 0; i < n; ++i) {
      auto item = (*idx)->Get("id" + std::to_string(i));
      if (!item || !f->Matches(item->payload)) continue;
      double dot = 0, nq = 0, nv = 0;
      for (int d = 0; d < dims; ++d) {
        dot += q[d] * item->vector[d];
        nq += q[d] * q[d];
        nv += item->vector[d] * item->vector[d];
      }
      all.emplace_back(static_cast<float>(-dot / std::sqrt(nq * nv)), item->id);
    }
    std::sort(all.begin(), all.end());
    std::vector<std::string> ids;
    for (size_t i = 0; i < std::min(k, all.size()); ++i) ids.push_back(all[i].second);
    return ids;
  };
  auto search = [&](const Json& filter_json, const std::vector<float>& q, size_t k,
                    SearchStats* stats) {
    auto f = PayloadFilter::Compile(filter_json);
    auto hits = (*idx)->Search(q, k, 0, *f, stats);
    EXPECT_TRUE(hits.ok());
    std::vector<std::string> ids;
    for (const auto& h : *hits) ids.push_back(h.id);
    return ids;
  };
  const auto& q = data[5];
  // What a server does before it says it is ready (the lists after the writes below are
  // built on first use instead).
  (*idx)->Warm();
  SearchStats stats;
  const Json rare_nights = {{"role", "rare"}, {"night", true}};
  EXPECT_EQ(search(rare_nights, q, 10, &stats), brute(rare_nights, q, 10));
  EXPECT_TRUE(stats.exact_fallback);
  // The smaller list (role), narrowed by night's (a third of the items: a dense list, read
  // as a bitmap, a bit test per rare item): role ∩ night.
  static_assert(Postings::kDenseShare > 3);
  EXPECT_EQ(stats.candidates, n / 100 / 3);
  // A range over Postings::kNarrowRatio times bigger than the role's list is not read: the
  // exact scan checks it on the role's cells.
  const Json rare_wide = {{"role", "rare"}, {"x", {{"gte", 0}, {"lte", 99}}}};
  static_assert(Postings::kNarrowRatio < 50);
  stats = SearchStats();
  EXPECT_EQ(search(rare_wide, q, 10, &stats), brute(rare_wide, q, 10));
  EXPECT_TRUE(stats.exact_fallback);
  EXPECT_EQ(stats.candidates, n / 100);
  const Json in_list = {{"role", {{"in", {"rare", "nobody"}}}}, {"rating", {{"gte", 3}}}};
  stats = SearchStats();
  EXPECT_EQ(search(in_list, q, 10, &stats), brute(in_list, q, 10));
  EXPECT_TRUE(stats.exact_fallback);
  // Numeric ranges: a band of x and a band of y make a small box; each band alone is too
  // broad, so the smaller one is narrowed by the other.
  const Json box = {{"x", {{"gte", 10}, {"lt", 30}}}, {"y", {{"gt", 20}, {"lte", 26}}}};
  stats = SearchStats();
  EXPECT_EQ(search(box, q, 10, &stats), brute(box, q, 10));
  EXPECT_TRUE(stats.exact_fallback);
  EXPECT_EQ(stats.candidates, 21u * 7u);  // x 10..30 (bounds taken inclusive) by y 20..26
  // Hits can carry only the payload keys a caller reads (their order kept).
  const std::vector<std::string> keys = {"y", "role"};
  auto f = PayloadFilter::Compile(box);
  auto narrow = (*idx)->Search(q, 10, 0, *f, nullptr, &keys);
  auto full = (*idx)->Search(q, 10, 0, *f);
  ASSERT_TRUE(narrow.ok() && full.ok());
  ASSERT_EQ(narrow->size(), full->size());
  for (size_t i = 0; i < narrow->size(); ++i) {
    EXPECT_EQ((*narrow)[i].id, (*full)[i].id);
    EXPECT_EQ((*narrow)[i].payload.dump(),
              Json({{"role", (*full)[i].payload["role"]}, {"y", (*full)[i].payload["y"]}}).dump());
  }
  // A field with too many values, or a numeric eq, offers no list: the graph answers.
  stats = SearchStats();
  EXPECT_EQ(search(Json{{"serial", "s77"}}, q, 3, &stats), std::vector<std::string>{"id77"});
  EXPECT_EQ(stats.candidates, 0u);
  stats = SearchStats();
  (void)search(Json{{"rating", 4}}, q, 3, &stats);
  EXPECT_EQ(stats.candidates, 0u);
  // A broad list (a quarter of the items) goes to the graph, with its filter inside.
  stats = SearchStats();
  auto welders = search(Json{{"role", "welder"}}, q, 10, &stats);
  EXPECT_EQ(stats.candidates, n / 4);
  EXPECT_FALSE(stats.exact_fallback);
  EXPECT_EQ(welders.size(), 10u);
  // Writes are followed: an item becomes rare, another stops being rare, one is deleted.
  ASSERT_TRUE((*idx)->Upsert({{"id7", data[7], {{"role", "rare"}, {"night", true}}, 0}}).ok());
  ASSERT_TRUE((*idx)->Upsert({{"id300", data[300], {{"role", "welder"}}, 0}}).ok());
  ASSERT_TRUE(*(*idx)->Delete("id0"));
  auto after = search(Json{{"role", "rare"}}, data[7], 1000, nullptr);
  EXPECT_EQ(after.size(), n / 100 - 2 + 1);
  EXPECT_EQ(after[0], "id7");
  EXPECT_EQ(std::count(after.begin(), after.end(), "id300"), 0);
  EXPECT_EQ(std::count(after.begin(), after.end(), "id0"), 0);
  // Built again by Warm after the writes: the same answers, lists without the deleted item.
  (*idx)->Warm();
  EXPECT_EQ(search(Json{{"role", "rare"}}, data[7], 1000, nullptr), after);
  EXPECT_EQ(search(rare_nights, q, 10, nullptr), brute(rare_nights, q, 10));
  EXPECT_EQ(search(box, q, 10, nullptr), brute(box, q, 10));
}

TEST(VectorIndexTest, RejectsBadInput) {
  testing::TempDir dir;
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(3));
  auto& index = **idx;
  EXPECT_EQ(index.Upsert({{"a", {1, 0}, Json::object()}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(index.Upsert({{"", {1, 0, 0}, Json::object()}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(index.Upsert({{"a", {NAN, 0, 0}, Json::object()}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(index.Search({1, 0}, 1, 0, PayloadFilter()).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(VectorIndex::Create(dir.str() + "/t", Spec(3)).status().code(),
            ErrorCode::kAlreadyExists);
  IndexSpec bad = Spec(3);
  bad.name = "Bad Name";
  EXPECT_FALSE(bad.Validate().ok());
}

// HNSW quality on clustered data, against brute force: recall@10 at ef=128, for a graph
// built by one large batch (inserts on every core) and grown by small ones (one thread).
TEST(VectorIndexTest, RecallAgainstBruteForce) {
  testing::TempDir dir;
  const int dims = 32;
  auto data = Clustered(4000, dims, 7);
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(dims));
  auto items = Items(data);
  const auto batch_end = [&](size_t from) { return from < 3000 ? 3000 : from + 250; };
  for (size_t from = 0; from < items.size(); from = batch_end(from)) {
    std::vector<VectorItem> batch(items.begin() + static_cast<long>(from),
                                  items.begin() + static_cast<long>(batch_end(from)));
    ASSERT_TRUE((*idx)->Upsert(std::move(batch)).ok());
  }
  ASSERT_EQ((*idx)->Count(), data.size());
  auto queries = Clustered(100, dims, 99);
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) d += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
    return d / std::sqrt(na * nb);
  };
  size_t found = 0;
  for (const auto& q : queries) {
    std::vector<std::pair<double, size_t>> truth;
    for (size_t i = 0; i < data.size(); ++i) truth.emplace_back(-cosine(q, data[i]), i);
    std::partial_sort(truth.begin(), truth.begin() + 10, truth.end());
    auto hits = (*idx)->Search(q, 10, 128, PayloadFilter());
    ASSERT_TRUE(hits.ok());
    for (int t = 0; t < 10; ++t) {
      const std::string want = "id" + std::to_string(truth[static_cast<size_t>(t)].second);
      for (const auto& h : *hits) found += h.id == want;
    }
  }
  const double recall = static_cast<double>(found) / (queries.size() * 10.0);
  EXPECT_GE(recall, 0.95) << "recall@10 " << recall;
}

// A filtered search returns k results whenever k matching items exist, also when the
// filter keeps a tiny fraction of the index.
TEST(VectorIndexTest, FilteredSearchNeverUnderReturns) {
  testing::TempDir dir;
  auto data = Clustered(3000, 16, 3);
  auto items = Items(data);
  items[17].payload["rare"] = true;
  items[1234].payload["rare"] = true;
  items[2999].payload["rare"] = true;
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(16));
  ASSERT_TRUE((*idx)->Upsert(std::move(items)).ok());
  auto group = PayloadFilter::Compile(Json::parse(R"({"group": 3, "even": false})"));
  auto hits = (*idx)->Search(data[0], 50, 0, *group);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), 50u);
  for (const auto& h : *hits) {
    EXPECT_EQ(h.payload["group"], 3);
    EXPECT_EQ(h.payload["even"], false);
  }
  auto rare = PayloadFilter::Compile(Json::parse(R"({"rare": true})"));
  SearchStats stats;
  hits = (*idx)->Search(data[0], 10, 0, *rare, &stats);
  ASSERT_EQ(hits->size(), 3u);  // all that exist
  auto none = PayloadFilter::Compile(Json::parse(R"({"group": 99})"));
  EXPECT_TRUE((*idx)->Search(data[0], 10, 0, *none)->empty());
}

TEST(VectorIndexTest, RestartLoadsTheSavedGraph) {
  testing::TempDir dir;
  auto data = Clustered(500, 8, 1);
  {
    auto idx = VectorIndex::Create(dir.str() + "/t", Spec(8));
    ASSERT_TRUE((*idx)->Upsert(Items(data)).ok());
    ASSERT_TRUE(*(*idx)->Delete("id3"));
  }  // clean close saves the graph
  auto idx = VectorIndex::Open(dir.str() + "/t");
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ((*idx)->graph_origin(), "loaded");
  EXPECT_EQ((*idx)->Count(), 499u);
  EXPECT_FALSE((*idx)->Get("id3").has_value());
  auto hits = (*idx)->Search(data[10], 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "id10");
}

TEST(VectorIndexTest, CorruptGraphIsRejectedAndRebuilt) {
  testing::TempDir dir;
  auto data = Clustered(300, 8, 2);
  {
    auto idx = VectorIndex::Create(dir.str() + "/t", Spec(8));
    ASSERT_TRUE((*idx)->Upsert(Items(data)).ok());
    ASSERT_TRUE((*idx)->Snapshot().ok());
  }
  // Damage the middle of the saved graph.
  const auto graph = dir.path() / "t" / "graph.hnsw";
  std::string bytes = testing::ReadFile(graph);
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 256; ++i)
    bytes[i] = static_cast<char>(0xFF);
  testing::WriteFile(graph, bytes);
  auto idx = VectorIndex::Open(dir.str() + "/t");
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_TRUE((*idx)->graph_origin().starts_with("rebuilt")) << (*idx)->graph_origin();
  EXPECT_EQ((*idx)->Count(), 300u);
  auto hits = (*idx)->Search(data[42], 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "id42");
  idx->reset();
  // A truncated graph file, with its metadata gone too.
  testing::WriteFile(graph, bytes.substr(0, 100));
  fs::remove(dir.path() / "t" / "graph.json");
  auto again = VectorIndex::Open(dir.str() + "/t");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->graph_origin().starts_with("rebuilt"));
  EXPECT_EQ((*again)->Count(), 300u);
}

// kill -9 during a write storm: every acknowledged upsert and delete survives, the torn
// tail (if any) is cut, and the stale graph is rebuilt from the side store.
TEST(VectorIndexTest, KillNineLosesNothingAcknowledged) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/t";
  { ASSERT_TRUE(VectorIndex::Create(path, Spec(8)).ok()); }
  std::unique_ptr<VectorIndex> writer;  // opened in the child
  const auto data = Clustered(100000, 8, 5);
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!writer) {
          auto idx = VectorIndex::Open(path);
          if (!idx.ok()) return false;
          writer = std::move(*idx);
        }
        VectorItem it{
            "id" + std::to_string(i), data[static_cast<size_t>(i) % data.size()], {{"i", i}}, 0};
        if (!writer->Upsert({it}).ok()) return false;
        return i % 7 != 6 || writer->Delete("id" + std::to_string(i - 3)).ok();
      },
      std::chrono::milliseconds(600));
  ASSERT_GE(last + 1, 50) << "the child made no progress, or died";
  auto idx = VectorIndex::Open(path);
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  for (int i = 0; i <= last; ++i) {
    const bool deleted = (i + 3) % 7 == 6 && i + 3 <= last;
    EXPECT_EQ((*idx)->Get("id" + std::to_string(i)).has_value(), !deleted) << i;
  }
  EXPECT_TRUE((*idx)->graph_origin().starts_with("rebuilt")) << (*idx)->graph_origin();
}

TEST(VectorIndexTest, TornLogTailIsCut) {
  testing::TempDir dir;
  {
    auto idx = VectorIndex::Create(dir.str() + "/t", Spec(4));
    ASSERT_TRUE((*idx)->Upsert({{"a", {1, 0, 0, 0}, Json::object()}}).ok());
    ASSERT_TRUE((*idx)->Upsert({{"b", {0, 1, 0, 0}, Json::object()}}).ok());
  }
  const auto log = dir.path() / "t" / "store.log";
  std::string bytes = testing::ReadFile(log);
  testing::WriteFile(log, bytes.substr(0, bytes.size() - 5));  // tear the last record
  auto idx = VectorIndex::Open(dir.str() + "/t");
  ASSERT_TRUE(idx.ok());
  EXPECT_TRUE((*idx)->Get("a").has_value());
  EXPECT_FALSE((*idx)->Get("b").has_value());
  ASSERT_TRUE((*idx)->Upsert({{"c", {0, 0, 1, 0}, Json::object()}}).ok());
  idx->reset();
  auto again = VectorIndex::Open(dir.str() + "/t");
  EXPECT_TRUE((*again)->Get("c").has_value());
}

TEST(VectorIndexTest, MetricsScoreHigherIsCloser) {
  testing::TempDir dir;
  for (Metric m : {Metric::kCosine, Metric::kL2, Metric::kDot}) {
    IndexSpec s = Spec(2, m);
    s.name = std::string(MetricName(m));
    auto idx = VectorIndex::Create(dir.str() + "/" + s.name, s);
    ASSERT_TRUE(
        (*idx)
            ->Upsert({{"near", {1, 0.1f}, Json::object()}, {"far", {-1, 0}, Json::object()}})
            .ok());
    auto hits = (*idx)->Search({1, 0}, 2, 0, PayloadFilter());
    ASSERT_EQ(hits->size(), 2u);
    EXPECT_EQ((*hits)[0].id, "near") << MetricName(m);
    EXPECT_GT((*hits)[0].score, (*hits)[1].score) << MetricName(m);
  }
}

TEST(VectorStoreTest, CreateListDropAndReopen) {
  testing::TempDir dir;
  {
    auto store = VectorStore::Open(dir.str());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Create(Spec(4)).ok());
    EXPECT_EQ((*store)->Create(Spec(4)).status().code(), ErrorCode::kAlreadyExists);
    IndexSpec other = Spec(4);
    other.name = "other";
    ASSERT_TRUE((*store)->Create(other).ok());
    ASSERT_TRUE((*(*store)->Get("t"))->Upsert({{"a", {1, 2, 3, 4}, Json::object()}}).ok());
    ASSERT_TRUE((*store)->Drop("other").ok());
    EXPECT_EQ((*store)->Get("other").status().code(), ErrorCode::kNotFound);
  }
  auto store = VectorStore::Open(dir.str());
  ASSERT_EQ((*store)->List().size(), 1u);
  EXPECT_EQ((*(*store)->Get("t"))->Count(), 1u);
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

// A snapshot writes the whole store and graph (~1 GB on 500k workers); searches go on
// meanwhile instead of waiting for it (writes wait). With the old exclusive lock at most the
// one search already waiting could finish inside the snapshot.
TEST(VectorIndexTest, SearchesGoOnDuringASnapshot) {
  testing::TempDir dir;
  const int dims = 64;
  auto idx = VectorIndex::Create(dir.str() + "/t", Spec(dims));
  ASSERT_TRUE(idx.ok());
  ASSERT_TRUE((*idx)->Upsert(Items(Clustered(20000, dims, 3))).ok());
  const auto query = Clustered(1, dims, 5)[0];
  std::atomic<int> phase{0};  // 0 before, 1 during, 2 after the snapshot
  Status snapshot;
  std::thread t([&] {
    phase = 1;
    snapshot = (*idx)->Snapshot();
    phase = 2;
  });
  while (phase == 0) std::this_thread::yield();
  int inside = 0;
  while (phase == 1) {
    auto hits = (*idx)->Search(query, 10, 64, PayloadFilter());
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 10u);
    if (phase == 1) ++inside;
  }
  t.join();
  ASSERT_TRUE(snapshot.ok()) << snapshot.ToString();
  EXPECT_GE(inside, 3) << "searches waited for the snapshot";
  // What was saved is whole: the reopened index has every item.
  idx->reset();
  auto reopened = VectorIndex::Open(dir.str() + "/t", /*read_only=*/false);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->Count(), 20000u);
  EXPECT_EQ((*reopened)->graph_origin(), "loaded");
}

// The vectors live once, in the column: the saved graph holds links and row numbers (far
// smaller than the vectors), and a reopened index answers with the vectors bit for bit.
TEST(VectorIndexTest, VectorsAreHeldOnceInTheColumn) {
  testing::TempDir dir;
  const int dims = 64;
  const auto data = Clustered(2000, dims, 7);
  {
    auto idx = VectorIndex::Create(dir.str() + "/t", Spec(dims));
    ASSERT_TRUE((*idx)->Upsert(Items(data)).ok());
    ASSERT_TRUE((*idx)->Snapshot().ok());
  }
  const auto t = dir.path() / "t";
  const size_t vector_bytes = data.size() * dims * sizeof(float);
  EXPECT_GE(fs::file_size(t / "vectors.0.f32"), data.size() * (dims + 1) * sizeof(float));
  EXPECT_LT(fs::file_size(t / "graph.hnsw"), vector_bytes * 2 / 3);  // inline: 1.5x more
  EXPECT_LT(fs::file_size(t / "store.snap"), vector_bytes / 2);
  auto idx = VectorIndex::Open(t.string());
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ((*idx)->graph_origin(), "loaded");
  for (size_t i = 0; i < data.size(); i += 97) {
    auto item = (*idx)->Get("id" + std::to_string(i));
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->vector, data[i]) << i;
    auto hits = (*idx)->Search(data[i], 1, 0, PayloadFilter());
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].id, "id" + std::to_string(i));
    EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5);
  }
}

// Every new version takes a new row; a snapshot drops the old rows once they are many
// (a new column generation, the old file removed). A crash between writing that snapshot and
// emptying the log leaves records naming rows of the old generation: they are skipped (the
// snapshot holds them), not written over the new rows.
TEST(VectorIndexTest, OldRowsAreDroppedAndALeftoverLogIsSkipped) {
  testing::TempDir dir;
  const int dims = 16;
  const auto t = dir.path() / "t";
  std::vector<std::vector<float>> last;
  std::string leftover_log;
  {
    auto idx = VectorIndex::Create(t.string(), Spec(dims));
    for (uint64_t round = 0; round < 12; ++round) {
      last = Clustered(200, dims, 100 + round);
      ASSERT_TRUE((*idx)->Upsert(Items(last)).ok());
    }
    ASSERT_TRUE(*(*idx)->Delete("id5"));
    leftover_log = testing::ReadFile(t / "store.log");
    ASSERT_TRUE((*idx)->Snapshot().ok());
    EXPECT_FALSE(fs::exists(t / "vectors.0.f32"));
    ASSERT_TRUE(fs::exists(t / "vectors.1.f32"));
    // The graph's slots only (199 live + 1 deleted), not the 2,400 rows written.
    EXPECT_EQ(fs::file_size(t / "vectors.1.f32"), 200 * (dims + 1) * sizeof(float));
    for (size_t i = 0; i < last.size(); i += 13) {
      if (i == 5) continue;
      EXPECT_EQ((*idx)->Get("id" + std::to_string(i))->vector, last[i]);
    }
  }
  testing::WriteFile(t / "store.log", leftover_log);
  auto idx = VectorIndex::Open(t.string());
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ((*idx)->Count(), 199u);
  EXPECT_EQ((*idx)->graph_origin(), "loaded");
  EXPECT_FALSE((*idx)->Get("id5").has_value());
  for (size_t i = 0; i < last.size(); ++i) {
    if (i == 5) continue;
    auto item = (*idx)->Get("id" + std::to_string(i));
    ASSERT_TRUE(item.has_value()) << i;
    EXPECT_EQ(item->vector, last[i]) << i;
  }
  auto hits = (*idx)->Search(last[42], 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "id42");
  // New writes after the rewrite land in the new generation and survive a reopen.
  ASSERT_TRUE((*idx)->Upsert({{"new", last[7], Json::object()}}).ok());
  idx->reset();
  auto again = VectorIndex::Open(t.string());
  EXPECT_EQ((*again)->Get("new")->vector, last[7]);
}

// A follower maps the owner's column and follows it as it grows (past the first mapping).
TEST(VectorIndexTest, AFollowerReadsRowsTheOwnerAppendsLater) {
  testing::TempDir dir;
  const int dims = 64;
  auto owner = VectorIndex::Create(dir.str() + "/t", Spec(dims));
  ASSERT_TRUE((*owner)->Upsert({{"first", Clustered(1, dims, 1)[0], Json::object()}}).ok());
  auto reader = VectorIndex::Open(dir.str() + "/t", /*read_only=*/true);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const auto data = Clustered(30000, dims, 9);  // 7.8 MB of rows: the file grows and moves
  ASSERT_TRUE((*owner)->Upsert(Items(data)).ok());
  auto followed = (*reader)->FollowLog();
  ASSERT_TRUE(followed.ok() && *followed) << followed.status().ToString();
  EXPECT_EQ((*reader)->Count(), 30001u);
  EXPECT_EQ((*reader)->Get("id29999")->vector, data[29999]);
  auto hits = (*reader)->Search(data[29999], 1, 0, PayloadFilter());
  EXPECT_EQ((*hits)[0].id, "id29999");
}

// An index written before the column (vectors inside store.snap/store.log records, a graph
// holding vectors) is converted by its owner at open: same items, same vectors, and the next
// open loads the new snapshot and graph. A follower waits for the owner to convert it.
TEST(VectorIndexTest, AnIndexWrittenBeforeTheColumnIsConverted) {
  testing::TempDir dir;
  const int dims = 8;
  const auto t = dir.path() / "t";
  fs::create_directories(t);
  testing::WriteFile(t / "index.json", Spec(dims).ToJson().dump());
  const auto data = Clustered(300, dims, 4);
  auto legacy = [&](uint64_t seq, const std::string& id, uint64_t label,
                    const std::vector<float>& v, const Json& payload) {
    std::string body = "U";
    auto u32 = [&](uint32_t x) { body.append(reinterpret_cast<const char*>(&x), 4); };
    auto u64 = [&](uint64_t x) { body.append(reinterpret_cast<const char*>(&x), 8); };
    u64(seq);
    u32(static_cast<uint32_t>(id.size()));
    body += id;
    u64(label);
    u32(static_cast<uint32_t>(v.size()));
    body.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    const std::string p = payload.dump();
    u32(static_cast<uint32_t>(p.size()));
    body += p;
    return body;
  };
  std::string snap, log;
  for (uint64_t i = 0; i < 250; ++i)
    AppendRecord(snap, legacy(i + 1, "id" + std::to_string(i), i, data[i], {{"i", i}}));
  for (uint64_t i = 250; i < 300; ++i)  // the newest 50 still in the log
    AppendRecord(log, legacy(i + 1, "id" + std::to_string(i), i, data[i], {{"i", i}}));
  testing::WriteFile(t / "store.snap", snap);
  testing::WriteFile(t / "store.log", log);
  testing::WriteFile(t / "graph.json", R"({"seq":300,"count":300})");  // format 1
  testing::WriteFile(t / "graph.hnsw", std::string(4096, '\1'));

  auto follower = VectorIndex::Open(t.string(), /*read_only=*/true);
  EXPECT_EQ(follower.status().code(), ErrorCode::kUnavailable) << follower.status().ToString();
  {
    auto idx = VectorIndex::Open(t.string());
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    EXPECT_TRUE((*idx)->graph_origin().starts_with("rebuilt")) << (*idx)->graph_origin();
    EXPECT_EQ((*idx)->Count(), 300u);
  }
  auto idx = VectorIndex::Open(t.string());
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ((*idx)->graph_origin(), "loaded");
  for (size_t i = 0; i < data.size(); i += 7) {
    auto item = (*idx)->Get("id" + std::to_string(i));
    ASSERT_TRUE(item.has_value()) << i;
    EXPECT_EQ(item->vector, data[i]);
    EXPECT_EQ(item->payload["i"], i);
    EXPECT_EQ((*(*idx)->Search(data[i], 1, 0, PayloadFilter()))[0].id, "id" + std::to_string(i));
  }
  follower = VectorIndex::Open(t.string(), /*read_only=*/true);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  EXPECT_EQ((*follower)->Count(), 300u);
}

}  // namespace
}  // namespace lakehouse
