#include "core/clock.h"

#include <fmt/format.h>

namespace lakehouse {

int64_t SystemClock::NowMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const Clock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

// Howard Hinnant's civil-date algorithms (public domain), exact for all int64 day counts
// we care about, with no dependence on the C library's time zone state.
int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m),
                   static_cast<int>(d)};
}

static int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

CivilDate CivilDateOf(int64_t epoch_millis) {
  return CivilFromDays(FloorDiv(epoch_millis, 86400000));
}

std::string FormatRfc3339Millis(int64_t epoch_millis) {
  const int64_t days = FloorDiv(epoch_millis, 86400000);
  const int64_t ms_of_day = epoch_millis - days * 86400000;
  const CivilDate d = CivilFromDays(days);
  const int64_t h = ms_of_day / 3600000, mi = (ms_of_day / 60000) % 60, s = (ms_of_day / 1000) % 60,
                ms = ms_of_day % 1000;
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", d.year, d.month, d.day, h,
                     mi, s, ms);
}

std::string FormatDate(const CivilDate& date) {
  return fmt::format("{:04d}-{:02d}-{:02d}", date.year, date.month, date.day);
}

}  // namespace lakehouse
