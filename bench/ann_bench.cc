// bench/ann_bench.cc: ANN quality and speed, ann-benchmarks style, ours vs plain hnswlib.
//
// Two datasets with real structure (not i.i.d. random vectors):
//   workers:   `hash/default` embeddings (384 dims) of N generated worker profiles, queried
//              with the profiles of workers generated with another seed;
//   clustered: N points from a mixture of 1,000 Gaussian clusters in 384 dims.
// Both: cosine, M=16, ef_construction=200, brute force is the truth, recall@10.
// For each ef: recall and single-thread QPS through VectorIndex::Search (side store lookup,
// payload, locking) and through plain hnswlib searchKnn on an index built the same way.
//
// Usage: build/bench/ann_bench [N=100000] [queries=1000]
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "embed/embedder.h"
#include "retrieve/workers_index.h"
#include "server/services.h"
#include "staffing/generator.h"
#include "vector/vector_index.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Matrix = std::vector<std::vector<float>>;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

void Normalize(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += x * x;
  if (n > 0)
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
}

Matrix WorkerVectors(size_t n, uint64_t seed) {
  const fs::path root = fs::temp_directory_path() / fmt::format("lakehouse-ann-{}-{}", n, seed);
  fs::remove_all(root);
  Config cfg;
  cfg.root = root.string();
  auto services = std::move(Services::Open(cfg)).value();
  staffing::GenOptions o;
  o.workers = static_cast<int64_t>(n);
  o.orders = 10;
  o.seed = seed;
  if (!staffing::Generate(*services->workspace, o).ok()) std::abort();
  QueryOptions q;
  q.max_rows = INT64_MAX;
  auto r = services->query->Query(
      "SELECT role, skills, certifications, city, state, shift_pref FROM workers ORDER BY "
      "worker_id",
      q);
  Json rows = Json::parse(r->rows_json);
  HashEmbedder e("hash/default", 384);
  Matrix out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Json w = {{"role", rows[i][0]}, {"skills", rows[i][1]}, {"certifications", rows[i][2]},
              {"city", rows[i][3]}, {"state", rows[i][4]},  {"shift_pref", rows[i][5]}};
    out[i] = e.EmbedOne(WorkerText(w));
  }
  services.reset();
  fs::remove_all(root);
  return out;
}

Matrix ClusteredVectors(size_t n, uint64_t seed, const Matrix& centers) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.35f);
  Matrix out(n, std::vector<float>(384));
  for (auto& v : out) {
    const auto& c = centers[rng() % centers.size()];
    for (size_t d = 0; d < 384; ++d) v[d] = c[d] + noise(rng);
    Normalize(v);
  }
  return out;
}

std::vector<std::vector<size_t>> BruteForce(const Matrix& data, const Matrix& queries, size_t k) {
  std::vector<std::vector<size_t>> truth(queries.size());
  auto work = [&](size_t t, size_t nt) {
    std::vector<std::pair<float, size_t>> scored(data.size());
    for (size_t q = t; q < queries.size(); q += nt) {
      for (size_t i = 0; i < data.size(); ++i) {
        float dot = 0;
        for (size_t d = 0; d < data[i].size(); ++d) dot += data[i][d] * queries[q][d];
        scored[i] = {-dot, i};
      }
      std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(k), scored.end());
      for (size_t j = 0; j < k; ++j) truth[q].push_back(scored[j].second);
    }
  };
  const size_t nt = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < nt; ++t) threads.emplace_back(work, t, nt);
  for (auto& th : threads) th.join();
  return truth;
}

struct Point {
  size_t ef;
  double recall, qps;
};

void Run(const std::string& name, const Matrix& data, const Matrix& queries) {
  const size_t k = 10;
  std::printf("\n## %s: %zu vectors x 384, %zu queries\n", name.c_str(), data.size(),
              queries.size());
  auto t0 = Clock::now();
  auto truth = BruteForce(data, queries, k);
  std::printf("brute force truth: %.1f s\n", Seconds(t0));

  // Ours.
  const fs::path dir = fs::temp_directory_path() / ("lakehouse-ann-index-" + name);
  fs::remove_all(dir);
  IndexSpec spec;
  spec.name = "bench";
  spec.dims = 384;
  spec.model = "hash/default";
  auto index = std::move(VectorIndex::Create(dir.string(), spec)).value();
  std::vector<VectorItem> items(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    items[i].id = std::to_string(i);
    items[i].vector = data[i];
    items[i].payload = {{"i", i}};
  }
  t0 = Clock::now();
  if (!index->Upsert(std::move(items)).ok()) std::abort();
  const double ours_build = Seconds(t0);

  // Plain hnswlib, same parameters, same threads.
  hnswlib::InnerProductSpace space(384);
  hnswlib::HierarchicalNSW<float> plain(&space, data.size(), 16, 200, 100);
  t0 = Clock::now();
  {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < data.size(); i = next++) plain.addPoint(data[i].data(), i);
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t)
      threads.emplace_back(worker);
    worker();
    for (auto& th : threads) th.join();
  }
  const double plain_build = Seconds(t0);
  std::printf(
      "build (2 threads): ours %.1f s (includes the fsync'd side store), plain hnswlib %.1f s\n",
      ours_build, plain_build);

  std::printf(
      "\n| ef | recall@10 ours | QPS ours | recall@10 hnswlib | QPS hnswlib | QPS ratio "
      "|\n|---:|---:|---:|---:|---:|---:|\n");
  std::vector<Point> ours, theirs;
  PayloadFilter none;
  for (size_t ef : {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}) {
    // Ours.
    size_t hit = 0;
    t0 = Clock::now();
    for (size_t q = 0; q < queries.size(); ++q) {
      auto r = index->Search(queries[q], k, ef, none);
      for (const auto& h : *r) {
        const size_t id = std::stoul(h.id);
        hit += std::find(truth[q].begin(), truth[q].end(), id) != truth[q].end();
      }
    }
    const double ours_qps = static_cast<double>(queries.size()) / Seconds(t0);
    const double ours_recall = static_cast<double>(hit) / static_cast<double>(queries.size() * k);
    // Plain.
    plain.setEf(ef);
    hit = 0;
    t0 = Clock::now();
    for (size_t q = 0; q < queries.size(); ++q) {
      auto r = plain.searchKnn(queries[q].data(), k);
      while (!r.empty()) {
        hit += std::find(truth[q].begin(), truth[q].end(), r.top().second) != truth[q].end();
        r.pop();
      }
    }
    const double plain_qps = static_cast<double>(queries.size()) / Seconds(t0);
    const double plain_recall = static_cast<double>(hit) / static_cast<double>(queries.size() * k);
    ours.push_back({ef, ours_recall, ours_qps});
    theirs.push_back({ef, plain_recall, plain_qps});
    std::printf("| %zu | %.4f | %.0f | %.4f | %.0f | %.2f |\n", ef, ours_recall, ours_qps,
                plain_recall, plain_qps, ours_qps / plain_qps);
  }
  std::printf(
      "\n| target recall@10 | ours: ef, QPS | hnswlib: ef, QPS | QPS ratio "
      "|\n|---:|---|---|---:|\n");
  for (double target : {0.90, 0.95, 0.99}) {
    auto first = [&](const std::vector<Point>& ps) -> const Point* {
      for (const auto& p : ps)
        if (p.recall >= target) return &p;
      return nullptr;
    };
    const Point* a = first(ours);
    const Point* b = first(theirs);
    if (a && b) {
      std::printf("| %.2f | ef %zu, %.0f | ef %zu, %.0f | %.2f |\n", target, a->ef, a->qps, b->ef,
                  b->qps, a->qps / b->qps);
    } else {
      std::printf("| %.2f | %s | %s | - |\n", target,
                  a ? fmt::format("ef {}, {:.0f}", a->ef, a->qps).c_str() : "not reached",
                  b ? fmt::format("ef {}, {:.0f}", b->ef, b->qps).c_str() : "not reached");
    }
  }
  index.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lakehouse

int main(int argc, char** argv) {
  using namespace lakehouse;
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
  const size_t nq = argc > 2 ? std::stoul(argv[2]) : 1000;
  spdlog::set_level(spdlog::level::warn);
  {
    Matrix data = WorkerVectors(n, 42);
    Matrix queries = WorkerVectors(nq, 4242);
    Run("workers (hash embeddings of generated profiles)", data, queries);
  }
  {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> g(0.0f, 1.0f);
    Matrix centers(1000, std::vector<float>(384));
    for (auto& c : centers) {
      for (auto& x : c) x = g(rng);
      Normalize(c);
      for (auto& x : c) x *= 4.0f;
    }
    Run("clustered (1,000 Gaussian clusters)", ClusteredVectors(n, 7, centers),
        ClusteredVectors(nq, 8, centers));
  }
  return 0;
}
