#include "core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace lakehouse {

void Progress::Phase(std::string name, int64_t total, std::string unit) {
  MutexLock lock(mu_);
  phase_ = std::move(name);
  unit_ = std::move(unit);
  phase_start_ = Clock::now();
  done_ = 0;
  total_ = total;
}

void Progress::Restart() {
  MutexLock lock(mu_);
  start_ = phase_start_ = Clock::now();
  phase_.clear();
  done_ = 0;
  total_ = 0;
}

Progress::Snapshot Progress::Get() const {
  Snapshot s;
  const auto now = Clock::now();
  {
    MutexLock lock(mu_);
    s.phase = phase_;
    s.unit = unit_;
    s.phase_seconds = std::chrono::duration<double>(now - phase_start_).count();
    s.seconds = std::chrono::duration<double>(now - start_).count();
  }
  s.done = done_.load(std::memory_order_relaxed);
  s.total = total_.load(std::memory_order_relaxed);
  s.planned_seconds = static_cast<double>(planned_ms_.load()) / 1000;
  return s;
}

double Progress::Snapshot::Percent() const {
  if (planned_seconds > 0) return std::min(100.0, 100 * seconds / planned_seconds);
  if (total <= 0) return -1;
  return std::min(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total));
}

double Progress::Snapshot::Rate() const {
  return phase_seconds > 0 ? static_cast<double>(done) / phase_seconds : 0;
}

double Progress::Snapshot::Eta() const {
  if (planned_seconds > 0) return std::max(0.0, planned_seconds - seconds);
  const double rate = Rate();
  if (total <= 0 || rate <= 0 || done <= 0) return -1;
  return static_cast<double>(std::max<int64_t>(0, total - done)) / rate;
}

namespace {

// 1234567 -> "1,234,567": counts a person reads at a glance.
std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

std::string DescribeProgress(const Progress::Snapshot& s) {
  std::string line = s.phase.empty() ? "starting" : s.phase;
  if (s.total <= 0 && s.done == 0 && s.planned_seconds <= 0)  // nothing counted: how long
    return line + " " + Duration(s.phase_seconds);
  line += " " + Grouped(s.done);
  if (s.total > 0) line += "/" + Grouped(s.total);
  line += " " + s.unit;
  if (const double p = s.Percent(); p >= 0) line += fmt::format(" {:.0f}%", std::floor(p));
  if (s.phase_seconds >= 0.5 && s.done > 0)
    line += fmt::format(" {}/s", Grouped(std::llround(s.Rate())));
  if (const double eta = s.Eta(); eta >= 0 && s.seconds >= 1) line += " ETA " + Duration(eta);
  return line;
}

ProgressLine::Mode ProgressLine::DefaultMode() {
  if (const char* v = std::getenv("LAKEHOUSE_PROGRESS"); v != nullptr && *v != '\0') {
    const std::string_view m(v);
    if (m == "off" || m == "0" || m == "false") return Mode::kOff;
    if (m == "plain") return Mode::kPlain;
    if (m == "tty" || m == "terminal") return Mode::kTerminal;
  }
  return isatty(STDERR_FILENO) ? Mode::kTerminal : Mode::kPlain;
}

ProgressLine::ProgressLine(std::string task, const Progress& progress, Mode mode, FILE* out,
                           std::chrono::milliseconds plain_every)
    : task_(std::move(task)), progress_(progress), mode_(mode), out_(out), every_(plain_every) {
  if (mode_ == Mode::kOff) return;
  const auto period = mode_ == Mode::kTerminal ? std::chrono::milliseconds(200)
                                               : std::max(every_, std::chrono::milliseconds(1));
  drawer_ = std::thread([this, period] {
    while (true) {
      {
        MutexLock lock(mu_);
        if (cv_.wait_for(mu_, period, [this]() LH_REQUIRES(mu_) { return stop_; })) return;
      }
      Draw(/*final=*/false);
    }
  });
}

void ProgressLine::Draw(bool final) {
  const Progress::Snapshot s = progress_.Get();
  std::string line = task_ + ": " + DescribeProgress(s);
  if (final) {
    line =
        fmt::format("{}: {} in {} ({} {} {})", task_, progress_.cancelled() ? "cancelled" : "done",
                    Duration(s.seconds), s.phase, Grouped(s.done), s.unit);
  }
  if (mode_ == Mode::kTerminal) {
    // Redrawn in place: carriage return, the line, blanks over what a longer one left.
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    std::fprintf(out_, "\r%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void ProgressLine::Finish() {
  if (mode_ == Mode::kOff) return;
  {
    MutexLock lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (drawer_.joinable()) drawer_.join();
  Draw(/*final=*/true);
}

}  // namespace lakehouse
