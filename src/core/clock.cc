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

std::optional<int64_t> ParseRfc3339Millis(std::string_view v) {
  size_t pos = 0;
  auto digits = [&](size_t n) -> std::optional<int> {
    if (v.size() < pos + n) return std::nullopt;
    int x = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (v[i] < '0' || v[i] > '9') return std::nullopt;
      x = x * 10 + (v[i] - '0');
    }
    pos += n;
    return x;
  };
  auto expect = [&](char c) {
    if (pos < v.size() && v[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto y = digits(4);
  if (!y || !expect('-')) return std::nullopt;
  auto mo = digits(2);
  if (!mo || !expect('-')) return std::nullopt;
  auto d = digits(2);
  if (!d || *y < 1 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  const int64_t days = DaysFromCivil(*y, *mo, *d);
  const CivilDate back = CivilFromDays(days);
  if (back.year != *y || back.month != *mo || back.day != *d) return std::nullopt;
  int64_t ms = days * 86400000;
  if (pos == v.size()) return ms;
  if (!expect('T') && !expect(' ')) return std::nullopt;
  auto h = digits(2);
  if (!h || !expect(':')) return std::nullopt;
  auto mi = digits(2);
  if (!mi || !expect(':')) return std::nullopt;
  auto s = digits(2);
  if (!s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  ms += (*h * 3600 + *mi * 60 + *s) * 1000LL;
  if (expect('.')) {
    int frac_digits = 0, frac = 0;
    while (pos < v.size() && v[pos] >= '0' && v[pos] <= '9') {
      if (frac_digits < 3) frac = frac * 10 + (v[pos] - '0');
      ++frac_digits;
      ++pos;
    }
    if (frac_digits == 0 || frac_digits > 9) return std::nullopt;
    for (int i = frac_digits; i < 3; ++i) frac *= 10;
    ms += frac;
  }
  if (pos == v.size() || expect('Z') || expect('z'))
    return pos == v.size() ? std::optional(ms) : std::nullopt;
  const bool plus = expect('+');
  if (!plus && !expect('-')) return std::nullopt;
  auto oh = digits(2);
  if (!oh || !expect(':')) return std::nullopt;
  auto om = digits(2);
  if (!om || *oh > 23 || *om > 59 || pos != v.size()) return std::nullopt;
  const int64_t offset = (*oh * 60 + *om) * 60000LL;
  return plus ? ms - offset : ms + offset;
}

std::string FormatDate(const CivilDate& date) {
  return fmt::format("{:04d}-{:02d}-{:02d}", date.year, date.month, date.day);
}

}  // namespace lakehouse
