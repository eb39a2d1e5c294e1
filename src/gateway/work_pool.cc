#include "gateway/work_pool.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/thread_name.h"

namespace lakehouse {

WorkPool::WorkPool(std::string name, size_t threads, size_t queue_capacity)
    : name_(std::move(name)),
      capacity_(queue_capacity),
      depth_(MetricsRegistry::Global().GetGauge("lakehouse_http_queue_depth",
                                                "Requests waiting for a worker thread, by class",
                                                {"class"}, {name_})),
      rejected_(MetricsRegistry::Global().GetCounter(
          "lakehouse_http_queue_rejected_total",
          "Requests refused with 503 because their class's queue was full", {"class"}, {name_})) {
  threads_.reserve(std::max<size_t>(1, threads));
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this] { Run(); });
    NameThread(threads_.back(), fmt::format("{}-{}", name_, i));  // "query-2"
  }
}

WorkPool::~WorkPool() {
  Join();
}

bool WorkPool::TryPost(std::function<void()> task) {
  {
    MutexLock lock(mu_);
    // A free thread takes the task at once; otherwise it waits if there is room.
    if (stopping_ || queue_.size() >= capacity_ + idle_) {
      rejected_.Inc();
      return false;
    }
    queue_.push_back(std::move(task));
    depth_.Set(static_cast<int64_t>(queue_.size()));
  }
  cv_.notify_one();
  return true;
}

void WorkPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      MutexLock lock(mu_);
      ++idle_;
      cv_.wait(mu_, [this]() LH_REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      depth_.Set(static_cast<int64_t>(queue_.size()));
    }
    task();
  }
}

void WorkPool::Join() {
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace lakehouse
