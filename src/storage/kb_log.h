// src/storage/kb_log.h: the raw, append-only `_kb/<source>.jsonl` logs.
//
// Every validate, iterate and chat call, retrieval, playbook, pathway step, commit, claim
// and feedback appends one JSON line here (storage/kb_sources.h lists the sources); the
// journal turns each line into an event and the distillation pipeline reads these files as
// its sources (docs/KB.md lists each source's fields). A line is written with one write(2) on a
// file opened O_APPEND, so concurrent appenders (threads, or split-service processes on one root)
// never interleave inside a line. Durability: the page cache, not an fsync per line (these are
// observations, not the system of record); Sync() fsyncs every open log and runs at shutdown.
//
// Thread-safety: Append may be called concurrently.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/kb_sources.h"

namespace lakehouse {

class KbLog {
 public:
  //! `dir` is `<root>/_kb`; created on the first append.
  explicit KbLog(std::filesystem::path dir);
  ~KbLog();
  KbLog(const KbLog&) = delete;
  KbLog& operator=(const KbLog&) = delete;

  //! Appends `record` as one line to `<dir>/<source name>.jsonl`. Failures are logged and
  //! counted (lakehouse_kb_append_errors_total), never thrown into the request.
  void Append(KbSource source, const Json& record);
  //! Called after each append with the source and the record (the journal turns them into
  //! events). Set once before concurrent use; must not block.
  void SetListener(std::function<void(KbSource source, const Json& record)> listener) {
    listener_ = std::move(listener);
  }
  //! fsyncs every log opened so far.
  Status Sync() LH_EXCLUDES(mu_);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  Result<int> Fd(KbSource source) LH_EXCLUDES(mu_);

  std::filesystem::path dir_;
  Mutex mu_;
  std::array<int, kKbSourceCount> fds_ LH_GUARDED_BY(mu_);  // -1: not opened yet
  std::function<void(KbSource, const Json&)> listener_;
};

}  // namespace lakehouse
