// src/core/background_thread.h: runs one job on a thread of its own at a lower CPU priority
// and waits for it, so work nobody waits on (a fills compaction's Parquet write) yields
// both cores to the requests that are waited on.
//
// Why a fresh thread: Linux keeps the nice value per thread, and an unprivileged process
// may raise it but never lower it again (RLIMIT_NICE is 0 by default), so the thread that
// lowers itself must be one that ends with the job. Why it must hold no lock a request
// needs: a nice-19 thread gets ~1.5% of a core against one busy nice-0 thread, so a lock it
// holds while preempted is held for tens or hundreds of milliseconds (priority inversion).
// The job should touch only what it owns (its own DuckDB database, its own files).
//
// Thread-safety: RunInBackground blocks the caller until `job` returns; `job` runs on the
// new thread.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "core/thread_name.h"

namespace lakehouse {

//! Runs `job` on a new thread named `name` at nice value `nice` (1-19; 0 or less: runs `job`
//! on the caller's thread, as is) and answers what it answers. A value the kernel refuses
//! (below the thread's own) leaves the thread at the caller's priority; the job still runs.
template <class Job>
auto RunInBackground(std::string_view name, int nice, Job&& job) -> std::invoke_result_t<Job&> {
  if (nice <= 0) return job();
  std::optional<std::invoke_result_t<Job&>> out;
  std::thread t([&] {
    NameThread(pthread_self(), name);
    // setpriority on a thread id changes that thread only (not the process), on Linux.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
    out.emplace(job());
  });
  t.join();
  return std::move(*out);
}

}  // namespace lakehouse
