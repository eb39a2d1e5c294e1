#include "query/csv_scan.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text.h"

namespace lakehouse {
namespace {

bool IsBlankLine(std::string_view data, size_t pos) {
  return data[pos] == '\n' ||
         (data[pos] == '\r' && (pos + 1 == data.size() || data[pos + 1] == '\n'));
}

size_t LineEnd(std::string_view data, size_t pos) {
  const size_t nl = data.find('\n', pos);
  return nl == std::string_view::npos ? data.size() : nl + 1;
}

}  // namespace

CsvRecordScan ScanCsvRecords(std::string_view data, char delimiter, int64_t first_line) {
  CsvRecordScan out;
  size_t pos = 0;
  int64_t line = first_line;
  while (pos < data.size()) {
    if (IsBlankLine(data, pos)) {
      pos = LineEnd(data, pos);
      ++line;
      continue;
    }
    const size_t begin = pos;
    bool in_quotes = false;
    bool field_start = true;
    int64_t newlines = 0;
    std::string reason;
    size_t i = pos;
    size_t end = data.size();
    while (i < data.size()) {
      const char c = data[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < data.size() && data[i + 1] == '"') {
            i += 2;
            continue;
          }
          in_quotes = false;
          ++i;
          if (i < data.size() && data[i] != delimiter && data[i] != '\r' && data[i] != '\n') {
            const char after = data[i];
            reason = fmt::format(
                "malformed quoting: a closing quote is followed by '{}' instead of the delimiter "
                "or the end of the line",
                static_cast<unsigned char>(after) < 0x20 ||
                        static_cast<unsigned char>(after) >= 0x7F
                    ? std::string("\\x") + fmt::format("{:02x}", static_cast<unsigned char>(after))
                    : std::string(1, after));
            break;
          }
          continue;
        }
        if (c == '\n') ++newlines;
        ++i;
        continue;
      }
      if (c == '"' && field_start) {
        in_quotes = true;
        field_start = false;
      } else if (c == delimiter) {
        field_start = true;
      } else if (c == '\n') {
        end = i + 1;
        break;
      } else if (c != '\r') {
        field_start = false;
      }
      ++i;
    }
    if (reason.empty() && in_quotes)
      reason = "unterminated quoted field: a '\"' opened in this row is never closed";
    ++out.records;
    if (!reason.empty()) {
      // Only the record's first line is bad; the next line starts a record of its own.
      CsvBadRecord bad;
      bad.line = line;
      bad.begin = begin;
      bad.end = LineEnd(data, begin);
      bad.reason = std::move(reason);
      out.bad.push_back(std::move(bad));
      pos = out.bad.back().end;
      ++line;
      continue;
    }
    if (!IsValidUtf8(data.substr(begin, end - begin))) {
      CsvBadRecord bad;
      bad.line = line;
      bad.lines = newlines + 1;
      bad.begin = begin;
      bad.end = end;
      bad.reason = "the row is not valid UTF-8 (kept byte for byte, base64)";
      out.bad.push_back(std::move(bad));
    }
    pos = end;
    line += newlines + 1;
  }
  return out;
}

}  // namespace lakehouse
