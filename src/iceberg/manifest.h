// src/iceberg/manifest.h: Iceberg v2 manifests and manifest lists, as Avro files.
//
// A snapshot of an Iceberg table names a manifest list; the list names manifests; each
// manifest lists data files with their statistics (record count, size, per column: values,
// nulls, bytes, lower and upper bounds), which is what lets Spark, Trino or DuckDB skip
// files without opening them. Both are Avro object container files whose schemas and field
// ids are fixed by the Iceberg spec (Appendix A and "Manifests"); they are written here
// with libavro encoding the records and our own container framing, because libavro's file
// writer drops the schema's `field-id` attributes and cannot add the key/value metadata
// (`schema`, `partition-spec`, `format-version`, `content`) a manifest must carry. Read back
// with libavro's file reader, by field name.
//
// Our tables are unpartitioned and hold data files only (no delete files).
//
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakehouse::iceberg {

//! One column's statistics in one data file, keyed by field id in DataFile.
struct ColumnStats {
  int64_t values = -1;                      // including nulls; -1: unknown
  int64_t nulls = -1;                       // -1: unknown
  int64_t bytes = 0;                        // compressed bytes on disk; 0: unknown
  std::optional<std::string> lower, upper;  // Iceberg single-value serialization
};

//! A Parquet file of the table.
struct DataFile {
  std::string path;  // full URI ("file:/root/datasets/workers/v3/part-0.parquet")
  int64_t record_count = 0;
  int64_t file_size = 0;
  std::map<int32_t, ColumnStats> columns;  // by field id
};

enum class EntryStatus : int32_t { kExisting = 0, kAdded = 1, kDeleted = 2 };

struct ManifestEntry {
  EntryStatus status = EntryStatus::kAdded;
  //! Null for files added by the snapshot that writes the manifest: inherited from the
  //! manifest list (the spec's sequence number inheritance).
  std::optional<int64_t> snapshot_id, sequence_number, file_sequence_number;
  DataFile file;
};

//! One row of a manifest list.
struct ManifestFile {
  std::string path;
  int64_t length = 0;
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int32_t added_files = 0, existing_files = 0, deleted_files = 0;
  int64_t added_rows = 0, existing_rows = 0, deleted_rows = 0;
};

//! A manifest of `entries`; `table_schema_json` is the table's current schema (the spec
//! asks for it in the file's metadata), `schema_id` its id.
Result<std::string> WriteManifest(const std::vector<ManifestEntry>& entries,
                                  const std::string& table_schema_json, int32_t schema_id);
//! The entries of a manifest, sequence numbers and snapshot ids inherited from `owner`
//! (its row in the manifest list) where null.
Result<std::vector<ManifestEntry>> ReadManifest(std::string_view bytes, const ManifestFile& owner);

//! A manifest list of `manifests` for snapshot `snapshot_id`.
Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests,
                                      int64_t snapshot_id, std::optional<int64_t> parent_id,
                                      int64_t sequence_number);
Result<std::vector<ManifestFile>> ReadManifestList(std::string_view bytes);

//! A manifest list row for a manifest of `entries` written at `path` (`length` bytes) by
//! snapshot `snapshot_id` with sequence number `sequence_number`.
ManifestFile Summarize(const std::vector<ManifestEntry>& entries, std::string path, int64_t length,
                       int64_t snapshot_id, int64_t sequence_number);

}  // namespace lakehouse::iceberg
