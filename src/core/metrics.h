// src/core/metrics.h: an in-process Prometheus metrics registry.
//
// Any subsystem registers counters, gauges and histograms here without knowing HTTP; the
// gateway renders the registry at GET /metrics in the Prometheus text format (0.0.4).
// Families are keyed by name; a series by its label values. Series are created on first
// use and live as long as the registry, so callers may keep the returned references.
//
// Thread-safety: every method may be called concurrently. Updating a series is a relaxed
// atomic operation; creating a series takes the family's mutex once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/thread_annotations.h"

namespace lakehouse {

using Labels = std::vector<std::string>;  // label values, in the family's label-name order

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  void Set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

//! Cumulative histogram over fixed upper bounds (seconds for latencies).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  //! Per-bucket (non-cumulative) counts; the last entry is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};  // sum * 1e9, so it can be a lock-free integer add
};

//! Latency buckets in seconds, 50 µs to 10 s.
std::vector<double> DefaultLatencyBounds();

class MetricsRegistry {
 public:
  //! The series of counter family `name` with these label values (created on first use).
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& label_names,
                      const Labels& label_values);
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& label_names,
                  const Labels& label_values);
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const Labels& label_names, const Labels& label_values,
                          const std::vector<double>& bounds);
  //! A gauge whose value is read at scrape time (cache sizes, pool occupancy).
  void RegisterCallbackGauge(const std::string& name, const std::string& help,
                             std::function<double()> read);

  //! A counter whose value is read at scrape time (CPU seconds from /proc).
  void RegisterCallbackCounter(const std::string& name, const std::string& help,
                               std::function<double()> read);

  //! The Prometheus text exposition of every family, families sorted by name.
  std::string RenderPrometheus() const;

  //! The process-wide registry.
  static MetricsRegistry& Global();

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kCallback, kCallbackCounter };
  struct Family {
    Kind kind;
    std::string help;
    Labels label_names;
    std::vector<double> bounds;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
    std::function<double()> callback;
  };
  Family& FamilyFor(const std::string& name, Kind kind, const std::string& help,
                    const Labels& label_names) LH_REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family> families_ LH_GUARDED_BY(mu_);
};

//! Registers the standard process_* metrics of Prometheus's client libraries, read from /proc
//! at scrape time: process_cpu_seconds_total, process_resident_memory_bytes,
//! process_virtual_memory_bytes, process_start_time_seconds, process_open_fds,
//! process_max_fds. Idempotent.
void RegisterProcessMetrics(MetricsRegistry& registry);

}  // namespace lakehouse
