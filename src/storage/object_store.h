// src/storage/object_store.h: where every byte the lakehouse keeps is stored.
//
// An ObjectStore maps keys ("datasets/workers/v3/part-0.parquet", "catalog/workers.json")
// to immutable-once-written objects plus append-only logs. The local backend (default) is
// a directory; the S3-compatible backend (`s3://bucket/prefix`, s3_object_store.h)
// implements the same interface over a bucket and a local cache, so callers never branch
// on the backend.
//
// Components that keep their own files (vector indexes, the journal, memory logs) work in
// LocalPath(dir): for a local root that is the root; for an S3 root a local mirror that
// Sync() uploads (and opening the store fills from the bucket).
//
// Guarantees:
//  - Put/PutFile are atomic: a reader sees the old object or the new one, never a torn one
//    (local: write to a temp file, fsync, rename, fsync the directory).
//  - Append adds whole records at the end of a log object; with `sync` it is durable on
//    return.
//  - Keys are validated: relative, '/'-separated, no empty, "." or ".." segments, no NUL or
//    backslash. A bad key is InvalidArgument, so no caller can escape the root.
//
// Thread-safety: implementations are safe for concurrent use; two writers of the same key
// race and the last rename wins (the catalog serialises writers per dataset).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"

namespace lakehouse {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  //! "local:/abs/path/to/data"
  virtual std::string Describe() const = 0;
  //! The URI other engines open `key` by ("file:///abs/path/to/data/<key>"); Iceberg
  //! metadata names files this way.
  virtual std::string Uri(std::string_view key) const = 0;
  //! Atomically replaces the object at `key` with `data`.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  //! Atomically publishes a finished local file (written under StagingDir()) as `key`;
  //! the file is consumed.
  virtual Status PutFile(std::string_view key, const std::filesystem::path& local_file) = 0;
  virtual Result<std::string> Get(std::string_view key) const = 0;
  virtual Result<bool> Exists(std::string_view key) const = 0;
  //! Objects whose key starts with `prefix`, sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) const = 0;
  //! Removes one object; absent is not an error.
  virtual Status Delete(std::string_view key) = 0;
  //! Removes every object under `prefix` (a directory-like prefix ending in '/').
  virtual Status DeletePrefix(std::string_view prefix) = 0;
  //! Appends `data` to the log object at `key`, creating it; fsyncs when `sync`.
  virtual Status Append(std::string_view key, std::string_view data, bool sync) = 0;
  //! Where `key` (an object or a directory-like prefix) lives on local disk: the file itself
  //! for a local root; its cached copy for a remote one (Fetch objects before reading them).
  virtual Result<std::filesystem::path> LocalPath(std::string_view key) const = 0;
  //! The local directory LocalPath maps keys under.
  virtual std::filesystem::path LocalRoot() const = 0;
  //! Makes sure every object of `keys` is at its LocalPath (remote: downloads the missing
  //! ones). Local: nothing to do.
  virtual Status Fetch(const std::vector<std::string>& keys) const = 0;
  //! Publishes what components wrote under LocalRoot() (remote: uploads changed files and
  //! deletes objects whose file was removed). Local: nothing to do.
  virtual Status Sync() = 0;
  //! A local directory for files about to be published with PutFile; same file system.
  virtual std::filesystem::path StagingDir() const = 0;
};

//! Checks a key's shape; the error names the key and the rule it broke.
Status ValidateKey(std::string_view key);

struct ObjectStoreOptions {
  std::filesystem::path cache_dir;         // remote roots: the local copy (Config::LocalRoot)
  uint64_t cache_max_bytes = 20ULL << 30;  // remote roots: dataset parts kept locally
  int64_t sync_interval_ms = 1000;         // remote roots: background Sync(); 0: only on demand
};

//! Opens the store for a data root: a directory path (created if missing), or
//! `s3://bucket/prefix` (credentials and endpoint from the AWS_* environment variables).
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& root,
                                                     const ObjectStoreOptions& options = {});
//! The store of `config.root`, with the cache settings of `config` ([storage]).
Result<std::unique_ptr<ObjectStore>> OpenRootStore(const Config& config);

}  // namespace lakehouse
