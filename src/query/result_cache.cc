#include "query/result_cache.h"

#include "core/metrics.h"
#include "core/text.h"

namespace lakehouse {
namespace {

Counter& Hits() {
  static Counter& c = MetricsRegistry::Global().GetCounter(
      "lakehouse_sql_result_cache_hits_total", "SQL answers served from the result cache", {}, {});
  return c;
}

Counter& Misses() {
  static Counter& c = MetricsRegistry::Global().GetCounter(
      "lakehouse_sql_result_cache_misses_total", "cacheable SQL statements that ran", {}, {});
  return c;
}

}  // namespace

bool ResultCache::Cacheable(std::string_view sql) {
  const std::string lower = AsciiLower(sql);
  static const char* const kVolatile[] = {
      "now(",       "current_", "today(",     "random", "uuid",        "nextval",
      "currval",    "setseed",  "duckdb_",    "pragma", "get_current", "transaction_timestamp",
      "epoch_ms()", "query(",   "query_table"};
  for (const char* word : kVolatile)
    if (lower.find(word) != std::string::npos) return false;
  return true;
}

uint64_t ResultCache::generation() const {
  MutexLock lock(mu_);
  return generation_;
}

std::optional<QueryResult> ResultCache::Get(const std::string& key) {
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    Misses().Inc();
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  Hits().Inc();
  return it->second->result;
}

void ResultCache::Put(const std::string& key, const QueryResult& result, uint64_t generation) {
  const int64_t bytes = static_cast<int64_t>(result.rows_json.size() + key.size() * 2 + 256);
  if (capacity_ <= 0 || bytes > capacity_ / 8) return;
  MutexLock lock(mu_);
  if (generation < cleared_at_ || index_.count(key)) return;
  if (generation != generation_) {
    for (const auto& [dataset, at] : invalidated_at_)
      if (at > generation && ContainsIgnoreCase(key, dataset)) return;
  }
  lru_.push_front(Entry{key, result, bytes});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += bytes;
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void ResultCache::Invalidate(std::string_view dataset) {
  const std::string name = AsciiLower(dataset);
  MutexLock lock(mu_);
  invalidated_at_[name] = ++generation_;
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (!ContainsIgnoreCase(it->key, name)) {
      ++it;
      continue;
    }
    bytes_ -= it->bytes;
    index_.erase(it->key);
    it = lru_.erase(it);
  }
}

void ResultCache::Clear() {
  MutexLock lock(mu_);
  cleared_at_ = ++generation_;
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

size_t ResultCache::size() const {
  MutexLock lock(mu_);
  return lru_.size();
}

}  // namespace lakehouse
