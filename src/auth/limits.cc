#include "auth/limits.h"

#include <algorithm>
#include <functional>

namespace lakehouse::auth {
namespace {

constexpr size_t kMaxClientsPerShard = 100'000 / 16;
constexpr int64_t kIdleDropUs = 600LL * 1'000'000;

size_t ShardIndex(std::string_view client) {
  return std::hash<std::string_view>{}(client) % 16;
}

}  // namespace

double RateLimiter::Take(std::string_view client, double rate, double burst, int64_t now_us) {
  if (rate <= 0) return 0;
  burst = std::max(1.0, burst);
  Shard& s = shards_[ShardIndex(client)];
  MutexLock lock(s.mu);
  auto it = s.buckets.find(std::string(client));
  if (it == s.buckets.end()) {
    if (s.buckets.size() >= kMaxClientsPerShard) {
      std::erase_if(s.buckets,
                    [&](const auto& kv) { return now_us - kv.second.at_us > kIdleDropUs; });
    }
    it = s.buckets.emplace(std::string(client), Bucket{burst, now_us}).first;
  }
  Bucket& b = it->second;
  const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_us - b.at_us)) / 1e6;
  b.tokens = std::min(burst, b.tokens + elapsed_s * rate);
  b.at_us = std::max(b.at_us, now_us);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate;
}

ConcurrencyLimiter::Shard& ConcurrencyLimiter::ShardOf(std::string_view client) {
  return shards_[ShardIndex(client)];
}

std::shared_ptr<void> ConcurrencyLimiter::TryAcquire(const std::string& client, int64_t limit) {
  {
    Shard& s = ShardOf(client);
    MutexLock lock(s.mu);
    int64_t& n = s.in_flight[client];
    if (n >= limit) {
      if (n == 0) s.in_flight.erase(client);
      return nullptr;
    }
    ++n;
  }
  // The deleter gives the slot back; the pointer itself carries nothing.
  return std::shared_ptr<void>(static_cast<void*>(this),
                               [this, client](void*) { Release(client); });
}

void ConcurrencyLimiter::Release(const std::string& client) {
  Shard& s = ShardOf(client);
  MutexLock lock(s.mu);
  auto it = s.in_flight.find(client);
  if (it == s.in_flight.end()) return;
  if (--it->second <= 0) s.in_flight.erase(it);
}

int64_t ConcurrencyLimiter::InFlight(const std::string& client) {
  Shard& s = ShardOf(client);
  MutexLock lock(s.mu);
  auto it = s.in_flight.find(client);
  return it == s.in_flight.end() ? 0 : it->second;
}

}  // namespace lakehouse::auth
