// src/iceberg/table.h: one Iceberg v2 table in an object store: its metadata, its
// snapshots' files, and the atomic commit of a new snapshot.
//
// A table lives under a key prefix ("datasets/workers"): data files anywhere below it,
// and `metadata/` holding `v<M>.metadata.json` (one per commit), `version-hint.text` (M),
// the manifest lists `snap-<id>-<uuid>.avro` and the manifests `<uuid>-m0.avro`. This is the
// layout of Iceberg's file-system ("Hadoop") tables, which icebird, Spark's hadoop
// catalog and DuckDB's iceberg_scan read directly.
//
// Commit (spec, "File System Tables"): write the manifest, then the manifest list, then
// `v<M+1>.metadata.json` with an atomic publish; that file existing IS the commit. Then
// `version-hint.text`, which is only a hint: Load reads it and walks forward while
// `v<M+1>` exists, so a process killed between the two still loads the new snapshot, and
// one killed earlier leaves only unreferenced files and the old snapshot current. Writers
// of one table are serialised by the caller (the catalog's per-dataset lock).
//
// Paths inside metadata are absolute URIs (ObjectStore::Uri); reading maps them back to
// keys by the table's recorded `location`, so a root copied elsewhere still reads.
//
// Thread-safety: free functions; callers serialise writers of one table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "iceberg/manifest.h"
#include "iceberg/schema.h"
#include "storage/object_store.h"

namespace lakehouse::iceberg {

struct Snapshot {
  int64_t id = 0;
  std::optional<int64_t> parent_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // URI
  int32_t schema_id = 0;
  std::map<std::string, std::string> summary;  // "operation", "total-records", ...

  //! A summary value as an integer; 0 when absent or not a number.
  int64_t SummaryInt(const std::string& key) const;
};

struct TableMetadata {
  std::string uuid;
  std::string location;  // URI of the table's prefix
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int32_t last_column_id = 0;
  int32_t current_schema_id = 0;
  std::vector<Schema> schemas;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> current_snapshot_id;
  std::vector<Snapshot> snapshots;                            // ascending id
  std::vector<std::pair<int64_t, int64_t>> snapshot_log;      // timestamp ms, snapshot id
  std::vector<std::pair<int64_t, std::string>> metadata_log;  // timestamp ms, file URI

  //! The table metadata JSON of format version 2 (spec, Appendix C).
  Json ToJson() const;
  static Result<TableMetadata> FromJson(const Json& j);
  const Snapshot* FindSnapshot(int64_t id) const;
  const Schema* FindSchema(int32_t id) const;
};

//! A table as loaded: its current metadata and the number M of `v<M>.metadata.json`.
struct Table {
  std::string prefix;  // "datasets/workers"
  int32_t metadata_version = 0;
  TableMetadata metadata;

  std::string MetadataKey() const;  // "<prefix>/metadata/v<M>.metadata.json"
};

//! A catalog that many writers share (Iceberg's JDBC catalog tables in PostgreSQL:
//! catalog/pg_catalog.h). It names each table's current metadata file, and publishing the
//! next one is a compare-and-swap from the file the commit started from: of two writers
//! committing on the same base, one wins and the other gets Conflict. Without one, the file
//! system's `version-hint.text` names the current file (one writer per table).
class SharedCatalog {
 public:
  virtual ~SharedCatalog() = default;
  //! Where it is, without secrets ("postgresql://host:5432/db").
  virtual std::string Describe() const = 0;
  //! Every table it knows and its current metadata URI.
  virtual Result<std::map<std::string, std::string>> Tables() = 0;
  virtual Result<std::optional<std::string>> Current(const std::string& table) = 0;
  //! Makes `next` the table's metadata if `expected` still is (nullopt: the table must not
  //! exist yet); Conflict otherwise.
  virtual Status Publish(const std::string& table, const std::optional<std::string>& expected,
                         const std::string& next) = 0;
  //! Keeps every other writer of `table`, on any node, waiting until the guard goes (or its
  //! holder dies).
  struct Guard {
    virtual ~Guard() = default;
  };
  virtual Result<std::unique_ptr<Guard>> LockTable(const std::string& table) = 0;
};

//! The table under `prefix` ("datasets/<name>"), or nullopt when it has no metadata yet;
//! with `shared`, the metadata file it names.
Result<std::optional<Table>> LoadTable(const ObjectStore& store, const std::string& prefix,
                                       SharedCatalog* shared = nullptr);
//! The metadata of `table` at its version `m` (an older `v<m>.metadata.json`).
Result<TableMetadata> LoadMetadataVersion(const ObjectStore& store, const std::string& prefix,
                                          int32_t m);

//! The live data files of `snapshot`, in manifest order. `cache` (by manifest URI) spares
//! re-reading manifests shared by several snapshots.
using ManifestCache = std::map<std::string, std::vector<ManifestEntry>>;
Result<std::vector<DataFile>> SnapshotFiles(const ObjectStore& store, const Table& table,
                                            const Snapshot& snapshot,
                                            ManifestCache* cache = nullptr);
//! The object key of a URI inside `table` (error when it lies outside the table).
Result<std::string> KeyOf(const Table& table, const std::string& uri);

//! A data file being committed: its key and its statistics by column name.
struct NewFile {
  std::string key;
  int64_t record_count = 0;
  int64_t file_size = 0;
  std::map<std::string, ColumnStats> columns;  // bounds as canonical text, see EncodeBound
};

struct NewSnapshot {
  int64_t snapshot_id = 0;  // our dataset version
  int64_t timestamp_ms = 0;
  Columns columns;
  std::vector<NewFile> added;
  bool append = false;  // the parent's files stay; otherwise they are replaced
  std::map<std::string, std::string> summary;     // extra summary keys ("lakehouse.source")
  std::map<std::string, std::string> properties;  // table properties set on creation
};

//! Called after each durable step of a commit (1: manifest, 2: manifest list, 3: metadata,
//! 4: version hint), so a test can kill the process there.
using CommitHook = std::function<void(int step)>;

//! The schema CommitSnapshot will give `columns` on top of `base`: the same field ids, so
//! data files can carry them before the commit.
Result<Schema> PlanSchema(const std::optional<Table>& base, const Columns& columns);

//! Commits `snap` on top of `base` (nullopt: creates the table). Returns the new table.
//! With `shared`, the new metadata is published there (step 3.5) before the hint: Conflict if
//! another writer's commit got there first (the metadata file written is removed).
Result<Table> CommitSnapshot(ObjectStore& store, const std::string& prefix,
                             const std::optional<Table>& base, const NewSnapshot& snap,
                             const CommitHook& hook = nullptr, SharedCatalog* shared = nullptr);

//! Writes `metadata` as the table's next metadata version (same atomic steps 3 and 4),
//! for changes that add no snapshot (expiry).
Result<Table> CommitMetadata(ObjectStore& store, const Table& base, TableMetadata metadata,
                             int64_t now_ms, SharedCatalog* shared = nullptr);

}  // namespace lakehouse::iceberg
