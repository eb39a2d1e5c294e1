// src/auth/limits.h: per-client rate and concurrency limits.
//
// RateLimiter is a token bucket per client (an API key id, or a client address when auth
// is off): `rate` tokens a second up to `burst`; a request takes one, or is told how long
// until one is there (the 429's Retry-After). ConcurrencyLimiter bounds the expensive
// requests (SQL, searches, chat, iterate) a client has in flight, so one client cannot
// hold every worker thread: a hold is taken when the request is admitted and released when
// its answer is sent.
//
// Both keep one small entry per client seen; buckets idle for 10 minutes are dropped when
// the table grows past 100k clients (a scan of addresses cannot grow it without end).
//
// Thread-safety: every method may be called concurrently (16 lock shards).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/thread_annotations.h"

namespace lakehouse::auth {

class RateLimiter {
 public:
  //! Takes a token from `client`'s bucket at `now_us` (a monotonic clock). 0 when admitted,
  //! else the seconds until a token is there (nothing is taken then).
  double Take(std::string_view client, double rate, double burst, int64_t now_us);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_us = 0;
  };
  struct Shard {
    Mutex mu;
    std::unordered_map<std::string, Bucket> buckets LH_GUARDED_BY(mu);
  };
  std::array<Shard, 16> shards_;
};

class ConcurrencyLimiter {
 public:
  //! A hold on one of `client`'s `limit` slots, released when the last copy is destroyed;
  //! null when all are taken.
  std::shared_ptr<void> TryAcquire(const std::string& client, int64_t limit);
  //! Requests `client` has in flight now (tests, metrics).
  int64_t InFlight(const std::string& client);

 private:
  struct Shard {
    Mutex mu;
    std::unordered_map<std::string, int64_t> in_flight LH_GUARDED_BY(mu);
  };
  void Release(const std::string& client);
  Shard& ShardOf(std::string_view client);
  std::array<Shard, 16> shards_;
};

}  // namespace lakehouse::auth
