// src/storage/s3_object_store.h: the ObjectStore of an `s3://bucket/prefix` root.
//
// The bucket is the truth; a local cache directory (Config::LocalRoot: `--cache DIR`) holds
// two kinds of copies, laid out exactly like a local root so every component works on it
// unchanged:
//  - Dataset parts (`datasets/<name>/v<N>/part-*.parquet`, immutable): fetched on demand
//    (Fetch) for DuckDB to read from local disk, written by this node kept after upload,
//    and bounded: past cache_max_bytes the least recently fetched go (a query that meets an
//    evicted part fetches it again: query/query_engine.h). Iceberg metadata is read from the
//    bucket each time (it is small and another node may have committed).
//  - Everything else (vector indexes and logs, the journal, memory and pathway logs, `_kb`,
//    evidence, exports, API keys...): a mirror. Opening the store downloads what the cache
//    lacks, but for `vectors/` (the biggest, and most processes never open it: a standby,
//    gen, sql), filled the first time LocalPath names it; Sync() (every sync_interval_ms in the
//    background, and when the store closes) uploads files that changed and deletes objects whose
//    file was removed. A big file that keeps changing (an index log) is uploaded at most every 20x
//    its last upload's time, so syncing never takes more than a twentieth of the link.
//
// Durability: a write is acknowledged once on local disk, as with a local root; it reaches
// the bucket within about one sync interval. kill -9 loses nothing (the next start uploads
// what the cache holds); losing the node's disk loses what had not yet been synced.
// Dataset commits (parts, manifests, metadata) go to the bucket before they are
// acknowledged. docs/SCALE.md has the failure modes.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/object_store.h"
#include "storage/s3_client.h"

namespace lakehouse {

//! "s3://bucket/some/prefix/" -> {"bucket", "some/prefix"}; the error names what is wrong.
Result<std::pair<std::string, std::string>> ParseS3Root(std::string_view root);

class S3ObjectStore final : public ObjectStore {
 public:
  //! Checks the bucket is reachable with these credentials (a clear 403/404/region error
  //! otherwise), then fills the cache's mirror from the bucket.
  static Result<std::unique_ptr<S3ObjectStore>> Open(const std::string& root, S3Options s3,
                                                     const ObjectStoreOptions& options);
  ~S3ObjectStore() override;

  std::string Describe() const override;
  std::string Uri(std::string_view key) const override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::filesystem::path& local_file) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<bool> Exists(std::string_view key) const override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) const override;
  Status Delete(std::string_view key) override;
  Status DeletePrefix(std::string_view prefix) override;
  Status Append(std::string_view key, std::string_view data, bool sync) override;
  Result<std::filesystem::path> LocalPath(std::string_view key) const override;
  std::filesystem::path StagingDir() const override;
  std::filesystem::path LocalRoot() const override { return cache_; }
  Status Fetch(const std::vector<std::string>& keys) const override;
  Status Sync() override;

  //! Off: the mirror is filled from the bucket but nothing in it is uploaded (a node that
  //! does not own the root's components, docs/SCALE.md). On by default.
  void SetMirrorUploads(bool on) { mirror_uploads_ = on; }
  //! Makes the mirror what the bucket holds: files that differ are fetched again and files
  //! the bucket lacks are removed (a node taking over components another node wrote).
  Status Refill();
  //! For an append-only mirrored file another node writes (`auth/keys.log` on a standby):
  //! appends to the local copy what the bucket's copy has beyond it, so readers of the file
  //! see the new records as if a local process had appended them. Nothing when the bucket's
  //! copy is not longer; Conflict when it does not start with the local bytes.
  //! Answers whether it appended anything.
  Result<bool> FollowAppends(std::string_view key);
  //! This cache's identity (a random id kept in `<cache>/.cache-id`): who owns a lease.
  std::string CacheId() const;
  S3Client& client() const { return *client_; }
  //! Bytes of dataset parts in the cache now.
  uint64_t cached_part_bytes() const;

 private:
  S3ObjectStore(std::string bucket, std::string prefix, S3Options s3,
                const ObjectStoreOptions& options);
  std::string ObjectKey(std::string_view key) const;
  Status Hydrate();
  //! Downloads the mirrored objects the cache lacks; with `bucket_wins` also those whose size
  //! differs, and removes mirrored files the bucket does not have (Refill). `under`: only
  //! keys under that folder ("vectors/"); `skip`: not those under that one (both empty with
  //! `bucket_wins`: a refill is of the whole mirror).
  Status FillMirror(bool bucket_wins, std::string_view under = "",
                    std::string_view skip = "") const;
  //! The cache's mirrored files (not datasets/, _staging/, locks, temp files), by key.
  std::vector<std::pair<std::string, std::filesystem::directory_entry>> MirroredFiles(
      std::error_code& ec) const;
  //! `force`: every changed file goes up now, however recently it went (the last sync).
  Status SyncFiles(bool force);
  void Remember(const std::string& key, uint64_t size) const LH_EXCLUDES(parts_mu_);
  void EvictLocked() const LH_REQUIRES(parts_mu_);
  void SyncLoop();

  struct Synced {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t uploaded_at_ms = 0;  // when the last upload ended
    int64_t upload_ms = 0;       // how long it took
  };

  const std::string bucket_;
  const std::string prefix_;  // without a trailing '/'; may be empty
  const std::filesystem::path cache_;
  const ObjectStoreOptions options_;
  std::unique_ptr<S3Client> client_;

  struct Part {
    uint64_t size = 0;
    uint64_t last_use = 0;  // a counter, newest highest
  };
  mutable Mutex parts_mu_;
  mutable std::map<std::string, Part> parts_ LH_GUARDED_BY(parts_mu_);  // cached parts by key
  mutable uint64_t part_bytes_ LH_GUARDED_BY(parts_mu_) = 0;
  mutable uint64_t use_clock_ LH_GUARDED_BY(parts_mu_) = 0;

  // Mutable: LocalPath fills the deferred vectors/ the first time a process asks for it.
  mutable Mutex sync_mu_;  // one Sync (or fill) at a time
  mutable std::map<std::string, Synced> synced_ LH_GUARDED_BY(sync_mu_);  // as the bucket has them
  mutable std::atomic<bool> vectors_filled_{false};

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> mirror_uploads_{true};
  std::thread loop_;
};

}  // namespace lakehouse
