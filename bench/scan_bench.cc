// bench/scan_bench.cc: the workers index's read phase, JSON text path vs typed scan.
//
// Reads the 14 columns the `workers` vector index keeps of every worker and builds what
// the index build needs from them (a JSON payload and the embedding text per worker):
//   WorkersRead/json   the path before QueryEngine::Scan: QueryEngine::Query renders every
//                      row as JSON text, nlohmann parses it back, payloads are copied out
//   WorkersRead/typed  ReadWorkers (retrieve/workers_index.h), what the build runs:
//                      QueryEngine::Scan, values read in place from DuckDB's chunks
// Data: SCAN_BENCH_ROOT (a root from `lakehouse gen`), else 500,000 generated workers.
// Run: build/bench/scan_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "core/log.h"
#include "retrieve/workers_index.h"
#include "server/services.h"
#include "staffing/generator.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

constexpr const char* kColumns[] = {
    "worker_id", "role",   "skills",      "certifications",  "city",
    "state",     "lat",    "lon",         "shift_pref",      "available",
    "status",    "rating", "reliability", "years_experience"};

std::string Sql() {
  std::string select;
  for (const char* c : kColumns) select += (select.empty() ? "" : ", ") + std::string(c);
  return "SELECT " + select + " FROM workers ORDER BY worker_id";
}

struct BenchData {
  std::unique_ptr<Services> services;
  BenchData() {
    (void)InitLogging("warn");
    Config cfg;
    if (const char* root = std::getenv("SCAN_BENCH_ROOT")) {
      cfg.root = root;
      services = std::move(Services::Open(cfg, false)).value();
      return;
    }
    const fs::path root = fs::temp_directory_path() / "lakehouse-scan-bench";
    fs::remove_all(root);
    cfg.root = root.string();
    services = std::move(Services::Open(cfg, false)).value();
    staffing::GenOptions o;
    o.workers = 500000;
    o.orders = 100;
    if (!staffing::Generate(*services->workspace, o).ok()) std::abort();
  }
};

BenchData& Data() {
  static BenchData d;
  return d;
}

void WorkersReadJson(benchmark::State& state) {
  QueryEngine& q = *Data().services->query;
  const std::string sql = Sql();
  for (auto _ : state) {
    QueryOptions qo;
    qo.max_rows = INT64_MAX;
    qo.timeout = std::chrono::minutes(30);
    auto result = q.Query(sql, qo);
    Json rows = ParseJson(result.value().rows_json).value();
    std::vector<std::string> texts;
    std::vector<std::pair<std::string, Json>> items(rows.size());
    texts.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      Json payload = Json::object();
      for (size_t c = 0; c < std::size(kColumns); ++c) payload[kColumns[c]] = rows[i][c];
      texts.push_back(WorkerText(payload));
      items[i].first = payload["worker_id"].get<std::string>();
      items[i].second = std::move(payload);
    }
    benchmark::DoNotOptimize(texts.data());
    state.counters["rows"] = static_cast<double>(items.size());
  }
}

void WorkersReadTyped(benchmark::State& state) {
  QueryEngine& q = *Data().services->query;
  for (auto _ : state) {
    std::vector<std::string> texts;
    std::vector<VectorItem> items;
    Status st = ReadWorkers(q, &items, &texts);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    benchmark::DoNotOptimize(texts.data());
    state.counters["rows"] = static_cast<double>(items.size());
  }
}

BENCHMARK(WorkersReadJson)->Name("WorkersRead/json")->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(WorkersReadTyped)->Name("WorkersRead/typed")->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace lakehouse

BENCHMARK_MAIN();
