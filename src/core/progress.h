// src/core/progress.h: how far long work has come, and a line on the terminal that shows it.
//
// The work (gen, the workers index build, materialize, exports, audits, loadgen) updates a
// Progress: atomics, cheap enough per row. Whoever watches reads a Snapshot at any time: a
// ProgressLine on the terminal, /readyz, systemd's STATUS. The work also checks cancelled()
// between batches, so a SIGTERM stops an index build instead of waiting for its end.
//
// A ProgressLine draws on stderr, never stdout (where commands print their JSON answers): on
// a terminal, one line redrawn in place about 5 times a second (done/total, percent, rate,
// ETA); anywhere else (a pipe, a file, journald) a plain line every 10 s and one at the end,
// so logs stay readable. LAKEHOUSE_PROGRESS=off|plain|tty overrides the choice.
//
// Thread-safety: Progress is written by the work's threads and read by any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "core/thread_annotations.h"

namespace lakehouse {

class Progress {
 public:
  //! Begins a phase ("workers", "embedding") of `total` units (0: not known); done restarts
  //! at 0. `unit` names what is counted ("rows", "workers", "scenarios").
  void Phase(std::string name, int64_t total = 0, std::string unit = "rows");
  //! The same work begun again (a new build): clock, phase and counts reset.
  void Restart();
  //! Work that ends at a time rather than a count (loadgen): percent and ETA from the clock.
  void PlannedSeconds(double seconds) { planned_ms_ = static_cast<int64_t>(seconds * 1000); }
  void Add(int64_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }
  void Set(int64_t done) { done_.store(done, std::memory_order_relaxed); }
  void SetTotal(int64_t total) { total_.store(total, std::memory_order_relaxed); }

  //! Asks the work to stop at its next check; it answers Unavailable("cancelled").
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_.load(); }

  struct Snapshot {
    std::string phase;
    std::string unit;
    int64_t done = 0;
    int64_t total = 0;
    double phase_seconds = 0;  // since the phase began
    double seconds = 0;        // since the work began
    double planned_seconds = 0;
    //! 0..100 of the phase (or of the planned time); negative when not known.
    double Percent() const;
    //! Units per second in this phase.
    double Rate() const;
    //! Seconds left; negative when not known.
    double Eta() const;
  };
  Snapshot Get() const;

 private:
  using Clock = std::chrono::steady_clock;
  mutable Mutex mu_;
  std::string phase_ LH_GUARDED_BY(mu_);
  std::string unit_ LH_GUARDED_BY(mu_) = "rows";
  Clock::time_point phase_start_ LH_GUARDED_BY(mu_) = Clock::now();
  Clock::time_point start_ LH_GUARDED_BY(mu_) = Clock::now();
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> planned_ms_{0};
  std::atomic<bool> cancelled_{false};
};

//! "workers 120,000/500,000 rows 24% 41,000/s ETA 9s" (the parts that are known).
std::string DescribeProgress(const Progress::Snapshot& s);

class ProgressLine {
 public:
  enum class Mode { kOff, kPlain, kTerminal };
  //! LAKEHOUSE_PROGRESS (off, plain, tty) when set; else kTerminal when stderr is a
  //! terminal, else kPlain.
  static Mode DefaultMode();

  //! Draws `progress` of `task` ("gen") on `out` until Finish (or destruction).
  ProgressLine(std::string task, const Progress& progress, Mode mode = DefaultMode(),
               FILE* out = stderr,
               std::chrono::milliseconds plain_every = std::chrono::seconds(10));
  ~ProgressLine() { Finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  //! Stops drawing and writes the last state as a line of its own ("gen: done ... in 12s").
  void Finish();

 private:
  void Draw(bool final);
  const std::string task_;
  const Progress& progress_;
  const Mode mode_;
  FILE* const out_;
  const std::chrono::milliseconds every_;
  Mutex mu_;
  std::condition_variable_any cv_;  // waits on mu_
  bool stop_ LH_GUARDED_BY(mu_) = false;
  size_t last_width_ = 0;  // drawer thread only (and Finish after joining it)
  std::thread drawer_;
};

}  // namespace lakehouse
