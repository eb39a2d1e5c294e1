#include "loadgen/stall_watch.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>

namespace lakehouse::loadgen {
namespace {
constexpr auto kPeriod = std::chrono::milliseconds(10);
constexpr size_t kListed = 50;

double Round1(double v) {
  return std::round(v * 10) / 10;
}
}  // namespace

StallWatch::StallWatch(std::chrono::milliseconds threshold) : threshold_(threshold) {
  thread_ = std::thread([this] { Run(); });
}

StallWatch::~StallWatch() {
  Stop();
}

void StallWatch::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void StallWatch::Run() {
  // The lowest real-time priority preempts every normal task; the thread sleeps all but a
  // few microseconds of each period, so it takes nothing from the load.
  sched_param p{};
  p.sched_priority = sched_get_priority_min(SCHED_FIFO);
  realtime_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto last = t0;
  while (!stop_.load()) {
    std::this_thread::sleep_for(kPeriod);
    const auto now = Clock::now();
    const double late_ms = std::chrono::duration<double, std::milli>(now - last - kPeriod).count();
    last = now;
    if (late_ms > static_cast<double>(threshold_.count()))
      stalls_.push_back(
          {std::chrono::duration<double>(now - t0).count() - late_ms / 1000, late_ms});
  }
}

Json StallWatch::Report() {
  Stop();
  double longest = 0, total = 0;
  Json listed = Json::array();
  for (const Stall& s : stalls_) {
    longest = std::max(longest, s.late_ms);
    total += s.late_ms;
    if (listed.size() < kListed)
      listed.push_back({{"at_s", Round1(s.at_s)}, {"late_ms", Round1(s.late_ms)}});
  }
  return Json{{"probe", realtime() ? "realtime" : "normal"},
              {"threshold_ms", threshold_.count()},
              {"count", stalls_.size()},
              {"longest_ms", Round1(longest)},
              {"total_ms", Round1(total)},
              {"stalls", std::move(listed)}};
}

}  // namespace lakehouse::loadgen
