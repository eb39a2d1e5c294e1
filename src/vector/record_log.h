// src/vector/record_log.h: the side store's durable record format (doc: docs/FORMATS.md).
//
// A log file is a sequence of records:
//   length   u32 little-endian   bytes of `body`
//   crc      u32 little-endian   CRC-32C of `body`
//   body     `length` bytes
// A reader stops at the first record that is short or fails its checksum (a torn tail
// after a crash): everything before it is returned, and the caller truncates the file
// there so the next append starts clean.
//
// Thread-safety: none; the owning index serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/file_io.h"
#include "core/status.h"

namespace lakehouse {

//! Appends one framed record to `out`.
void AppendRecord(std::string& out, std::string_view body);

struct LogReadResult {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;  // offset just past the last good record
  bool torn_tail = false;    // bytes after valid_bytes were ignored
};

//! Parses every intact record of `data`, calling `fn` per body (the file-free core of
//! ReadRecords; fuzzed by fuzz/record_log_fuzz.cc).
Result<LogReadResult> ParseRecords(std::string_view data,
                                   const std::function<Status(std::string_view)>& fn);

//! Reads every intact record of `path` (a missing file is empty), calling `fn` per body.
//! A non-OK status from `fn` stops the read and is returned.
Result<LogReadResult> ReadRecords(const std::string& path,
                                  const std::function<Status(std::string_view)>& fn);

//! ReadRecords, then the recovery step every owner of a log needs after a crash: a torn
//! tail (an append that was never acknowledged) is logged naming `owner` and cut, so the
//! next append starts on a record boundary.
Result<LogReadResult> RecoverRecords(const std::string& path, std::string_view owner,
                                     const std::function<Status(std::string_view)>& fn);

//! Appends bytes to `path` and fdatasyncs: durable on return. (TruncateFile and
//! WriteFileAtomically, for recovery and snapshots, are in core/file_io.h.)
Status AppendDurably(const std::string& path, std::string_view bytes);

}  // namespace lakehouse
