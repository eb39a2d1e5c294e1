// src/storage/record_log.h: the durable record format of every log we own (doc: docs/FORMATS.md).
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
#include <memory>
#include <string>
#include <string_view>

#include "core/file_io.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace lakehouse {

//! Appends one framed record to `out`.
void AppendRecord(std::string& out, std::string_view body);

struct LogReadResult {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;  // offset just past the last good record
  bool torn_tail = false;    // bytes after valid_bytes were ignored
};

//! Parses every intact record of `data`, calling `fn` per body (the file-free core of
//! ReadRecords; fuzzed by fuzz/parsers_fuzz.cc, case 0).
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

//! Writes all of `bytes` to `fd` (opened O_APPEND), not synced; when a write fails the file
//! is cut back to `restore` bytes, so it still ends on a record boundary.
Status AppendOrCut(int fd, std::string_view bytes, uint64_t restore, const std::string& path);

//! Appends bytes to `path` and fdatasyncs: durable on return. (TruncateFile and
//! WriteFileAtomically, for recovery and snapshots, are in core/file_io.h.)
Status AppendDurably(const std::string& path, std::string_view bytes);

//! A record log that several processes append to (split-service mode, server/topology.h):
//! every append and every catch-up read holds flock(2) on the file (exclusive to append
//! or recover, shared to read), so a reader never sees half a record, a recovering opener
//! never cuts another process's append, and each appender first applies what the others
//! appended, so derived state (a trace's next version) is computed from the whole log.
//! Not thread-safe but for SyncThrough: the owning store serialises the other calls with
//! its own mutex.
class SharedRecordLog {
 public:
  using Apply = std::function<Status(std::string_view)>;
  //! Opens `path` (created if missing), recovers it like RecoverRecords (under the
  //! exclusive lock) and applies every record.
  static Result<std::unique_ptr<SharedRecordLog>> Open(const std::string& path,
                                                       std::string_view owner, const Apply& apply);
  ~SharedRecordLog();
  SharedRecordLog(const SharedRecordLog&) = delete;
  SharedRecordLog& operator=(const SharedRecordLog&) = delete;

  //! Applies the records other processes appended since the last call (one fstat when
  //! there are none).
  Status CatchUp(const Apply& apply);
  //! Under the exclusive lock: catches up, asks `make` for the body (built from the
  //! caught-up state), appends it, then applies it; answers the offset the record ends at.
  //! Not durable yet: call SyncThrough(that offset) before acknowledging it, without the
  //! owner's mutex, so that concurrent appenders share one fdatasync (group commit). A
  //! failed write is cut back; a failed sync is returned by SyncThrough.
  Result<uint64_t> Append(const Apply& apply, const std::function<Result<std::string>()>& make);
  //! Durable through `offset` on return: one fdatasync, unless one that started after that
  //! offset was written already covered it. Thread-safe.
  Status SyncThrough(uint64_t offset) LH_EXCLUDES(sync_mu_);
  //! fdatasyncs this handle issued (fewer than the appends when they were shared).
  uint64_t syncs() const LH_EXCLUDES(sync_mu_);

 private:
  SharedRecordLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status ReadNew(const Apply& apply);  // call with the lock held
  std::string path_;
  int fd_;
  uint64_t applied_ = 0;  // bytes of the file applied so far
  mutable Mutex sync_mu_;
  uint64_t synced_ LH_GUARDED_BY(sync_mu_) = 0;  // bytes known durable
  uint64_t syncs_ LH_GUARDED_BY(sync_mu_) = 0;
};

}  // namespace lakehouse
