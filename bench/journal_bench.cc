// bench/journal_bench.cc: journal append throughput under its durability policy, the
// effect of group commit, and recovery time of a large journal.
// Usage: journal_bench [GB=1] (0 skips the recovery part). Prints one JSON object.
//
//  - fire-and-forget Append (flushed every flush_interval_ms, one fsync per batch);
//  - AppendDurable from 1, 4 and 16 threads for 2 s each: with 1 thread every append waits
//    for its own fsync; with more, appends that arrive during an fsync share the next one;
//  - a journal of GB gigabytes in 64 MiB segments, closed, then reopened: the open time is
//    the recovery time (only the last segment is scanned); and the worst case, a full
//    64 MiB last segment.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench_temp_dir.h"
#include "core/log.h"
#include "journal/journal.h"

using namespace lakehouse;
using Clock = std::chrono::steady_clock;

namespace {

JournalEvent Event(int i) {
  JournalEvent e;
  e.type = "validate";
  e.subject = "fill";
  e.trace_id = "bench-" + std::to_string(i);
  e.payload = Json{{"kind", "fill"},
                   {"valid", i % 3 != 0},
                   {"error_kinds", {{"Consistency", i % 3 == 0 ? 1 : 0}}},
                   {"reasons", {"Consistency: worker_ids[0]: unknown worker W9999999"}},
                   {"elapsed_us", 40 + i % 17}};
  return e;
}

std::unique_ptr<Journal> Open(const std::string& dir) {
  JournalOptions o;
  o.dir = dir;
  o.retention_bytes = 8LL << 30;
  auto j = Journal::Open(o);
  if (!j.ok()) {
    std::cerr << j.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(*j);
}

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  const double gb = argc > 1 ? std::atof(argv[1]) : 1.0;
  (void)InitLogging("warn");
  Json out = Json::object();
  {
    bench::TempDir dir;
    auto j = Open(dir.path);
    const int n = 200000;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) j->Append(Event(i));
    const double appended = Seconds(start);
    (void)j->Sync();
    const double synced = Seconds(start);
    const Json s = j->Stats();
    out["append"] = Json{{"events", n},
                         {"appends_per_s", std::round(n / appended)},
                         {"durable_per_s", std::round(n / synced)},
                         {"fsyncs", s["fsyncs"]},
                         {"bytes_per_event", s["bytes"].get<double>() / n}};
  }
  Json durable = Json::array();
  for (int threads : {1, 4, 16}) {
    bench::TempDir dir;
    auto j = Open(dir.path);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> done{0};
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (int i = 0; !stop.load(); ++i)
          if (j->AppendDurable(Event(i)).ok()) ++done;
      });
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop = true;
    for (auto& th : pool) th.join();
    const double secs = Seconds(start);
    const Json s = j->Stats();
    durable.push_back(
        Json{{"threads", threads},
             {"durable_appends_per_s", std::round(done.load() / secs)},
             {"fsyncs_per_s", std::round(s["fsyncs"].get<double>() / secs)},
             {"appends_per_fsync",
              std::round(10.0 * done.load() / std::max(1.0, s["fsyncs"].get<double>())) / 10}});
  }
  out["append_durable"] = durable;
  {
    // The worst case for recovery: a full active segment (64 MiB) to scan at open.
    bench::TempDir dir;
    int64_t events = 0;
    {
      auto j = Open(dir.path);
      while (j->Stats()["bytes"].get<int64_t>() < (63LL << 20)) {
        for (int i = 0; i < 10000; ++i) j->Append(Event(static_cast<int>(events++)));
        (void)j->Sync();
      }
    }
    const auto start = Clock::now();
    auto j = Open(dir.path);
    out["recovery_full_last_segment"] = Json{{"bytes", j->Stats()["bytes"]},
                                             {"events", events},
                                             {"open_ms", std::round(Seconds(start) * 10000) / 10}};
  }
  if (gb > 0) {
    bench::TempDir dir;
    int64_t events = 0;
    {
      auto j = Open(dir.path);
      const auto target = static_cast<int64_t>(gb * (1LL << 30));
      while (true) {
        for (int i = 0; i < 10000; ++i) j->Append(Event(static_cast<int>(events++)));
        if (j->Stats()["bytes"].get<int64_t>() >= target) break;
        (void)j->Sync();
      }
    }
    const auto start = Clock::now();
    auto j = Open(dir.path);
    const double open_ms = Seconds(start) * 1000;
    const Json s = j->Stats();
    // For scale: reading every record (what a full-scan recovery would cost).
    const auto scan_start = Clock::now();
    JournalQuery q;
    q.limit = 10000;
    int64_t read = 0;
    while (true) {
      auto batch = j->Read(q);
      if (!batch.ok() || batch->empty()) break;
      read += static_cast<int64_t>(batch->size());
      q.after_seq = batch->back().seq;
    }
    out["recovery"] = Json{{"bytes", s["bytes"]},
                           {"segments", s["segments"]},
                           {"events", events},
                           {"open_ms", std::round(open_ms * 10) / 10},
                           {"recovered_records", s["recovery"]["records"]},
                           {"full_read_s", std::round(Seconds(scan_start) * 10) / 10},
                           {"full_read_events", read}};
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
