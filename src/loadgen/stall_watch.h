// src/loadgen/stall_watch.h: the moments this machine stopped running us during a load.
//
// A loadgen maximum can come from the machine, not the server. On the 2-core virtual machine
// the benchmarks run on, a few times per 5-minute run, every request in flight took ~100 ms
// longer at once, with the same binary or an older one; a SCHED_FIFO probe (which preempts
// every normal task as soon as it wakes) was late by 100 ms at exactly those moments, and
// never on the idle machine (docs/BENCHMARKS.md, fifteenth part of issue 21). So the load
// generator watches: one thread wakes every 10 ms and records each wake-up later than the
// threshold, and the report says when and how long.
//
// Real-time when the process may (root, or CAP_SYS_NICE): a late wake-up then means the
// CPUs themselves did not run (the host took them). Otherwise a normal thread, whose
// lateness also counts this machine's own run queue; the report's `probe` says which.
//
// Thread-safety: Stop and the accessors from the thread that made the watch.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/json.h"

namespace lakehouse::loadgen {

class StallWatch {
 public:
  struct Stall {
    double at_s;     // since the watch started
    double late_ms;  // beyond the 10 ms period
  };
  //! Starts watching at once.
  explicit StallWatch(std::chrono::milliseconds threshold = std::chrono::milliseconds(50));
  ~StallWatch();
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;

  //! Stops watching (idempotent); the accessors below are final after it.
  void Stop();
  bool realtime() const { return realtime_.load(); }
  const std::vector<Stall>& stalls() const { return stalls_; }

  //! {probe: "realtime"|"normal", threshold_ms, count, longest_ms, total_ms,
  //!  stalls: [{at_s, late_ms}] (the first 50)}. Stops the watch.
  Json Report();

 private:
  void Run();
  const std::chrono::milliseconds threshold_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> realtime_{false};
  std::vector<Stall> stalls_;  // written by the watch thread until Stop joins it
  std::thread thread_;
};

}  // namespace lakehouse::loadgen
