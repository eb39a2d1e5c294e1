// src/query/query_engine.h: read-only SQL over the catalog's datasets (DuckDB).
//
// Every dataset is a view over the Parquet files of its latest version ("workers"), and
// every version is a view of its own ("workers@v2", quoted: SELECT * FROM "workers@v2"), so
// old versions stay queryable. Views are refreshed when the catalog commits a version.
//
// Read-only by construction, in two independent layers:
//  1. the statement is parsed by DuckDB and only SELECT and EXPLAIN are accepted
//     (403 names the statement type otherwise: COPY, ATTACH, INSTALL, CREATE, SET...);
//  2. the database behind the pool has external access disabled except for reading
//     `<root>/datasets/`, and its configuration is locked, so table functions such as
//     read_csv('/etc/passwd') fail with 403 even inside a SELECT.
// Each query runs with a deadline and caps on rows and bytes; rows stream from DuckDB, so
// a large result is cut without being materialised. The deadline holds for every
// statement: a watchdog interrupts the query at the deadline, and the caller waits at most
// a short grace after it. A statement DuckDB cannot interrupt (one huge scalar such as
// repeat('x', 2e9) never reaches an interrupt check) is abandoned: the caller answers 504
// at once, the statement finishes on its runner thread and its connection is then closed,
// and a fresh connection takes its place in the pool (at most pool_size abandoned at a
// time; past that the pool shrinks until they finish).
// Pooled connections are reset after a statement that changes session state a later user
// would see (setseed).
//
// Answers of /v1/sql (not the internal batched scans) are cached until the next dataset
// commit (query/result_cache.h).
//
// Thread-safety: Query may be called concurrently; it blocks while every pooled
// connection is busy (up to the query's deadline).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "query/scan.h"

namespace lakehouse {

//! The DuckDB library this binary runs ("v1.4.4").
std::string DuckDbVersion();

struct QueryOptions {
  int64_t max_rows = 10000;
  //! Cap on the rendered rows in bytes (0: none): rows past it are left out and the answer
  //! says truncated_by "bytes"; a first row alone over it is a 413.
  int64_t max_bytes = 0;
  std::chrono::milliseconds timeout{30000};
  //! When the request arrived (default: when Query is called). The deadline is
  //! started + timeout, so time a request spent queued for a thread is part of it.
  std::optional<std::chrono::steady_clock::time_point> started;
};

//! The limits a request's statement runs under (config sql.max_rows, sql.timeout_ms,
//! sql.max_answer_bytes); a request's own `limit` can only lower the row cap.
struct SqlLimits {
  int64_t max_rows = 10000;
  int64_t timeout_ms = 30000;
  int64_t max_answer_bytes = 0;
  QueryOptions For(
      std::optional<int64_t> limit = std::nullopt,
      std::optional<std::chrono::steady_clock::time_point> started = std::nullopt) const;
};

struct QueryResult {
  std::vector<ColumnSchema> columns;
  std::string rows_json;  // a JSON array of row arrays: [[1,"a"],[2,"b"]]
  int64_t row_count = 0;
  bool truncated = false;         // more rows existed than max_rows (or max_bytes)
  const char* truncated_by = "";  // "rows" or "bytes" when truncated
  double elapsed_ms = 0;

  //! {columns:[{name,type}], rows:[[...]], row_count, truncated, elapsed_ms}: the /v1/sql
  //! answer; a truncated answer also says truncated_by ("rows" or "bytes").
  std::string ToJsonText() const;
};

struct QueryEngineOptions {
  std::string datasets_dir;  // absolute path of <root>/datasets/
  int64_t pool_size = 8;
  int64_t threads = 0;             // 0: DuckDB default
  std::string memory_limit;        // empty: DuckDB default (callers pass one: services.cc)
  int64_t result_cache_bytes = 0;  // answers kept until a dataset changes (result_cache.h)
  //! Set for a remote root (storage/s3_object_store.h): makes these part keys
  //! ("datasets/<name>/v<N>/part-<k>.parquet") local files. Called before a version's view is
  //! made, and again when a statement meets a part the bounded cache let go (then the
  //! statement runs once more).
  std::function<Status(const std::vector<std::string>& keys)> fetch;
};

//! A dataset whose latest view also shows rows no version holds yet (the fills ledger's
//! commits, validate/ledger.h): they live in an in-memory table that ExecLive writes, and
//! the latest view is `view_sql`'s SELECT over the current version and that table.
struct LiveOverlay {
  std::string table;    // its name, e.g. "fills@live" (queryable like any view)
  std::string columns;  // its definition: "(fill_id VARCHAR, ...)"
  //! The latest view's SELECT; `current` is null while the dataset has no version, and
  //! `relation` then is "" (otherwise it reads the current version's files).
  std::function<std::string(const DatasetVersion* current, const std::string& relation)> view_sql;
};

//! One value of an overlay row: NULL, text, an integer, or a date (days since 1970-01-01).
struct LiveDate {
  int32_t days = 0;
};
using LiveValue = std::variant<std::nullptr_t, std::string, int64_t, LiveDate>;

class QueryEngine {
 public:
  static Result<std::unique_ptr<QueryEngine>> Open(const QueryEngineOptions& options);
  ~QueryEngine();

  //! Runs one read-only statement (no parameters: /v1/sql sends literal values).
  Result<QueryResult> Query(const std::string& sql, const QueryOptions& options);
  //! Runs one read-only statement with `options.params` bound to its $1, $2, ... and hands
  //! each chunk of the answer to `fn` as typed columns (query/scan.h); never cached.
  //! Answers the number of rows scanned.
  Result<int64_t> Scan(const std::string& sql, const ScanOptions& options, const ScanFn& fn);

  //! Creates or replaces the views of one dataset (latest + every version).
  Status RefreshDataset(const DatasetManifest& manifest);
  //! Subscribes to `catalog` and creates the views of every dataset it has now.
  Status Attach(Catalog& catalog);
  //! Creates the overlay's table and makes `dataset`'s latest view the overlay's from now
  //! on (`manifest`: the dataset as it is now; null when it does not exist yet).
  Status SetLiveOverlay(const std::string& dataset, LiveOverlay overlay,
                        const DatasetManifest* manifest);
  //! Runs statements that write `dataset`'s overlay table (never a request's SQL); cached
  //! answers that name the dataset are dropped, so the next query sees the change.
  Status ExecLive(const std::string& dataset, const std::string& sql);
  //! Appends rows (values in the table's column order) to `dataset`'s overlay table with
  //! DuckDB's appender: no statement to parse and plan for each commit.
  Status AppendLive(const std::string& dataset, const std::vector<std::vector<LiveValue>>& rows);
  //! Called before any statement that names `dataset` (case-insensitive, anywhere in its
  //! text, as the result cache matches) is looked up in the cache or run: the overlay's owner
  //! puts the rows it has queued into the table then, so a write costs no DuckDB append of
  //! its own and a reader still sees every write answered before it. Null: none. Setting
  //! waits for flushes running now (the owner may then go away).
  void SetLiveFlush(const std::string& dataset, std::function<Status()> flush);
  //! The versions of `dataset` that statements running now name (`"fills@v3"`): what the
  //! catalog's retention must not expire under them (Catalog::SetInUse).
  std::vector<int64_t> VersionsInUse(const std::string& dataset) const;

 private:
  struct Impl;
  struct Lease;
  //! A pooled connection by `deadline`, with `sql` prepared on it (read-only statements
  //! only); DeadlineExceeded when every connection stays busy.
  Status Prepare(const std::string& sql, std::chrono::steady_clock::time_point deadline,
                 std::chrono::milliseconds timeout, Lease& lease);
  explicit QueryEngine(std::unique_ptr<Impl> impl);
  Status RefreshLocked(const DatasetManifest& manifest);  // with impl_->admin_mu held
  Result<QueryResult> QueryOnce(const std::string& sql, const QueryOptions& options);
  //! Fetches the parts an error names that are not on local disk; false if none.
  bool FetchMissingParts(const std::string& error);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakehouse
