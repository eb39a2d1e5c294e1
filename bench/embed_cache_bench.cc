// bench/embed_cache_bench.cc: one embedding-cache lookup (SPEC yardstick: <= 200 ns).
// A warm cache of 100,000 texts (384-dim hash embeddings, ~0.5 GB): random lookups of
// present texts (each one a trip to DRAM), a hot key (the warm /v1/embed path), and misses;
// one thread and two threads contending on the sharded cache.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "embed/embed_cache.h"

namespace lakehouse {
namespace {

struct Warm {
  EmbedCache cache{1ULL << 30};
  std::vector<std::string> texts;
  Warm() {
    for (int i = 0; i < 100000; ++i) {
      texts.push_back("forklift operator night shift Dayton OH worker " + std::to_string(i));
      cache.Put("hash/default", texts.back(), Embedding(384, 0.01f));
    }
  }
};

Warm& Data() {
  static Warm* w = new Warm();
  return *w;
}

void CacheHit(benchmark::State& state) {
  auto& w = Data();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto hit = w.cache.Get("hash/default", w.texts[i % w.texts.size()]);
    benchmark::DoNotOptimize(hit.get());
    i += 104729;
  }
}
BENCHMARK(CacheHit)->Threads(1)->Threads(2)->UseRealTime();

// The warm /v1/embed path: the same text again and again (its entry stays in CPU cache).
void CacheHitHotKey(benchmark::State& state) {
  auto& w = Data();
  const std::string& text = w.texts[12345];
  for (auto _ : state) benchmark::DoNotOptimize(w.cache.Get("hash/default", text).get());
}
BENCHMARK(CacheHitHotKey)->Threads(1)->Threads(2)->UseRealTime();

void CacheMiss(benchmark::State& state) {
  auto& w = Data();
  for (auto _ : state)
    benchmark::DoNotOptimize(w.cache.Get("hash/default", "not cached text").get());
}
BENCHMARK(CacheMiss);

}  // namespace
}  // namespace lakehouse

BENCHMARK_MAIN();
