// src/distill/receipts.h: what every pipeline step leaves behind, and the files it shares.
//
// Each run of a step writes one receipt, `_receipts/<step>/<started_at>-<rand>.json`
// (receipt.v1): when it ran, how long, its inputs (path, bytes, a hash), its outputs
// (path, bytes, sha256 or crc32c, lines added) and its counts, and `previous`: the path and
// SHA-256 of the newest receipt before it (any step), so receipts form a hash chain and an
// edited receipt breaks the next one's link (audit A26). The audit reads the latest receipt
// of each step; an operator reads them to see what a run did.
//
// Thread-safety: free functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"

namespace lakehouse::distill {

namespace fs = std::filesystem;

struct StepTimer {
  int64_t started_millis = SystemClock::Get().NowMillis();
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
};

//! Writes the receipt {schema, step, started_at, finished_at, duration_ms, ...body} and
//! returns its path.
Result<std::string> WriteReceipt(const fs::path& root, std::string_view step,
                                 const StepTimer& timer, const Json& body);
//! The newest receipt of `step` (by name, which starts with the time), or null.
Json LatestReceipt(const fs::path& root, std::string_view step);

//! Every file named `<name>` under `dir` (recursively), sorted by path; [] when `dir` is
//! missing. The evidence and scored trees are day-partitioned: YYYY/MM/DD/<source>.jsonl.
std::vector<fs::path> FilesNamed(const fs::path& dir, std::string_view name);
//! Every `*.jsonl` under `dir`, sorted by path.
std::vector<fs::path> JsonlFiles(const fs::path& dir);
//! `path` relative to `root`, with '/' separators.
std::string RelPath(const fs::path& root, const fs::path& path);
//! SHA-256 (hex) of a file's bytes, streamed.
Result<std::string> FileSha256(const fs::path& path);
//! CRC-32C of a file's first `bytes` bytes (all when -1), streamed.
Result<uint32_t> FileCrc32c(const fs::path& path, int64_t bytes = -1);
//! A file written whole or not at all: lines go to `<path>.tmp`, Commit() fsyncs and renames
//! it over `path` (then fsyncs the directory). Destroyed uncommitted: the temp is removed.
//! Outputs rewritten by a step (scores, exports) use it, so a crash leaves the old file.
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  Status Open(const fs::path& path);
  Status Append(std::string_view bytes);
  Status Commit();
  int64_t lines() const { return lines_; }

 private:
  fs::path path_, tmp_;
  std::FILE* file_ = nullptr;
  int64_t lines_ = 0;
};

//! {path, bytes, sha256, lines} of an output file.
Result<Json> DescribeOutput(const fs::path& root, const fs::path& path);

}  // namespace lakehouse::distill
