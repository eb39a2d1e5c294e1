// src/query/csv_scan.h: our own pass over a CSV file's records before DuckDB reads it.
//
// DuckDB's reader is fast but, given one unterminated quote, either refuses the whole file
// (near its start) or folds every following good row into one rejected value (near its
// end); and a row that is not UTF-8 comes back altered. So ingest first splits the data
// into records itself (RFC 4180: quoted fields may hold the delimiter, "" and newlines),
// and takes out the records DuckDB would mishandle:
//   - a quote that opens and never closes, or a closing quote followed by anything but a
//     delimiter or the end of the line: the record is its first line only, and scanning
//     resumes on the next line (so one bad row costs one row, wherever it is);
//   - a record that is not valid UTF-8 (kept byte for byte in quarantine).
// Every non-blank record is counted, so an ingest can prove rows in = rows landed + rows
// quarantined. Fuzzed (fuzz/parsers_fuzz.cc).
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lakehouse {

struct CsvBadRecord {
  int64_t line = 0;   // 0-based physical line where the record starts (the header is 0)
  int64_t lines = 1;  // physical lines it spans
  size_t begin = 0;   // byte range in the scanned data, newline included
  size_t end = 0;
  std::string reason;
};

struct CsvRecordScan {
  int64_t records = 0;  // non-blank records, good and bad
  std::vector<CsvBadRecord> bad;
};

//! Scans `data` (the file after its header line, which is line `first_line`).
CsvRecordScan ScanCsvRecords(std::string_view data, char delimiter, int64_t first_line = 1);

}  // namespace lakehouse
