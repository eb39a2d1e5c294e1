#include "memory/fields.h"

#include <fmt/format.h>

#include "core/clock.h"

namespace lakehouse {
namespace {

bool Blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

Status CheckText(std::string_view field, std::string_view value, size_t max_len) {
  if (Blank(value))
    return Status::InvalidArgument(fmt::format("field '{}' must not be empty", field));
  if (value.size() > max_len)
    return Status::InvalidArgument(
        fmt::format("field '{}' is {} bytes; the limit is {}", field, value.size(), max_len));
  return Status::OK();
}

Status CheckLabel(std::string_view field, std::string_view value, size_t max_len) {
  LH_RETURN_IF_ERROR(CheckText(field, value, max_len));
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      return Status::InvalidArgument(
          fmt::format("field '{}' must be one line without control characters", field));
  return Status::OK();
}

Status CheckTimestamp(std::string_view field, std::string_view v) {
  auto digits = [&](size_t at, size_t n) {
    if (v.size() < at + n) return -1;
    int x = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (v[i] < '0' || v[i] > '9') return -1;
      x = x * 10 + (v[i] - '0');
    }
    return x;
  };
  const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  bool ok = v.size() >= 10 && v[4] == '-' && v[7] == '-' && y >= 1900 && m >= 1 && m <= 12 &&
            d >= 1 && d <= 31;
  if (ok && d > 28) {
    // The day exists in that month: it maps back to itself.
    const CivilDate back = CivilFromDays(DaysFromCivil(y, m, d));
    ok = back.day == d;
  }
  if (ok && v.size() > 10) ok = (v[10] == 'T' || v[10] == ' ') && v.size() <= 40;
  if (!ok)
    return Status::InvalidArgument(fmt::format(
        "field '{}' must be a date (YYYY-MM-DD) or an RFC 3339 time, got '{}'", field, v));
  return Status::OK();
}

}  // namespace lakehouse
