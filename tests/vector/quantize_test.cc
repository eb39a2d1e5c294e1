// Tests of src/vector/quantize and of quantized indexes: the int8 kernels against a plain
// loop, the codes' error bounds, and an index declared `quantization: int8` (graph on codes,
// float rerank): the answers and scores of the float index, its files, reopen, a lost code
// column encoded again, old rows dropped, a follower, every metric.
#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vector/quantize.h"
#include "vector/vector_index.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

std::vector<float> Random(size_t n, std::mt19937_64& rng, float scale = 1.0f) {
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

// The kernels sum exactly what a plain loop sums, at every length (the vector body and the
// tail), and at the extremes of both types.
TEST(QuantizeTest, KernelsEqualAPlainLoop) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> i8(-127, 127), i16(-32767, 32767);
  for (size_t n : {0, 1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 384, 385, 1000}) {
    std::vector<int8_t> a(n), b(n);
    std::vector<int16_t> q(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = static_cast<int8_t>(i8(rng));
      b[i] = static_cast<int8_t>(i8(rng));
      q[i] = static_cast<int16_t>(i16(rng));
    }
    int64_t want_qa = 0, want_ab = 0;
    for (size_t i = 0; i < n; ++i) want_qa += int64_t{q[i]} * a[i], want_ab += int64_t{a[i]} * b[i];
    EXPECT_EQ(DotI16I8(q.data(), a.data(), n), want_qa) << n;
    EXPECT_EQ(DotI8I8(a.data(), b.data(), n), want_ab) << n;
  }
  // The largest magnitudes EncodeQuery gives at 384 dims: no overflow.
  std::vector<int16_t> q(384, 32767);
  std::vector<int8_t> c(384, -127);
  EXPECT_EQ(DotI16I8(q.data(), c.data(), 384), int64_t{384} * 32767 * -127);
  // And two code rows at the ends of their range, every sign.
  std::vector<int8_t> lo(384, -127), hi(384, 127);
  EXPECT_EQ(DotI8I8(lo.data(), lo.data(), 384), 384 * 127 * 127);
  EXPECT_EQ(DotI8I8(lo.data(), hi.data(), 384), 384 * 127 * -127);
  EXPECT_EQ(DotI8I8(hi.data(), lo.data(), 384), 384 * 127 * -127);
  EXPECT_EQ(DotI8I8(hi.data(), hi.data(), 384), 384 * 127 * 127);
}

// A code row decodes to within half a step of every component; its norm2 is the decoded
// vector's; the query code's error is far smaller; the decoded dot products are close.
TEST(QuantizeTest, CodesAreWithinHalfAStep) {
  std::mt19937_64 rng(2);
  for (int dims : {1, 5, 64, 384, 8192}) {
    const auto u = Random(static_cast<size_t>(dims), rng);
    const auto w = Random(static_cast<size_t>(dims), rng);
    std::string row(Int8RowBytes(dims), '\x55'), other(Int8RowBytes(dims), '\x55');
    ASSERT_EQ(row.size() % 8, 0u);
    EncodeInt8Row(u.data(), dims, row.data());
    EncodeInt8Row(w.data(), dims, other.data());
    const auto decoded = DecodeInt8Row(row.data(), dims);
    const float scale = Int8Scale(row.data());
    double norm2 = 0, dot_uw = 0, dot_du = 0;
    for (int i = 0; i < dims; ++i) {
      const auto s = static_cast<size_t>(i);
      EXPECT_LE(std::fabs(decoded[s] - u[s]), scale * 0.5f + 1e-6f) << dims << " " << i;
      norm2 += static_cast<double>(decoded[s]) * decoded[s];
      dot_uw += static_cast<double>(u[s]) * w[s];
    }
    EXPECT_NEAR(Int8Norm2(row.data()), norm2, norm2 * 1e-5);
    const QueryCode q = EncodeQuery(w.data(), dims);
    for (int i = 0; i < dims; ++i) {
      const auto s = static_cast<size_t>(i);
      EXPECT_LE(std::fabs(q.codes[s] * q.scale - w[s]), q.scale * 0.5f + 1e-7f);
      dot_du += static_cast<double>(decoded[s]) * w[s];
    }
    // Query x code: the decoded row's dot with the query, up to the query's own rounding.
    EXPECT_NEAR(Int8Dot(q, row.data(), dims), dot_du, 1e-3 * std::sqrt(dims));
    // Code x code and query x code: near the float dot (|u|,|w| ~ sqrt(dims)).
    const double tolerance = 0.03 * dims;
    EXPECT_NEAR(Int8Dot(q, row.data(), dims), dot_uw, tolerance) << dims;
    EXPECT_NEAR(Int8Dot(row.data(), other.data(), dims), dot_uw, tolerance) << dims;
  }
  // A zero vector: scale 0, every code 0, a dot of 0.
  std::string zero(Int8RowBytes(4), '\x7f');
  const float z[4] = {0, 0, 0, 0};
  EncodeInt8Row(z, 4, zero.data());
  EXPECT_EQ(Int8Scale(zero.data()), 0.0f);
  EXPECT_EQ(DecodeInt8Row(zero.data(), 4), std::vector<float>(4, 0.0f));
}

TEST(QuantizeTest, NamesParse) {
  EXPECT_EQ(*ParseQuantization("none"), Quantization::kNone);
  EXPECT_EQ(*ParseQuantization("int8"), Quantization::kInt8);
  auto bad = ParseQuantization("int4");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("int4"), std::string::npos);
  EXPECT_EQ(QuantizationName(Quantization::kInt8), "int8");
}

IndexSpec Spec(int dims, Quantization q, Metric metric = Metric::kCosine) {
  IndexSpec s;
  s.name = "t";
  s.dims = dims;
  s.metric = metric;
  s.model = "hash/default";
  s.quantization = q;
  return s;
}

// ~40 Gaussian clusters: the structure embeddings have.
std::vector<std::vector<float>> Clustered(size_t n, int dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<float>> centers;
  std::mt19937_64 crng(1234);
  for (int c = 0; c < 40; ++c) centers.push_back(Random(static_cast<size_t>(dims), crng));
  std::normal_distribution<float> noise(0.0f, 0.4f);
  std::vector<std::vector<float>> out(n);
  for (auto& v : out) {
    const auto& c = centers[rng() % centers.size()];
    v.resize(c.size());
    for (size_t d = 0; d < c.size(); ++d) v[d] = c[d] + noise(rng);
  }
  return out;
}

constexpr size_t kGroups = 200;

std::vector<VectorItem> Items(const std::vector<std::vector<float>>& vs, const std::string& tag) {
  std::vector<VectorItem> items;
  for (size_t i = 0; i < vs.size(); ++i) {
    items.push_back({"id" + std::to_string(i),
                     vs[i],
                     {{"group", "g" + std::to_string(i % kGroups)}, {"tag", tag}},
                     0});
  }
  return items;
}

double Exact(Metric m, const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
    l2 += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  }
  if (m == Metric::kCosine) return dot / std::sqrt(na * nb);
  if (m == Metric::kDot) return dot;
  return -std::sqrt(l2);
}

// The true top k (ids) by exact score, among items whose group is `group` (-1: all).
std::vector<std::string> TopK(Metric m, const std::vector<std::vector<float>>& data,
                              const std::vector<float>& q, size_t k, int group = -1) {
  std::vector<std::pair<double, size_t>> scored;
  for (size_t i = 0; i < data.size(); ++i)
    if (group < 0 || static_cast<int>(i % kGroups) == group)
      scored.emplace_back(-Exact(m, q, data[i]), i);
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(k), scored.end());
  std::vector<std::string> ids;
  for (size_t i = 0; i < k; ++i) ids.push_back("id" + std::to_string(scored[i].second));
  return ids;
}

// For every metric: recall@10 of the quantized index against brute force at least that of
// the float index less 0.02 (and >= 0.95), and every score the exact float score of its
// item (the rerank's, not the code's); a selective filter (0.5% of the items, answered from
// posting lists) gives exactly the brute-force top k.
TEST(QuantizedIndexTest, AnswersAndScoresAreTheFloatOnes) {
  const int dims = 48;
  const auto data = Clustered(Postings::kMinItems + 2000, dims, 7);  // postings from 10,000
  const auto queries = Clustered(40, dims, 99);
  for (Metric m : {Metric::kCosine, Metric::kDot, Metric::kL2}) {
    testing::TempDir dir;
    auto plain = VectorIndex::Create(dir.str() + "/f", Spec(dims, Quantization::kNone, m));
    auto quant = VectorIndex::Create(dir.str() + "/q", Spec(dims, Quantization::kInt8, m));
    ASSERT_TRUE(quant.ok()) << quant.status().ToString();
    ASSERT_TRUE((*plain)->Upsert(Items(data, "x")).ok());
    ASSERT_TRUE((*quant)->Upsert(Items(data, "x")).ok());
    size_t found_plain = 0, found_quant = 0;
    for (const auto& q : queries) {
      const auto truth = TopK(m, data, q, 10);
      auto count = [&](const std::vector<SearchHit>& hits) {
        size_t n = 0;
        for (const auto& h : hits) n += std::find(truth.begin(), truth.end(), h.id) != truth.end();
        return n;
      };
      auto p = (*plain)->Search(q, 10, 64, PayloadFilter());
      auto z = (*quant)->Search(q, 10, 64, PayloadFilter());
      ASSERT_TRUE(p.ok() && z.ok());
      ASSERT_EQ(z->size(), 10u);
      found_plain += count(*p);
      found_quant += count(*z);
      for (size_t i = 0; i < z->size(); ++i) {
        const size_t item = std::stoul((*z)[i].id.substr(2));
        EXPECT_NEAR((*z)[i].score, Exact(m, q, data[item]),
                    1e-3 * std::fabs(Exact(m, q, data[item])) + 1e-4)
            << MetricName(m);
        if (i > 0) {
          EXPECT_GE((*z)[i - 1].score, (*z)[i].score);
        }
      }
      // Selective: the posting list's 60 items, scored by code, the best reranked.
      auto group = PayloadFilter::Compile(Json::parse(R"({"group": "g7"})"));
      SearchStats stats;
      auto f = (*quant)->Search(q, 5, 0, *group, &stats);
      ASSERT_TRUE(f.ok());
      EXPECT_TRUE(stats.exact_fallback);
      std::vector<std::string> ids;
      for (const auto& h : *f) ids.push_back(h.id);
      EXPECT_EQ(ids, TopK(m, data, q, 5, 7)) << MetricName(m);
    }
    const double rp = static_cast<double>(found_plain) / (queries.size() * 10.0);
    const double rq = static_cast<double>(found_quant) / (queries.size() * 10.0);
    EXPECT_GE(rp, 0.95) << MetricName(m);
    EXPECT_GE(rq, 0.95) << MetricName(m);
    EXPECT_GE(rq, rp - 0.02) << MetricName(m) << ": float " << rp << ", int8 " << rq;
    EXPECT_EQ((*quant)->Info()["quantization"], "int8");
    EXPECT_EQ((*plain)->Info()["quantization"], "none");
  }
}

// The codes are a quarter of the float rows; the float rows are the truth: Get gives the
// vector as written, a reopen loads the graph and answers the same, and a code column lost
// (or cut short) is encoded again from the float rows at open.
TEST(QuantizedIndexTest, CodesAreRebuiltFromTheFloatRows) {
  testing::TempDir dir;
  const int dims = 384;
  const auto data = Clustered(1500, dims, 3);
  const auto t = dir.path() / "t";
  std::vector<std::string> before;
  {
    auto idx = VectorIndex::Create(t.string(), Spec(dims, Quantization::kInt8));
    ASSERT_TRUE((*idx)->Upsert(Items(data, "x")).ok());
    ASSERT_TRUE((*idx)->Snapshot().ok());
    auto hits = (*idx)->Search(data[11], 10, 0, PayloadFilter());
    ASSERT_TRUE(hits.ok());
    for (const auto& h : *hits) before.push_back(h.id);
  }
  EXPECT_EQ(fs::file_size(t / "codes.0.i8"), data.size() * Int8RowBytes(dims));
  EXPECT_EQ(fs::file_size(t / "vectors.0.f32"), data.size() * (dims + 1) * sizeof(float));
  EXPECT_EQ(Int8RowBytes(dims), 392u);
  auto answers = [&](VectorIndex& idx) {
    std::vector<std::string> ids;
    auto hits = idx.Search(data[11], 10, 0, PayloadFilter());
    if (hits.ok())
      for (const auto& h : *hits) ids.push_back(h.id);
    return ids;
  };
  {
    auto idx = VectorIndex::Open(t.string());
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    EXPECT_EQ((*idx)->graph_origin(), "loaded");
    EXPECT_EQ(answers(**idx), before);
    EXPECT_EQ(before[0], "id11");
    for (size_t i = 0; i < data.size(); i += 101)
      EXPECT_EQ((*idx)->Get("id" + std::to_string(i))->vector, data[i]);
  }
  // Cut short, then gone: encoded again; the graph over the same rows still loads.
  const std::string codes = testing::ReadFile(t / "codes.0.i8");
  testing::WriteFile(t / "codes.0.i8", codes.substr(0, codes.size() / 2 + 100));
  {
    auto idx = VectorIndex::Open(t.string());
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    EXPECT_EQ(answers(**idx), before);
  }
  EXPECT_EQ(testing::ReadFile(t / "codes.0.i8").substr(0, codes.size()), codes);
  fs::remove(t / "codes.0.i8");
  auto idx = VectorIndex::Open(t.string());
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ(answers(**idx), before);
  EXPECT_EQ(testing::ReadFile(t / "codes.0.i8").substr(0, codes.size()), codes);
}

// Replaced versions' rows are dropped from both columns together (a new generation of each);
// a follower reads the owner's codes as they grow.
TEST(QuantizedIndexTest, OldRowsAreDroppedFromBothColumnsAndFollowersRead) {
  testing::TempDir dir;
  const int dims = 16;
  const auto t = dir.path() / "t";
  auto idx = VectorIndex::Create(t.string(), Spec(dims, Quantization::kInt8));
  std::vector<std::vector<float>> last = Clustered(200, dims, 100);
  ASSERT_TRUE((*idx)->Upsert(Items(last, "r0")).ok());
  auto follower = VectorIndex::Open(t.string(), /*read_only=*/true);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  for (uint64_t round = 1; round < 12; ++round) {
    last = Clustered(200, dims, 100 + round);
    ASSERT_TRUE((*idx)->Upsert(Items(last, "r" + std::to_string(round))).ok());
  }
  auto followed = (*follower)->FollowLog();
  ASSERT_TRUE(followed.ok() && *followed) << followed.status().ToString();
  EXPECT_EQ((*follower)->Count(), 200u);
  EXPECT_EQ((*(*follower)->Search(last[42], 1, 0, PayloadFilter()))[0].id, "id42");
  ASSERT_TRUE((*idx)->Snapshot().ok());
  EXPECT_FALSE(fs::exists(t / "codes.0.i8"));
  EXPECT_EQ(fs::file_size(t / "codes.1.i8"), 200 * Int8RowBytes(dims));
  EXPECT_EQ(fs::file_size(t / "vectors.1.f32"), 200 * (dims + 1) * sizeof(float));
  for (size_t i = 0; i < last.size(); i += 7) {
    EXPECT_EQ((*idx)->Get("id" + std::to_string(i))->vector, last[i]);
    EXPECT_EQ((*(*idx)->Search(last[i], 1, 0, PayloadFilter()))[0].id, "id" + std::to_string(i));
  }
  idx->reset();
  auto again = VectorIndex::Open(t.string());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->graph_origin(), "loaded");
  EXPECT_EQ((*(*again)->Search(last[9], 1, 0, PayloadFilter()))[0].id, "id9");
}

// kill -9 during a write storm on a quantized index: every acknowledged item survives, and
// every one is found by its own vector (its code row is there, written again from the log
// when the crash came first).
TEST(QuantizedIndexTest, KillNineLosesNothingAcknowledged) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/t";
  const int dims = 16;
  { ASSERT_TRUE(VectorIndex::Create(path, Spec(dims, Quantization::kInt8)).ok()); }
  std::unique_ptr<VectorIndex> writer;  // opened in the child
  const auto data = Clustered(100000, dims, 5);
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!writer) {
          auto idx = VectorIndex::Open(path);
          if (!idx.ok()) return false;
          writer = std::move(*idx);
        }
        VectorItem it{"id" + std::to_string(i), data[static_cast<size_t>(i)], {{"i", i}}, 0};
        return writer->Upsert({it}).ok();
      },
      std::chrono::milliseconds(600));
  ASSERT_GE(last + 1, 50) << "the child made no progress, or died";
  auto idx = VectorIndex::Open(path);
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  for (int i = 0; i <= last; ++i) {
    const auto at = static_cast<size_t>(i);
    ASSERT_EQ((*idx)->Get("id" + std::to_string(i))->vector, data[at]) << i;
    auto hits = (*idx)->Search(data[at], 1, 0, PayloadFilter());
    ASSERT_TRUE(hits.ok() && !hits->empty());
    EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5) << i;
  }
}

TEST(QuantizedIndexTest, SpecRoundTripsAndRefusesUnknownNames) {
  IndexSpec s = Spec(8, Quantization::kInt8);
  auto back = IndexSpec::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->quantization, Quantization::kInt8);
  Json old = s.ToJson();
  old.erase("quantization");  // written before quantization existed
  EXPECT_EQ(IndexSpec::FromJson(old)->quantization, Quantization::kNone);
  old["quantization"] = "pq";
  EXPECT_FALSE(IndexSpec::FromJson(old).ok());
}

}  // namespace
}  // namespace lakehouse
