// src/embed/embed_cache.h: the in-process embedding cache (LRU, bounded in bytes).
//
// Keyed by (model, text). An entry keeps the vector and its JSON text, rendered once at
// insert, so a warm /v1/embed answer is a lookup and a copy (SPEC: the in-process cache
// beat a daemon hop 3.7x in the seed; lookups should cost <= 200 ns). 16 shards, each an
// LRU list + hash map under its own mutex, keep concurrent lookups from contending.
// Counters (hits, misses, evictions) and the byte size are exported to /metrics.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "embed/embedder.h"

namespace lakehouse {

struct CachedEmbedding {
  Embedding vector;
  std::string json;  // "[0.1,-0.2,...]"
};

class EmbedCache {
 public:
  explicit EmbedCache(size_t capacity_bytes);
  ~EmbedCache();

  std::shared_ptr<const CachedEmbedding> Get(std::string_view model, std::string_view text);
  //! Inserts (or refreshes) and returns the entry; evicts least recently used entries of
  //! the shard past its share of the capacity.
  std::shared_ptr<const CachedEmbedding> Put(std::string_view model, std::string_view text,
                                             Embedding vector);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  size_t bytes() const;
  size_t entries() const;

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    std::string key;
    std::shared_ptr<const CachedEmbedding> value;
    size_t bytes;
  };
  struct Shard {
    std::mutex mu;
    std::list<Entry> lru;  // front: most recent
    std::unordered_map<std::string_view, std::list<Entry>::iterator>
        index;  // views into Entry::key
    size_t bytes = 0;
  };
  static std::string Key(std::string_view model, std::string_view text);
  Shard& ShardFor(const std::string& key);

  size_t shard_capacity_;
  Shard shards_[kShards];
  std::atomic<uint64_t> hits_{0}, misses_{0}, evictions_{0};
};

//! "[0.1,-0.2]": shortest round-trip text of each float.
std::string EmbeddingToJson(const Embedding& v);

}  // namespace lakehouse
