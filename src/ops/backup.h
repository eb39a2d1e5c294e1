// src/ops/backup.h: a consistent copy of a root, taken while a server runs on it, and its
// restore into a new root.
//
// Why it is consistent without stopping anyone: every file under a root is one of three
// kinds. Immutable files (Parquet parts) never change. Logs are only appended to, in whole
// framed records or lines. Everything else (catalog manifests, snapshots, graphs, specs) is
// replaced whole by rename (core/file_io.h), never rewritten in place. So a backup first
// lists every file with its size and inode in one quick pass (the moment the backup is
// "of", T0); then copies each file from an open descriptor: a log up to its T0 size (the
// records appended since belong to after T0), any other file whole, provided it is still
// the T0 inode (a file replaced or removed since T0 starts the copy again, up to three
// times). What lands is the root as it was at T0: what a kill -9 at T0 would have left,
// which every component recovers from (tests kill -9 each of them).
//
// Layout of a backup directory: files/<path in the root> and backup.json (schema
// lakehouse_backup.v1: taken_at, source root, lakehouse version, and each file's path,
// bytes, mode and CRC-32C). backup.json is written last and the directory appears by a
// rename, so a backup that exists is complete. Restore checks every byte against it before
// the new root appears (again by a rename).
//
// Not copied: lock files (*.lock: they name a live process), temp files of writes in
// flight (*.tmp, *.tmp-*), uploads in flight (_staging/).
#pragma once

#include <filesystem>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"

namespace lakehouse::ops {

struct BackupOptions {
  std::filesystem::path root;
  std::filesystem::path dest;  // must not exist (or be empty), nor be inside root
  Progress* progress = nullptr;
  int attempts = 3;  // copies started again when a file is replaced meanwhile
};

//! Answers {dest, taken_at, files, bytes, attempts, elapsed_ms}.
Result<Json> Backup(const BackupOptions& options);

struct RestoreOptions {
  std::filesystem::path from;  // a backup directory
  std::filesystem::path root;  // must not exist (or be empty)
  Progress* progress = nullptr;
};

//! Answers {root, taken_at, files, bytes, elapsed_ms}. A damaged backup (a file missing,
//! short or failing its CRC) is refused naming the file, and no root appears.
Result<Json> Restore(const RestoreOptions& options);

}  // namespace lakehouse::ops
