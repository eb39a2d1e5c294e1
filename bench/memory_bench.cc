// bench/memory_bench.cc: pathway memory write throughput (ADD and UPDATE, each durable:
// one fdatasync'd log record + one index write) and search latency, in process, with the
// built-in hash embedder. Usage: memory_bench [N=5000] [THREADS=4]. Prints one JSON object.
//
// ADD: N distinct facts about N/4 subjects. UPDATE: each fact restated (cosine above the
// threshold, so the same memory gets a new version). Both single-threaded and with THREADS
// writers (writes serialise on the store's writer lock; the figure shows what that costs).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "bench_temp_dir.h"
#include "core/log.h"
#include "memory/memory_store.h"

using namespace lakehouse;

namespace {

std::string Fact(int i) {
  static const char* kFacts[] = {"prefers night shifts and weekend work",
                                 "has an OSHA forklift certification card",
                                 "speaks Spanish and English on the floor",
                                 "owns reliable transportation to the north side sites",
                                 "asked for no more than 32 hours a week",
                                 "was late twice at the Dayton warehouse"};
  return fmt::format("{} (note {})", kFacts[i % 6], i);
}

std::string Restated(int i) {
  return fmt::format("{} (note {}).", Fact(i).substr(0, Fact(i).find(" (note")), i);
}

double Run(MemoryStore& store, int n, int threads, bool update, int* wrong) {
  std::atomic<int> next{0}, bad{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        MemoryWriteRequest w{fmt::format("worker:W{:07d}", i / 4), update ? Restated(i) : Fact(i),
                             "bench", ""};
        auto r = store.Write(w);
        if (!r.ok() || r->op != (update ? "UPDATE" : "ADD")) ++bad;
      }
    });
  }
  for (auto& th : pool) th.join();
  *wrong = bad.load();
  return n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  (void)InitLogging("warn");
  Config config;
  EmbedService embed(config);
  Json out = Json::object();
  out["n"] = n;
  for (int t : {1, threads}) {
    bench::TempDir dir;
    MemoryStoreOptions o;
    o.dir = dir.path + "/memory";
    auto store = MemoryStore::Open(o, embed);
    if (!store.ok()) {
      std::cerr << store.status().ToString() << "\n";
      return 1;
    }
    int wrong_add = 0, wrong_update = 0;
    const double adds = Run(**store, n, t, false, &wrong_add);
    const double updates = Run(**store, n, t, true, &wrong_update);
    // Search latency: global (HNSW) and per subject (exact), 1000 queries each.
    std::vector<double> global, subject;
    for (int i = 0; i < 1000; ++i) {
      auto s0 = std::chrono::steady_clock::now();
      (void)(*store)->Search(Fact(i * 7 % n), "", 10);
      auto s1 = std::chrono::steady_clock::now();
      (void)(*store)->Search(Fact(i * 7 % n), fmt::format("worker:W{:07d}", i * 7 % n / 4), 10);
      auto s2 = std::chrono::steady_clock::now();
      global.push_back(std::chrono::duration<double, std::micro>(s1 - s0).count());
      subject.push_back(std::chrono::duration<double, std::micro>(s2 - s1).count());
    }
    auto p = [](std::vector<double> v, double q) {
      std::sort(v.begin(), v.end());
      return std::round(v[static_cast<size_t>(q * (v.size() - 1))]);
    };
    Json row = Json::object();
    row["threads"] = t;
    row["add_per_s"] = std::round(adds);
    row["update_per_s"] = std::round(updates);
    row["wrong_ops"] = wrong_add + wrong_update;
    row["search_global_us_p50"] = p(global, 0.5);
    row["search_global_us_p99"] = p(global, 0.99);
    row["search_subject_us_p50"] = p(subject, 0.5);
    row["search_subject_us_p99"] = p(subject, 0.99);
    out[fmt::format("threads_{}", t)] = row;
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
