// bench/ann_bench.cc: ANN quality and speed, ann-benchmarks style, ours vs plain hnswlib.
//
// Two datasets with real structure (not i.i.d. random vectors):
//   workers:   `hash/default` embeddings (384 dims) of N generated worker profiles, queried
//              with the profiles of workers generated with another seed;
//   clustered: N points from a mixture of 1,000 Gaussian clusters in 384 dims.
// Both: cosine, M=16, ef_construction=200, brute force is the truth, recall@10.
// For each ef: recall and single-thread QPS through VectorIndex::Search (side store lookup,
// payload, locking), float rows and int8 codes (quantization: int8, float rerank), and
// through plain hnswlib searchKnn on an index built the same way.
//
// Scale (--scale N): N clustered vectors generated one at a time (vector i from its own
// seed: nothing holds them all) into an int8 index under DIR/vectors/scale, in batches of
// 10,000; build time and the process's resident memory; a snapshot and a reopen; then recall
// and QPS with a selective filter (`shard`, 1/SHARDS of the items) and without, against brute
// force over regenerated vectors. The index stays for `lakehouse serve --root DIR`.
// --plain also builds plain hnswlib (float, the same parameters, every core) on the same
// vectors and measures it beside ours at every ef, with and without its own filter.
// --filtered measures the filtered points only (no unfiltered truth: a minute less at 5M).
// --populate-mb MB makes the searched rows resident first when they fit, as the server does
// at start with `vectors.populate_mb` (VectorIndex::Populate); 0, the default, does not.
//
// Usage: build/bench/ann_bench [N=100000] [queries=1000]
//        build/bench/ann_bench --scale N --dir DIR [--queries 200] [--shards 1000] [--plain]
//                              [--filtered] [--populate-mb MB]
#include <hnswlib/hnswlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
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

// 1,000 cluster centers, 4 units from the origin (the clustered sets draw around them).
Matrix Centers() {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g(0.0f, 1.0f);
  Matrix centers(1000, std::vector<float>(384));
  for (auto& c : centers) {
    for (auto& x : c) x = g(rng);
    Normalize(c);
    for (auto& x : c) x *= 4.0f;
  }
  return centers;
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

  // Ours: float rows, then int8 codes.
  auto build = [&](Quantization quantization, double* seconds) {
    const fs::path dir = fs::temp_directory_path() /
                         ("lakehouse-ann-index-" + std::string(QuantizationName(quantization)));
    fs::remove_all(dir);
    IndexSpec spec;
    spec.name = "bench";
    spec.dims = 384;
    spec.model = "hash/default";
    spec.quantization = quantization;
    auto index = std::move(VectorIndex::Create(dir.string(), spec)).value();
    std::vector<VectorItem> items(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      items[i].id = std::to_string(i);
      items[i].vector = data[i];
      items[i].payload = {{"i", i}};
    }
    const auto start = Clock::now();
    if (!index->Upsert(std::move(items)).ok()) std::abort();
    *seconds = Seconds(start);
    return index;
  };
  double ours_build = 0, int8_build = 0;
  auto index = build(Quantization::kNone, &ours_build);
  auto quantized = build(Quantization::kInt8, &int8_build);

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
      "build (2 threads): ours %.1f s, ours int8 %.1f s (both include the fsync'd side store), "
      "plain hnswlib %.1f s\n",
      ours_build, int8_build, plain_build);

  std::printf(
      "\n| ef | recall@10 ours | QPS ours | recall@10 int8 | QPS int8 | recall@10 hnswlib | QPS "
      "hnswlib | QPS ratio ours/hnswlib |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::vector<Point> ours, theirs, int8;
  PayloadFilter none;
  auto measure = [&](const VectorIndex& idx, size_t ef) {
    size_t hit = 0;
    const auto start = Clock::now();
    for (size_t q = 0; q < queries.size(); ++q) {
      auto r = idx.Search(queries[q], k, ef, none);
      for (const auto& h : *r) {
        const size_t id = std::stoul(h.id);
        hit += std::find(truth[q].begin(), truth[q].end(), id) != truth[q].end();
      }
    }
    return Point{ef, static_cast<double>(hit) / static_cast<double>(queries.size() * k),
                 static_cast<double>(queries.size()) / Seconds(start)};
  };
  for (size_t ef : {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}) {
    const Point o = measure(*index, ef);
    const Point z = measure(*quantized, ef);
    const double ours_qps = o.qps, ours_recall = o.recall;
    // Plain.
    plain.setEf(ef);
    size_t hit = 0;
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
    ours.push_back(o);
    int8.push_back(z);
    theirs.push_back({ef, plain_recall, plain_qps});
    std::printf("| %zu | %.4f | %.0f | %.4f | %.0f | %.4f | %.0f | %.2f |\n", ef, ours_recall,
                ours_qps, z.recall, z.qps, plain_recall, plain_qps, ours_qps / plain_qps);
  }
  std::printf(
      "\n| target recall@10 | ours: ef, QPS | int8: ef, QPS | hnswlib: ef, QPS | QPS ratio "
      "ours/hnswlib |\n|---:|---|---|---|---:|\n");
  for (double target : {0.90, 0.95, 0.99}) {
    auto first = [&](const std::vector<Point>& ps) -> const Point* {
      for (const auto& p : ps)
        if (p.recall >= target) return &p;
      return nullptr;
    };
    auto cell = [](const Point* p) {
      return p ? fmt::format("ef {}, {:.0f}", p->ef, p->qps) : std::string("not reached");
    };
    const Point* a = first(ours);
    const Point* b = first(theirs);
    std::printf("| %.2f | %s | %s | %s | %s |\n", target, cell(a).c_str(),
                cell(first(int8)).c_str(), cell(b).c_str(),
                a && b ? fmt::format("{:.2f}", a->qps / b->qps).c_str() : "-");
  }
  index.reset();
  quantized.reset();
  for (const char* q : {"none", "int8"})
    fs::remove_all(fs::temp_directory_path() / (std::string("lakehouse-ann-index-") + q));
}

// --- Scale -----------------------------------------------------------------------------

// The process's resident memory now and at its peak (VmRSS, VmHWM), in GB.
std::pair<double, double> Resident() {
  std::ifstream in("/proc/self/status");
  double rss = 0, hwm = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) rss = std::stod(line.substr(6)) / 1e6;
    if (line.starts_with("VmHWM:")) hwm = std::stod(line.substr(6)) / 1e6;
  }
  return {rss, hwm};
}

// Vector i of the scale set: from its own seed, so any subset can be generated again.
std::vector<float> ScaleVector(uint64_t i, const Matrix& centers) {
  std::mt19937_64 rng(0x9E3779B97F4A7C15ULL * (i + 1));
  std::normal_distribution<float> noise(0.0f, 0.35f);
  const auto& c = centers[rng() % centers.size()];
  std::vector<float> v(384);
  for (size_t d = 0; d < 384; ++d) v[d] = c[d] + noise(rng);
  Normalize(v);
  return v;
}

std::string Shard(uint64_t i, uint64_t shards) {
  return "s" + std::to_string(i % shards);
}

// Keeps the labels of one shard (label mod shards), for plain hnswlib's filtered search.
class ShardFilter : public hnswlib::BaseFilterFunctor {
 public:
  ShardFilter(size_t shard, size_t shards) : shard_(shard), shards_(shards) {}
  bool operator()(hnswlib::labeltype id) override { return id % shards_ == shard_; }

 private:
  size_t shard_, shards_;
};

// Plain hnswlib on the scale set: a float index, M=16, ef_construction=200, built on every
// core from batches of 10,000 generated vectors (generation excluded from the time, as for
// ours).
std::unique_ptr<hnswlib::HierarchicalNSW<float>> BuildPlain(hnswlib::InnerProductSpace& space,
                                                            size_t n, const Matrix& centers) {
  auto plain = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space, n, 16, 200, 100);
  const unsigned nt = std::max(1u, std::thread::hardware_concurrency());
  double add_s = 0;
  const auto start = Clock::now();
  constexpr size_t kBatch = 10000;
  for (size_t from = 0; from < n; from += kBatch) {
    const size_t to = std::min(n, from + kBatch);
    Matrix batch(to - from);
    {
      std::vector<std::thread> threads;
      for (unsigned t = 0; t < nt; ++t)
        threads.emplace_back([&, t] {
          for (size_t i = from + t; i < to; i += nt) batch[i - from] = ScaleVector(i, centers);
        });
      for (auto& th : threads) th.join();
    }
    const auto t = Clock::now();
    std::atomic<size_t> next{from};
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < nt; ++k)
      threads.emplace_back([&] {
        for (size_t i = next++; i < to; i = next++) plain->addPoint(batch[i - from].data(), i);
      });
    for (auto& th : threads) th.join();
    add_s += Seconds(t);
    if ((from / kBatch) % 50 == 49 || to >= n) {
      std::printf("  plain hnswlib, %zu items: %.0f s adding (%.0f/s), %.0f s wall\n", to, add_s,
                  static_cast<double>(to) / add_s, Seconds(start));
      std::fflush(stdout);
    }
  }
  std::printf("plain hnswlib build: %.0f s adding (%u threads; generating excluded)\n", add_s, nt);
  return plain;
}

struct ScaleOptions {
  size_t n = 0, queries = 200, shards = 1000;
  fs::path dir;
  bool plain = false;     // --plain
  bool filtered = false;  // --filtered
  uint64_t populate_mb = 0;
};

void Scale(const ScaleOptions& o, const Matrix& centers) {
  const size_t k = 10, n = o.n, nq = o.queries, shards = o.shards;
  const fs::path& root = o.dir;
  const bool with_plain = o.plain;
  const fs::path dir = root / "vectors" / "scale";
  std::printf("## scale: %zu clustered vectors x 384, int8, cosine, M=16, ef_construction=200\n",
              n);
  auto [rss0, hwm0] = Resident();
  std::printf("resident before: %.2f GB\n", rss0);
  if (!fs::exists(dir / "index.json")) {
    IndexSpec spec;
    spec.name = "scale";
    spec.dims = 384;
    spec.model = "hash/default";
    spec.quantization = Quantization::kInt8;
    auto index = std::move(VectorIndex::Create(dir.string(), spec)).value();
    double upsert_s = 0;
    const auto start = Clock::now();
    constexpr size_t kBatch = 10000;
    for (size_t from = 0; from < n; from += kBatch) {
      std::vector<VectorItem> items;
      for (size_t i = from; i < std::min(n, from + kBatch); ++i)
        items.push_back(
            {"v" + std::to_string(i), ScaleVector(i, centers), {{"shard", Shard(i, shards)}}, 0});
      const auto t = Clock::now();
      if (Status st = index->Upsert(std::move(items)); !st.ok()) {
        std::printf("upsert failed: %s\n", st.ToString().c_str());
        std::abort();
      }
      upsert_s += Seconds(t);
      if ((from / kBatch) % 50 == 49 || from + kBatch >= n) {
        auto [rss, hwm] = Resident();
        std::printf(
            "  %zu items: %.0f s upserting (%.0f/s), %.0f s wall, resident %.2f GB (peak %.2f)\n",
            std::min(n, from + kBatch), upsert_s,
            static_cast<double>(std::min(n, from + kBatch)) / upsert_s, Seconds(start), rss, hwm);
        std::fflush(stdout);
      }
    }
    auto t = Clock::now();
    if (!index->Snapshot().ok()) std::abort();
    std::printf(
        "build: %.0f s upserting (graph + fsync'd side store; generating excluded), snapshot %.1f "
        "s\n",
        upsert_s, Seconds(t));
  } else {
    std::printf("index exists: reopening it\n");
  }
  auto t = Clock::now();
  auto opened = VectorIndex::Open(dir.string());
  if (!opened.ok()) {
    std::printf("open failed: %s\n", opened.status().ToString().c_str());
    std::abort();
  }
  auto index = std::move(*opened);
  std::printf("reopen: %.1f s (graph %s), resident %.2f GB\n", Seconds(t),
              index->graph_origin().c_str(), Resident().first);
  t = Clock::now();
  index->Warm();
  std::printf("postings warm-up: %.1f s, resident %.2f GB\n", Seconds(t), Resident().first);
  if (o.populate_mb > 0) {
    t = Clock::now();
    const uint64_t bytes = index->Populate(o.populate_mb << 20);
    std::printf("populate (budget %llu MB): %.0f MB resident in %.1f s, resident %.2f GB\n",
                static_cast<unsigned long long>(o.populate_mb),
                static_cast<double>(bytes) / (1 << 20), Seconds(t), Resident().first);
  }

  // Truth: filtered from the shard's members, unfiltered from every vector (both threads).
  Matrix queries;
  for (size_t j = 0; j < nq; ++j) queries.push_back(ScaleVector(n + 1000003 + j, centers));
  t = Clock::now();
  hnswlib::InnerProductSpace space(384);
  auto dist = space.get_dist_func();
  void* param = space.get_dist_func_param();
  std::vector<std::vector<size_t>> filtered_truth(nq), truth(nq);
  std::vector<std::vector<std::pair<float, size_t>>> best(nq);
  std::mutex mu;
  auto scan = [&](size_t t_index, size_t nt) {
    std::vector<std::vector<std::pair<float, size_t>>> mine(nq);
    for (size_t i = t_index; i < n; i += nt) {
      const auto v = ScaleVector(i, centers);
      for (size_t q = 0; q < nq; ++q) {
        const float d = dist(v.data(), queries[q].data(), param);
        auto& heap = mine[q];
        if (heap.size() < k || d < heap.front().first) {
          heap.emplace_back(d, i);
          std::push_heap(heap.begin(), heap.end());
          if (heap.size() > k) {
            std::pop_heap(heap.begin(), heap.end());
            heap.pop_back();
          }
        }
      }
    }
    std::lock_guard lock(mu);
    for (size_t q = 0; q < nq; ++q) best[q].insert(best[q].end(), mine[q].begin(), mine[q].end());
  };
  if (!o.filtered) {
    const size_t nt = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < nt; ++i) threads.emplace_back(scan, i, nt);
    for (auto& th : threads) th.join();
  }
  for (size_t q = 0; q < nq; ++q) {
    std::sort(best[q].begin(), best[q].end());
    for (size_t j = 0; j < k && j < best[q].size(); ++j) truth[q].push_back(best[q][j].second);
    std::vector<std::pair<float, size_t>> members;
    for (size_t i = q % shards; i < n; i += shards)
      members.emplace_back(dist(ScaleVector(i, centers).data(), queries[q].data(), param), i);
    std::partial_sort(members.begin(),
                      members.begin() + static_cast<long>(std::min(k, members.size())),
                      members.end());
    for (size_t j = 0; j < k && j < members.size(); ++j)
      filtered_truth[q].push_back(members[j].second);
  }
  std::printf("brute-force truth: %.0f s\n", Seconds(t));

  std::unique_ptr<hnswlib::HierarchicalNSW<float>> plain;
  if (with_plain) {
    const double before = Resident().first;
    plain = BuildPlain(space, n, centers);
    std::printf("plain hnswlib's index: %.2f GB resident (the process: %.2f GB)\n",
                Resident().first - before, Resident().first);
  }
  // One point: the queries searched again and again for >= 1 s (single-thread QPS), recall
  // from the first pass. `search(q, want)` runs query q and answers how many of its results
  // are in `want` (null after the first pass: nothing is counted).
  auto timed = [&](size_t ef, bool filtered, auto&& search) {
    size_t hit = 0, searches = 0;
    const auto start = Clock::now();
    do {
      for (size_t q = 0; q < nq; ++q, ++searches) {
        const std::vector<size_t>* want = searches >= nq ? nullptr
                                          : filtered     ? &filtered_truth[q]
                                                         : &truth[q];
        hit += search(q, want);
      }
    } while (Seconds(start) < 1.0);
    return Point{ef, static_cast<double>(hit) / static_cast<double>(nq * k),
                 static_cast<double>(searches) / Seconds(start)};
  };
  auto in = [](const std::vector<size_t>& want, size_t id) -> size_t {
    return std::find(want.begin(), want.end(), id) != want.end();
  };
  auto run = [&](size_t ef, bool filtered) {
    std::vector<PayloadFilter> filters(nq);
    if (filtered)
      for (size_t q = 0; q < nq; ++q)
        filters[q] = std::move(PayloadFilter::Compile({{"shard", Shard(q, shards)}})).value();
    return timed(ef, filtered, [&](size_t q, const std::vector<size_t>* want) {
      auto r = index->Search(queries[q], k, ef, filters[q]);
      size_t hit = 0;
      if (want != nullptr)
        for (const auto& h : *r) hit += in(*want, std::stoul(h.id.substr(1)));
      return hit;
    });
  };
  // Plain hnswlib, its filtered search its own (a filter functor on the label's shard).
  auto run_plain = [&](size_t ef, bool filtered) {
    plain->setEf(ef);
    return timed(ef, filtered, [&](size_t q, const std::vector<size_t>* want) {
      ShardFilter filter(q % shards, shards);
      auto r = plain->searchKnn(queries[q].data(), k, filtered ? &filter : nullptr);
      size_t hit = 0;
      if (want != nullptr)
        for (; !r.empty(); r.pop()) hit += in(*want, r.top().second);
      return hit;
    });
  };
  std::printf(
      "\n| ef | recall@10 | QPS (1 thread) | recall@10, shard filter (1/%zu) | QPS |%s\n"
      "|---:|---:|---:|---:|---:|%s\n",
      shards,
      with_plain ? " hnswlib recall@10 | hnswlib QPS | hnswlib recall@10, filter | hnswlib QPS |"
                 : "",
      with_plain ? "---:|---:|---:|---:|" : "");
  for (size_t ef : {16, 32, 64, 128, 256, 512}) {
    if (o.filtered) {
      std::printf("| %zu | - | - |", ef);
    } else {
      const Point all = run(ef, false);
      std::printf("| %zu | %.4f | %.0f |", ef, all.recall, all.qps);
    }
    const Point some = run(ef, true);
    std::printf(" %.4f | %.0f |", some.recall, some.qps);
    if (with_plain) {
      const Point plain_all = o.filtered ? Point{ef, 0, 0} : run_plain(ef, false);
      const Point plain_some = run_plain(ef, true);
      std::printf(" %.4f | %.0f | %.4f | %.0f |", plain_all.recall, plain_all.qps,
                  plain_some.recall, plain_some.qps);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  auto [rss, hwm] = Resident();
  std::printf("\nresident after the searches: %.2f GB (peak %.2f GB)\n", rss, hwm);
}

}  // namespace
}  // namespace lakehouse

int main(int argc, char** argv) {
  using namespace lakehouse;
  spdlog::set_level(spdlog::level::warn);
  if (argc > 2 && std::string(argv[1]) == "--scale") {
    ScaleOptions o;
    o.n = std::stoul(argv[2]);
    for (int i = 3; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--plain" || flag == "--filtered") {
        (flag == "--plain" ? o.plain : o.filtered) = true;
        continue;
      }
      if (i + 1 >= argc) break;
      if (flag == "--queries") o.queries = std::stoul(argv[i + 1]);
      if (flag == "--shards") o.shards = std::stoul(argv[i + 1]);
      if (flag == "--dir") o.dir = argv[i + 1];
      if (flag == "--populate-mb") o.populate_mb = std::stoull(argv[i + 1]);
      ++i;
    }
    if (o.dir.empty()) {
      std::fprintf(stderr, "--scale needs --dir DIR\n");
      return 2;
    }
    Scale(o, Centers());
    return 0;
  }
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
  const size_t nq = argc > 2 ? std::stoul(argv[2]) : 1000;
  {
    Matrix data = WorkerVectors(n, 42);
    Matrix queries = WorkerVectors(nq, 4242);
    Run("workers (hash embeddings of generated profiles)", data, queries);
  }
  {
    const Matrix centers = Centers();
    Run("clustered (1,000 Gaussian clusters)", ClusteredVectors(n, 7, centers),
        ClusteredVectors(nq, 8, centers));
  }
  return 0;
}
