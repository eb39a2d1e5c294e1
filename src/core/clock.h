// src/core/clock.h: wall-clock formatting and monotonic timing.
//
// Wire timestamps are UTC RFC 3339 with milliseconds ("2026-11-24T07:43:15.123Z"). A Clock
// interface lets tests pin time (quarantine day partitions, manifests) deterministically.
//
// Thread-safety: SystemClock is stateless; FixedClock is for single-threaded tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lakehouse {

struct CivilDate {
  int year = 1970;
  int month = 1;
  int day = 1;
};

class Clock {
 public:
  virtual ~Clock() = default;
  //! Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  //! The process-wide system clock.
  static const Clock& Get();
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t millis) : millis_(millis) {}
  int64_t NowMillis() const override { return millis_; }
  void Set(int64_t millis) { millis_ = millis; }

 private:
  int64_t millis_;
};

//! "2026-11-24T07:43:15.123Z"
std::string FormatRfc3339Millis(int64_t epoch_millis);
//! Parses "YYYY-MM-DD" (midnight UTC) or an RFC 3339 time "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|
//! -HH:MM]" (a space may stand for the T; no zone means UTC) to epoch milliseconds; nullopt
//! for anything else, including dates that do not exist (2026-02-29).
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);
//! The UTC calendar date of an instant.
CivilDate CivilDateOf(int64_t epoch_millis);
//! Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int year, int month, int day);
//! The civil date of a day number.
CivilDate CivilFromDays(int64_t days);
//! "YYYY-MM-DD"
std::string FormatDate(const CivilDate& date);

//! Microseconds elapsed on the monotonic clock since `start`.
inline int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace lakehouse
