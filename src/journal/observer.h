// src/journal/observer.h: rolling operational metrics from the event stream, fail-safe.
//
// The observer is fed every answered HTTP request (by the server's completion hook) and
// every journal event (as a journal listener), and keeps per-second buckets for the last
// hour, summed on demand into 1 min / 15 min / 1 h windows:
//   requests by route and status, latency percentiles per route (from fixed buckets),
//   validator failures by validator and error kind (with the most frequent reasons),
//   chat calls by provider/model with latency and errors, embedding cache hit rate.
// Each closed minute is appended to `_kb/observer_events.jsonl` (observer_event.v1).
//
// Fail-safe by construction: Offer only takes a short lock to push onto a bounded queue
// (no wake-up: the observer polls every kPollMs) and returns false (counting a drop) when
// it is full; all work runs on the observer's
// own thread, where an exception is caught and counted and a stall only fills the queue.
// Nothing the observer does can fail, slow or block a request beyond that push.
//
// Thread-safety: Offer and Summary may be called concurrently.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/json.h"
#include "journal/journal.h"
#include "storage/kb_log.h"

namespace lakehouse {

struct ObserverOptions {
  size_t queue_capacity = 65536;
  KbLog* kb = nullptr;  // observer_events.jsonl (null: none)
  //! Cumulative embedding cache (hits, misses), sampled by the observer thread about once
  //! a second (no work on the embed hot path); null: no cache figures.
  std::function<std::pair<uint64_t, uint64_t>()> cache_counters;
  //! Where "now" comes from (windows, closed minutes); tests pin it.
  const Clock* clock = &SystemClock::Get();
};

class Observer {
 public:
  explicit Observer(ObserverOptions options);
  ~Observer();

  //! Queues an event for the observer thread; false (a counted drop) when the queue is full.
  bool Offer(JournalEvent event);
  //! {windows: {"1m", "15m", "1h": {requests, by_route, validator_failures, chat, embed_cache}},
  //!  queue: {capacity, depth, offered, dropped, processed, errors}}
  Json Summary() const;
  //! The last `seconds` as `points` points of every route together (what the console
  //! charts): {seconds, step_seconds, points: [{t (epoch s, the point's last second),
  //! requests, errors (5xx), client_errors (4xx), p50_ms, p95_ms, p99_ms (null: none)}]}.
  Json Series(int seconds, int points) const;
  //! Waits for a full observer pass after this call: everything offered so far is
  //! processed and the minutes closed by now are written (tests).
  void Drain();
  //! Test hook: runs on the observer thread before each event is aggregated (it may throw
  //! or sleep, to prove the request path does not notice).
  void SetHookForTest(std::function<void(const JournalEvent&)> hook);

  static constexpr int kSeconds = 3600;
  static constexpr int kPollMs = 50;  // the observer thread's wake-up period
  //! Latency bucket upper bounds in ms (the last bucket is everything above).
  static const std::vector<double>& LatencyBoundsMs();

 private:
  struct RouteStats {
    std::map<int, int64_t> by_status;
    std::vector<int64_t> latency;  // per LatencyBoundsMs bucket + overflow
  };
  struct ChatStats {
    int64_t calls = 0, errors = 0;
    std::vector<int64_t> latency;
  };
  struct Bucket {
    int64_t second = -1;
    std::map<std::string, RouteStats> routes;                                  // "POST /v1/memory"
    std::map<std::string, std::map<std::string, int64_t>> validator_failures;  // kind -> error kind
    std::map<std::string, int64_t> validator_totals;  // kind -> validations
    std::map<std::string, int64_t> failure_reasons;   // "fill: Consistency: worker_ids[0] ..."
    std::map<std::string, ChatStats> chat;            // provider/model
    int64_t cache_hits = 0, cache_misses = 0;
  };

  void Loop();
  void Process(const JournalEvent& e);
  Bucket& BucketFor(int64_t second);
  Json Window(int64_t now_s, int seconds) const;
  void EmitMinute(int64_t minute_start_s);

  ObserverOptions options_;
  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_, drained_cv_;
  std::deque<JournalEvent> queue_;
  bool stop_ = false;
  bool busy_ = false;
  bool wake_ = false;    // set to wake the observer before its next poll
  uint64_t passes_ = 0;  // completed loop passes (Drain waits for one)
  std::atomic<int64_t> offered_{0}, dropped_{0}, processed_{0}, errors_{0};
  std::function<void(const JournalEvent&)> hook_;

  mutable std::mutex data_mu_;
  std::vector<Bucket> buckets_;  // ring by second
  int64_t last_minute_emitted_ = -1;
  std::pair<uint64_t, uint64_t> last_cache_ = {0, 0};
  std::thread thread_;
};

}  // namespace lakehouse
