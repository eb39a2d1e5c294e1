// Progress and the terminal line (core/progress.h): what a person watching a long command
// sees, in a terminal and in a log.
#include "core/progress.h"

#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace lakehouse {
namespace {

std::string Drain(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return out;
}

TEST(Progress, SnapshotKnowsPercentRateAndEta) {
  Progress p;
  Progress::Snapshot s = p.Get();
  EXPECT_LT(s.Percent(), 0) << "nothing known yet";
  EXPECT_LT(s.Eta(), 0);
  p.Phase("workers", 1000, "rows");
  p.Add(250);
  p.Add(50);
  s = p.Get();
  EXPECT_EQ(s.phase, "workers");
  EXPECT_EQ(s.unit, "rows");
  EXPECT_EQ(s.done, 300);
  EXPECT_EQ(s.total, 1000);
  EXPECT_DOUBLE_EQ(s.Percent(), 30);
  // Rate and ETA from a phase that has run a known time.
  s.phase_seconds = 3;
  EXPECT_DOUBLE_EQ(s.Rate(), 100);
  EXPECT_DOUBLE_EQ(s.Eta(), 7);
  // A new phase starts again at 0 of its own total.
  p.Phase("orders", 10);
  EXPECT_EQ(p.Get().done, 0);
  EXPECT_EQ(p.Get().total, 10);
  p.Restart();
  EXPECT_EQ(p.Get().phase, "");
}

TEST(Progress, TimedWorkReportsAgainstItsPlannedDuration) {
  Progress::Snapshot s;
  s.phase = "load";
  s.unit = "scenarios";
  s.done = 5000;
  s.seconds = s.phase_seconds = 15;
  s.planned_seconds = 60;
  EXPECT_DOUBLE_EQ(s.Percent(), 25);
  EXPECT_DOUBLE_EQ(s.Eta(), 45);
  EXPECT_EQ(DescribeProgress(s), "load 5,000 scenarios 25% 333/s ETA 45s");
}

TEST(Progress, DescriptionShowsOnlyWhatIsKnown) {
  Progress::Snapshot s;
  s.phase = "indexing";
  s.unit = "workers";
  s.done = 120000;
  s.total = 500000;
  s.phase_seconds = s.seconds = 60;
  EXPECT_EQ(DescribeProgress(s), "indexing 120,000/500,000 workers 24% 2,000/s ETA 3m10s");
  s.total = 0;  // unknown total: no percent, no ETA
  EXPECT_EQ(DescribeProgress(s), "indexing 120,000 workers 2,000/s");
  s.seconds = s.phase_seconds = 0.1;  // too early for a rate
  EXPECT_EQ(DescribeProgress(s), "indexing 120,000 workers");
  s.done = 0;  // nothing counted (a save): how long it has taken
  s.phase = "saving";
  s.phase_seconds = 75;
  EXPECT_EQ(DescribeProgress(s), "saving 1m15s");
}

TEST(Progress, CancelIsSeenByTheWork) {
  Progress p;
  EXPECT_FALSE(p.cancelled());
  std::thread([&] { p.Cancel(); }).join();
  EXPECT_TRUE(p.cancelled());
}

TEST(ProgressLine, PlainModeWritesWholeLinesAndAFinalOne) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p;
  p.Phase("workers", 100);
  {
    ProgressLine line("gen", p, ProgressLine::Mode::kPlain, f, std::chrono::milliseconds(5));
    for (int i = 0; i < 100; ++i) {
      p.Add();
      if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // ~40 chances to draw
  }  // the destructor finishes the line
  const std::string out = Drain(f);
  std::fclose(f);
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no carriage returns in a log";
  EXPECT_NE(out.find("gen: workers "), std::string::npos) << out;
  EXPECT_NE(out.find("gen: done in 0s (workers 100 rows)\n"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
}

TEST(ProgressLine, TerminalModeRedrawsOneLineInPlace) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p;
  p.Phase("indexing", 4, "workers");
  ProgressLine line("index-workers", p, ProgressLine::Mode::kTerminal, f);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // one redraw at 200 ms
  p.Set(4);
  p.Cancel();
  line.Finish();
  line.Finish();  // idempotent
  const std::string out = Drain(f);
  std::fclose(f);
  EXPECT_EQ(out.front(), '\r') << out;
  // The redraw at 200 ms, when the machine let it run before the end.
  if (out.find("\rindex-workers: indexing") != std::string::npos) {
    EXPECT_NE(out.find("\rindex-workers: indexing 0/4 workers 0%"), std::string::npos) << out;
  }
  EXPECT_NE(out.find("\rindex-workers: cancelled in 0s (indexing 4 workers)"), std::string::npos)
      << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line, ended once";
}

TEST(ProgressLine, OffDrawsNothingAndTheEnvironmentChooses) {
  FILE* f = std::tmpfile();
  Progress p;
  { ProgressLine line("gen", p, ProgressLine::Mode::kOff, f); }
  EXPECT_EQ(Drain(f), "");
  std::fclose(f);
  setenv("LAKEHOUSE_PROGRESS", "off", 1);
  EXPECT_EQ(ProgressLine::DefaultMode(), ProgressLine::Mode::kOff);
  setenv("LAKEHOUSE_PROGRESS", "plain", 1);
  EXPECT_EQ(ProgressLine::DefaultMode(), ProgressLine::Mode::kPlain);
  setenv("LAKEHOUSE_PROGRESS", "tty", 1);
  EXPECT_EQ(ProgressLine::DefaultMode(), ProgressLine::Mode::kTerminal);
  unsetenv("LAKEHOUSE_PROGRESS");
}

}  // namespace
}  // namespace lakehouse
