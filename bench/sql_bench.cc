// bench/sql_bench.cc: /v1/sql's engine against raw DuckDB, same data, same query.
//
// Generates 500,000 workers (seed 42) into a temp root once, then measures:
//   Raw/<query>     duckdb_query on a plain DuckDB connection + fetching every chunk
//   Engine/<query>  QueryEngine::Query: parse + statement check + pool + watchdog +
//                   streaming fetch + JSON rendering of every row
// Run: build/bench/sql_bench (or `make bench`). Numbers in docs/BENCHMARKS.md.
#include <duckdb.h>

#include <benchmark/benchmark.h>
#include <filesystem>

#include "server/services.h"
#include "staffing/generator.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

struct BenchData {
  fs::path root;
  std::unique_ptr<Services> services;
  duckdb_database raw_db = nullptr;
  duckdb_connection raw = nullptr;

  BenchData() {
    root = fs::temp_directory_path() / "lakehouse-sql-bench";
    fs::remove_all(root);
    Config cfg;
    cfg.root = root.string();
    services = std::move(Services::Open(cfg)).value();
    staffing::GenOptions o;
    o.workers = 500000;
    o.orders = 20000;
    if (!staffing::Generate(*services->workspace, o).ok()) std::abort();
    // Raw DuckDB with a view over the very same Parquet files.
    duckdb_open(nullptr, &raw_db);
    duckdb_connect(raw_db, &raw);
    const auto m = services->catalog->Get("workers").value();
    std::string files;
    for (const auto& f : m.Current()->files) {
      files += (files.empty() ? "'" : ", '") + services->store->LocalPath(f).value().string() + "'";
    }
    duckdb_result r;
    duckdb_query(
        raw, ("CREATE VIEW workers AS SELECT * FROM read_parquet([" + files + "])").c_str(), &r);
    duckdb_destroy_result(&r);
  }
  ~BenchData() {
    duckdb_disconnect(&raw);
    duckdb_close(&raw_db);
    services.reset();
    fs::remove_all(root);
  }
};

BenchData& Data() {
  static BenchData* d = new BenchData();
  return *d;
}

const char* kQueries[] = {
    "SELECT role, count(*) AS n, avg(rating) AS r FROM workers GROUP BY role",
    "SELECT * FROM workers WHERE worker_id = 'W0250000'",
    "SELECT worker_id, role, city, state, rating FROM workers WHERE state = 'OH' AND role = "
    "'forklift operator' "
    "ORDER BY rating DESC LIMIT 100",
};

void Raw(benchmark::State& state) {
  auto& d = Data();
  const char* sql = kQueries[state.range(0)];
  for (auto _ : state) {
    duckdb_result r;
    if (duckdb_query(d.raw, sql, &r) == DuckDBError) state.SkipWithError(duckdb_result_error(&r));
    idx_t rows = 0;
    while (duckdb_data_chunk c = duckdb_fetch_chunk(r)) {
      rows += duckdb_data_chunk_get_size(c);
      duckdb_destroy_data_chunk(&c);
    }
    benchmark::DoNotOptimize(rows);
    duckdb_destroy_result(&r);
  }
}

void Engine(benchmark::State& state) {
  auto& d = Data();
  const char* sql = kQueries[state.range(0)];
  QueryOptions o;
  for (auto _ : state) {
    auto r = d.services->query->Query(sql, o);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r->rows_json.data());
  }
}

BENCHMARK(Raw)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(Engine)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

}  // namespace
}  // namespace lakehouse

BENCHMARK_MAIN();
