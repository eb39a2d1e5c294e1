// bench/roster_bench.cc: roster load time and resident memory, and in-process validation
// throughput. Usage: roster_bench ROOT (a root with workers/job_orders/fills, e.g. from
// `lakehouse gen --workers 500000 --orders 20000`). Prints one JSON object.
//
// Resident memory is VmRSS before and after the first load, after malloc_trim so the
// loader's transient buffers (DuckDB chunks, JSON batches) are not counted; the roster's
// own accounting (stats.bytes) is printed next to it.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "core/log.h"
#include "server/services.h"

using namespace lakehouse;

namespace {

int64_t RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: roster_bench ROOT\n";
    return 2;
  }
  (void)InitLogging("warn");
  Config config;
  config.root = argv[1];
  auto services = Services::Open(config, /*with_vectors=*/false);
  if (!services.ok()) {
    std::cerr << services.status().ToString() << "\n";
    return 1;
  }
  Services& s = **services;
  // Warm DuckDB (views, Parquet metadata, its buffer pool) with one load that is thrown
  // away, so the measured load's RSS delta is the roster and not DuckDB's caches.
  (void)Roster::Load(*s.query, *s.catalog);
  malloc_trim(0);
  const int64_t rss_before = RssKb();
  auto first = Roster::Load(*s.query, *s.catalog);
  if (!first.ok()) {
    std::cerr << first.status().ToString() << "\n";
    return 1;
  }
  malloc_trim(0);
  const int64_t rss_after = RssKb();
  std::vector<double> load_ms = {(*first)->stats().load_ms};
  for (int i = 0; i < 2; ++i) {
    auto r = Roster::Load(*s.query, *s.catalog);
    load_ms.push_back((*r)->stats().load_ms);
  }
  std::sort(load_ms.begin(), load_ms.end());
  const Roster& roster = **first;

  // A 12-worker fill: the largest eligible set the planner finds for an open order.
  Json fill;
  for (const auto& o : roster.orders()) {
    if (o.status != "open" || o.headcount < 12 || roster.FilledCount(o.order_id) > 0) continue;
    auto c = s.validators->FillCandidates(roster, o);
    if (c.size() < 12) continue;
    Json ids = Json::array();
    for (size_t i = 0; i < 12; ++i)
      ids.push_back(std::string(roster.Worker(c[i].worker).worker_id));
    fill = Json{{"order_id", o.order_id}, {"worker_ids", ids}};
    break;
  }
  double per_sec = 0;
  if (!fill.is_null()) {
    const int n = 200000;
    const auto t0 = std::chrono::steady_clock::now();
    size_t valid = 0;
    for (int i = 0; i < n; ++i) valid += s.validators->Fill(roster, fill).valid();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    per_sec = n / secs;
    if (valid != static_cast<size_t>(n)) std::cerr << "fill did not validate\n";
  }
  Json out = {{"workers", roster.stats().workers},
              {"orders", roster.stats().orders},
              {"fills", roster.stats().fills},
              {"load_ms_median", load_ms[1]},
              {"load_ms_runs", load_ms},
              {"rss_delta_mb", static_cast<double>(rss_after - rss_before) / 1024.0},
              {"roster_bytes_mb", static_cast<double>(roster.stats().bytes) / (1 << 20)},
              {"fill12", fill},
              {"fill12_validations_per_sec_in_process", static_cast<int64_t>(per_sec)}};
  std::cout << out.dump(2) << "\n";
  return 0;
}
