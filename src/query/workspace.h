// src/query/workspace.h: the private DuckDB instance that writes datasets.
//
// Kept apart from the QueryEngine's locked-down database on purpose: writing Parquet and
// reading staged uploads needs file access that user SQL must never have. Only our own
// statements run here. Publishing a version: COPY the rows to Parquet parts in the staging
// directory, read back row count and schema, move the parts under the version's key
// prefix, and commit the catalog manifest (the commit point).
//
// DatasetWriter appends typed rows (the generator's path); Ingestor (ingest.h) reads files.
//
// Thread-safety: a Workspace may be shared; a DatasetWriter is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "storage/object_store.h"

namespace lakehouse {
namespace duck {
class Database;
class Connection;
}  // namespace duck

struct WorkspaceOptions {
  int64_t threads = 0;                    // 0: DuckDB default
  std::string memory_limit;               // empty: DuckDB default
  int64_t part_size_bytes = 256LL << 20;  // Parquet parts are split near this size
  //! Where DuckDB spills, under the store's staging directory: one per workspace open at a
  //! time (DuckDB names its spill files alike in every database, and a database that
  //! created the directory removes it when it closes).
  std::string spill_dir = "duckdb_tmp";
};

class Workspace {
 public:
  static Result<std::unique_ptr<Workspace>> Open(ObjectStore& store, Catalog& catalog,
                                                 const WorkspaceOptions& options = {});
  ~Workspace();

  ObjectStore& store() { return store_; }
  Catalog& catalog() { return catalog_; }
  duck::Database& db() { return *db_; }
  //! A new local path in the staging directory ("<staging>/<prefix>-<random><suffix>").
  std::string StagingPath(std::string_view prefix, std::string_view suffix) const;

  struct PublishSpec {
    std::string select_sql;  // the rows, run on the caller's connection
    std::string source;      // recorded in the manifest
    //! Runs after the rows are written (a scan may reject rows as it reads) and before the
    //! commit; its count is recorded in the manifest. Null: 0.
    std::function<Result<int64_t>()> count_quarantined;
    //! Append: the new version is this version's parts plus the new ones (parts are
    //! immutable, so they are shared, not copied). The schemas must be equal.
    const DatasetVersion* append_to = nullptr;
  };
  //! Writes the rows as the pending version and commits it (WriteParts, then CommitParts).
  Result<DatasetVersion> Publish(duck::Connection& conn, PendingVersion& pending,
                                 const PublishSpec& spec);
  //! Publish's heavy half: writes the rows as the pending version's parts and puts them in
  //! the store, committing nothing; answers the version as CommitParts records it. Apart so
  //! the two can run on different threads (the fills ledger writes at a lower priority and
  //! commits, which runs the catalog's listeners, at its own: core/background_thread.h).
  Result<DatasetVersion> WriteParts(duck::Connection& conn, PendingVersion& pending,
                                    const PublishSpec& spec);
  //! Commits what WriteParts wrote; answers the committed version.
  Result<DatasetVersion> CommitParts(PendingVersion& pending, const DatasetVersion& written);

 private:
  Workspace(ObjectStore& store, Catalog& catalog, const WorkspaceOptions& options);
  ObjectStore& store_;
  Catalog& catalog_;
  WorkspaceOptions options_;
  std::unique_ptr<duck::Database> db_;
};

enum class ColumnKind { kString, kInt, kDouble, kBool, kDate, kStringList };

struct ColumnSpec {
  std::string name;
  ColumnKind kind;
};

//! Builds a dataset version row by row. Values are appended in column order; EndRow checks
//! the count. Nothing is visible until Commit.
class DatasetWriter {
 public:
  static Result<std::unique_ptr<DatasetWriter>> Begin(Workspace& workspace,
                                                      const std::string& dataset,
                                                      std::vector<ColumnSpec> columns);
  ~DatasetWriter();

  void String(std::string_view v);
  void Int(int64_t v);
  void Double(double v);
  void Bool(bool v);
  //! Days since 1970-01-01.
  void Date(int32_t days);
  void Null();
  void StringList(std::span<const std::string_view> items);
  Status EndRow();

  //! Writes Parquet and publishes the version; `source` is recorded in the manifest.
  Result<DatasetVersion> Commit(const std::string& source);
  //! Commit in two halves, for a caller that writes on one thread and commits on another
  //! (Workspace::WriteParts): the rows' Parquet parts, put in the store; then the commit.
  Status WriteParts(const std::string& source);
  Result<DatasetVersion> CommitWritten();

 private:
  struct Impl;
  explicit DatasetWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakehouse
