// src/catalog/catalog.h: datasets, their versions (snapshots) and schemas.
//
// A dataset is a named, versioned table: an Apache Iceberg v2 table under
// `datasets/<name>/` (src/iceberg/table.h), so Spark, Trino, Flink or DuckDB read it as it
// is. Version N's Parquet parts live under `datasets/<name>/v<N>/`; version N is Iceberg
// snapshot N (snapshot id = version), and its source, quarantined rows and creation time
// ride in the snapshot's summary. The Iceberg metadata is the one truth: Open and Refresh
// read it, Commit writes it. Committing a snapshot (the atomic publish of
// `metadata/v<M>.metadata.json`) is the commit point: parts written by a version that never
// committed are invisible and cleaned up by the next writer of that dataset. Readers see
// the latest committed version; older versions stay readable (`name@vN`, and Iceberg time
// travel to snapshot N) until expired (ExpireVersions), never the current one nor one in use.
//
// Roots from before Iceberg kept one JSON manifest per dataset (`catalog/<name>.json`,
// catalog.v1); Open refuses them naming `lakehouse migrate`, which turns each into a table
// (query/iceberg_migrate.h). DatasetManifest keeps the catalog.v1 shape: it is what
// /v1/datasets answers and what migrate reads.
//
// Writers of one dataset are serialised by a per-dataset lock held by PendingVersion;
// writers of different datasets run in parallel. Listeners are called after each commit
// (the query engine refreshes its views there).
//
// In split-service mode one process (the sql service) writes the catalog; the others open
// it read-only (SetReadOnly: BeginVersion is refused naming the owner) and Follow() it:
// a thread re-reads each table's version hint every interval and reloads the tables whose
// metadata moved, calling the listeners for each dataset whose current version moved.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "iceberg/table.h"
#include "storage/object_store.h"

namespace lakehouse {

struct ColumnSchema {
  std::string name;
  std::string type;  // DuckDB type name: "VARCHAR", "BIGINT", "VARCHAR[]", ...
  bool operator==(const ColumnSchema&) const = default;
};

struct DatasetVersion {
  int64_t version = 0;
  std::string created_at;  // RFC 3339
  std::string source;      // "gen --seed 42", "ingest workers.csv (csv)"
  int64_t row_count = 0;
  int64_t quarantined_rows = 0;
  uint64_t bytes = 0;
  std::vector<std::string> files;  // object keys of the Parquet parts
  std::vector<ColumnSchema> columns;
  //! At Commit only: statistics of the parts this version adds (every key of `files` that
  //! the previous version did not have), for the Iceberg manifest.
  std::vector<iceberg::NewFile> added;

  //! True when a version of `next_files` keeps all of this one's parts first (an append).
  bool AppendedBy(const std::vector<std::string>& next_files) const;
};

struct DatasetManifest {
  std::string name;
  int64_t current_version = 0;
  std::vector<DatasetVersion> versions;  // ascending

  const DatasetVersion* Current() const;
  const DatasetVersion* Version(int64_t v) const;
  //! The durable manifest (catalog.v1).
  Json ToJson() const;
  static Result<DatasetManifest> FromJson(const Json& j);
  //! One row of GET /v1/datasets: name, current_version, versions, row_count, bytes,
  //! updated_at, columns.
  Json SummaryJson() const;
  //! GET /v1/datasets/{name}: the manifest plus the SQL views that read it.
  Json DetailJson() const;
};

Json ColumnsToJson(const std::vector<ColumnSchema>& columns);

//! The dataset of an Iceberg table as our catalog shows it: every snapshot a version.
Result<DatasetManifest> ManifestFromTable(const ObjectStore& store, const std::string& name,
                                          const iceberg::Table& table);

//! Dataset names: [a-z][a-z0-9_]{0,62}, not a DuckDB schema or system name (main, temp,
//! system, memory, information_schema, pg_catalog, pg_*, duckdb_*, sqlite_*); the error
//! says so.
Status ValidateDatasetName(const std::string& name);

class Catalog;

//! A version being written. Holds the dataset's writer lock until committed or dropped;
//! dropping it uncommitted deletes its parts.
class PendingVersion {
 public:
  PendingVersion(PendingVersion&&) noexcept;
  ~PendingVersion();
  const std::string& dataset() const { return dataset_; }
  int64_t version() const { return version_; }
  //! "datasets/<name>/v<N>/"
  std::string KeyPrefix() const;
  //! The manifest of the latest committed version, if any (for schema checks).
  const std::optional<DatasetManifest>& previous() const { return previous_; }

 private:
  friend class Catalog;
  PendingVersion(Catalog* catalog, std::string dataset, int64_t version,
                 std::optional<DatasetManifest> previous, std::unique_lock<std::mutex> lock);
  Catalog* catalog_;
  std::string dataset_;
  int64_t version_;
  std::optional<DatasetManifest> previous_;
  std::unique_lock<std::mutex> lock_;
  std::unique_ptr<iceberg::SharedCatalog::Guard> shared_lock_;  // other nodes' writers wait
  bool committed_ = false;
};

class Catalog {
 public:
  //! Loads every table under datasets/. A table whose metadata or manifests fail to read
  //! is an error naming the file (never silently skipped); so is a root still in the
  //! catalog.v1 layout (the error names `lakehouse migrate`).
  static Result<std::unique_ptr<Catalog>> Open(ObjectStore& store,
                                               const Clock& clock = SystemClock::Get());
  //! With a catalog shared by many nodes (PostgreSQL, docs/SCALE.md): tables are the ones it
  //! names (a table of the root it does not know yet is registered: a root used without
  //! one keeps its datasets), a commit publishes there (compare-and-swap) under a lock every
  //! node's writers respect, so versions stay dense, and Refresh asks it what moved.
  static Result<std::unique_ptr<Catalog>> Open(ObjectStore& store, iceberg::SharedCatalog* shared,
                                               const Clock& clock = SystemClock::Get());

  std::vector<DatasetManifest> List() const;
  Result<DatasetManifest> Get(const std::string& name) const;

  //! Starts version N+1 of `name` (creating the dataset if new); blocks while another
  //! writer of the same dataset is active.
  Result<PendingVersion> BeginVersion(const std::string& name);
  //! Publishes `meta` (files, schema, counts; version and time are filled in) as the new
  //! current version.
  Status Commit(PendingVersion& pending, DatasetVersion meta);

  //! The Iceberg schema (field ids) a version of `columns` will commit with, so its Parquet
  //! parts can carry the ids (DuckDB's FIELD_IDS); `pending` holds the writer lock, so no
  //! other commit can change them meanwhile.
  Result<iceberg::Schema> PlannedSchema(const PendingVersion& pending,
                                        const std::vector<ColumnSchema>& columns) const;

  //! Called after every commit with the dataset's new manifest.
  using Listener = std::function<void(const DatasetManifest&)>;
  void AddListener(Listener listener);

  //! Refuses writes from now on: BeginVersion answers Conflict("... `why`").
  void SetReadOnly(std::string why);
  //! Re-reads every manifest; a dataset whose current version changed (or that is new) is
  //! replaced and announced to the listeners. Returns how many changed.
  Result<size_t> Refresh();
  //! Calls Refresh every `interval` on a thread until the catalog is destroyed.
  void Follow(std::chrono::milliseconds interval);
  //! Stops the Follow thread (before what its listeners use goes away); idempotent.
  void StopFollowing();
  ~Catalog();

  ObjectStore& store() { return store_; }

  //! The Iceberg table of dataset `name` as loaded (metadata location, snapshots).
  Result<iceberg::Table> Table(const std::string& name) const;

  //! What expiry keeps: the current version always, the newest `keep_last` versions,
  //! versions younger than `keep_ms`, a version replaced less than `grace_ms` ago (a query
  //! or a roster load may still be reading it), and every version `in_use` names. With
  //! neither bound set nothing expires.
  struct Retention {
    int64_t keep_last = 0;             // 0: no bound by count
    int64_t keep_ms = 0;               // 0: no bound by age
    int64_t grace_ms = 5 * 60 * 1000;  // since the next version replaced it
    bool any() const { return keep_last > 0 || keep_ms > 0; }
  };
  //! The policy applied after every commit (config datasets.keep_versions, keep_days);
  //! default: keep every version.
  void SetRetention(Retention policy);
  //! Versions of `name` in use elsewhere (an index built from one, an export): never expired.
  using InUse = std::function<std::vector<int64_t>(const std::string& name)>;
  void SetInUse(InUse in_use);
  //! Expires the versions of `name` that `policy` does not keep: their snapshots leave
  //! the table's metadata (one atomic commit), then the files no kept version uses are
  //! deleted. Returns the expired versions.
  Result<std::vector<int64_t>> ExpireVersions(const std::string& name, const Retention& policy);
  //! ExpireVersions with the policy set by SetRetention.
  Result<std::vector<int64_t>> ExpireVersions(const std::string& name);

  //! A commit's durable steps (iceberg::CommitHook), for tests that kill a writer there.
  void SetCommitHookForTest(iceberg::CommitHook hook);

 private:
  friend class PendingVersion;
  Catalog(ObjectStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  std::mutex& WriterMutex(const std::string& name) LH_EXCLUDES(mu_);
  void Abort(PendingVersion& pending);
  //! ExpireVersions with the dataset's writer lock already held; returns the manifest after.
  Result<std::vector<int64_t>> ExpireHeld(const std::string& name, const Retention& policy,
                                          DatasetManifest* after);

  //! With a shared catalog: the other nodes' writers of `name` wait, and this node's view of
  //! it is brought up to date (listeners told) before a version is planned on it.
  Result<std::unique_ptr<iceberg::SharedCatalog::Guard>> LockShared(const std::string& name);

  ObjectStore& store_;
  const Clock& clock_;
  iceberg::SharedCatalog* shared_ = nullptr;
  mutable Mutex mu_;
  std::map<std::string, DatasetManifest> manifests_ LH_GUARDED_BY(mu_);
  std::map<std::string, iceberg::Table> tables_ LH_GUARDED_BY(mu_);
  InUse in_use_ LH_GUARDED_BY(mu_);
  Retention retention_ LH_GUARDED_BY(mu_);
  iceberg::CommitHook commit_hook_ LH_GUARDED_BY(mu_);
  // One per dataset: held by a PendingVersion from BeginVersion to Commit or Abort.
  std::map<std::string, std::unique_ptr<std::mutex>> writer_mutexes_ LH_GUARDED_BY(mu_);
  std::vector<Listener> listeners_ LH_GUARDED_BY(mu_);
  std::string read_only_why_ LH_GUARDED_BY(mu_);  // non-empty: BeginVersion is refused
  std::thread follower_;
  std::condition_variable_any follow_cv_;  // waits on mu_
  bool stopping_ LH_GUARDED_BY(mu_) = false;
};

}  // namespace lakehouse
