// The loadgen's stall watch sees the machine stop: the whole process is stopped (SIGSTOP from
// a child, SIGCONT 200 ms later), which is what a host taking the CPUs looks like from inside.
#include "loadgen/stall_watch.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace lakehouse::loadgen {
namespace {

TEST(StallWatch, AStoppedProcessIsAStallOfAtLeastItsLength) {
  StallWatch watch(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const pid_t parent = getpid();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    kill(parent, SIGSTOP);
    usleep(200 * 1000);
    kill(parent, SIGCONT);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const Json r = watch.Report();
  ASSERT_GE(r["count"].get<int64_t>(), 1) << r.dump();
  EXPECT_GE(r["longest_ms"].get<double>(), 150) << r.dump();
  EXPECT_LE(r["longest_ms"].get<double>(), 5000) << r.dump();
  // It began after the 100 ms the watch ran first.
  bool found = false;
  for (const StallWatch::Stall& s : watch.stalls())
    if (s.late_ms >= 150) found = s.at_s >= 0.09;
  EXPECT_TRUE(found) << r.dump();
  EXPECT_EQ(r["probe"], watch.realtime() ? "realtime" : "normal");
  EXPECT_EQ(r["threshold_ms"], 50);
  EXPECT_EQ(r["stalls"].size(), watch.stalls().size());
}

TEST(StallWatch, AnIdleWatchStopsAtOnceAndReportsItsProbe) {
  StallWatch watch(std::chrono::milliseconds(1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto t0 = std::chrono::steady_clock::now();
  const Json r = watch.Report();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(r["count"], 0) << r.dump();
  EXPECT_EQ(r["total_ms"], 0.0);
  EXPECT_TRUE(r["probe"] == "realtime" || r["probe"] == "normal") << r.dump();
  watch.Stop();  // again: a no-op
}

}  // namespace
}  // namespace lakehouse::loadgen
