#include "embed/embed_cache.h"

#include <fmt/format.h>

#include "core/ids.h"
#include "core/metrics.h"

namespace lakehouse {

std::string EmbeddingToJson(const Embedding& v) {
  std::string out;
  out.reserve(v.size() * 11 + 2);
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    fmt::format_to(std::back_inserter(out), "{}", v[i]);
  }
  out += ']';
  return out;
}

namespace {
// Process-wide series: every cache instance adds to them (one per process in practice).
struct CacheMetrics {
  MetricsRegistry& reg = MetricsRegistry::Global();
  Counter& hits =
      reg.GetCounter("lakehouse_embed_cache_hits_total", "embedding cache hits", {}, {});
  Counter& misses =
      reg.GetCounter("lakehouse_embed_cache_misses_total", "embedding cache misses", {}, {});
  Counter& evictions =
      reg.GetCounter("lakehouse_embed_cache_evictions_total", "embedding cache evictions", {}, {});
  Gauge& bytes =
      reg.GetGauge("lakehouse_embed_cache_bytes", "bytes held by the embedding cache", {}, {});
  Gauge& entries =
      reg.GetGauge("lakehouse_embed_cache_entries", "entries in the embedding cache", {}, {});
};
CacheMetrics& Metrics() {
  static CacheMetrics* m = new CacheMetrics();
  return *m;
}
}  // namespace

EmbedCache::EmbedCache(size_t capacity_bytes)
    : shard_capacity_(std::max<size_t>(capacity_bytes / kShards, 1)) {}

EmbedCache::~EmbedCache() {
  Metrics().bytes.Add(-static_cast<int64_t>(bytes()));
  Metrics().entries.Add(-static_cast<int64_t>(entries()));
}

std::string EmbedCache::Key(std::string_view model, std::string_view text) {
  std::string key;
  key.reserve(model.size() + 1 + text.size());
  key.append(model);
  key += '\0';
  key.append(text);
  return key;
}

EmbedCache::Shard& EmbedCache::ShardFor(const std::string& key) {
  return shards_[Fnv1a64(key) % kShards];
}

std::shared_ptr<const CachedEmbedding> EmbedCache::Get(std::string_view model,
                                                       std::string_view text) {
  const std::string key = Key(model, text);
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.index.find(key);
  if (it == s.index.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    Metrics().misses.Inc();
    return nullptr;
  }
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  Metrics().hits.Inc();
  return it->second->value;
}

std::shared_ptr<const CachedEmbedding> EmbedCache::Put(std::string_view model,
                                                       std::string_view text, Embedding vector) {
  auto value = std::make_shared<CachedEmbedding>();
  value->json = EmbeddingToJson(vector);
  value->vector = std::move(vector);
  std::string key = Key(model, text);
  const size_t bytes =
      key.size() * 2 + value->vector.size() * sizeof(float) + value->json.size() + 128;
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  int64_t delta_bytes = 0, delta_entries = 0;
  if (auto it = s.index.find(key); it != s.index.end()) {
    delta_bytes -= static_cast<int64_t>(it->second->bytes);
    --delta_entries;
    s.bytes -= it->second->bytes;
    s.lru.erase(it->second);
    s.index.erase(it);
  }
  s.lru.push_front(Entry{std::move(key), value, bytes});
  s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
  s.bytes += bytes;
  delta_bytes += static_cast<int64_t>(bytes);
  ++delta_entries;
  while (s.bytes > shard_capacity_ && s.lru.size() > 1) {
    Entry& victim = s.lru.back();
    s.bytes -= victim.bytes;
    delta_bytes -= static_cast<int64_t>(victim.bytes);
    --delta_entries;
    s.index.erase(std::string_view(victim.key));
    s.lru.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
    Metrics().evictions.Inc();
  }
  Metrics().bytes.Add(delta_bytes);
  Metrics().entries.Add(delta_entries);
  return value;
}

size_t EmbedCache::bytes() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(const_cast<std::mutex&>(s.mu));
    total += s.bytes;
  }
  return total;
}

size_t EmbedCache::entries() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(const_cast<std::mutex&>(s.mu));
    total += s.lru.size();
  }
  return total;
}

}  // namespace lakehouse
