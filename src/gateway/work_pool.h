// src/gateway/work_pool.h: a fixed set of threads with a bounded queue, one per WorkClass.
//
// The HTTP server runs every blocking handler on the pool of its route's class
// (gateway/http.h WorkClass). A pool never grows: when all its threads are busy, work
// waits in the queue, and when the queue is full TryPost refuses at once so the server can
// answer 503 with Retry-After. Refusing early is the point: a client that floods one class
// of route gets told to back off, and the other classes keep their threads.
//
// Metrics: lakehouse_http_queue_depth{class} (waiting now) and
// lakehouse_http_queue_rejected_total{class}.
//
// Thread-safety: TryPost may be called from any thread; Join from one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"

namespace lakehouse {

class Counter;
class Gauge;

class WorkPool {
 public:
  //! `threads` >= 1; `queue_capacity` tasks may wait (0: none, a task runs only when a
  //! thread is free).
  WorkPool(std::string name, size_t threads, size_t queue_capacity);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  //! Queues `task`; false (and the task is dropped) when the queue is full or the pool is
  //! joining.
  bool TryPost(std::function<void()> task);
  //! Runs what is queued, then stops the threads; idempotent.
  void Join();
  const std::string& name() const { return name_; }
  size_t threads() const { return threads_.size(); }
  size_t queue_capacity() const { return capacity_; }

 private:
  void Run();

  const std::string name_;
  const size_t capacity_;
  Gauge& depth_;
  Counter& rejected_;
  Mutex mu_;
  std::condition_variable_any cv_;  // waits on mu_
  std::deque<std::function<void()>> queue_ LH_GUARDED_BY(mu_);
  size_t idle_ LH_GUARDED_BY(mu_) = 0;
  bool stopping_ LH_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace lakehouse
