#include "core/fields.h"

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
  if (v.size() > 40 || !ParseRfc3339Millis(v))
    return Status::InvalidArgument(fmt::format(
        "field '{}' must be a date (YYYY-MM-DD) or an RFC 3339 time, got '{}'", field, v));
  return Status::OK();
}

}  // namespace lakehouse
