#include "query/workspace.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "core/ids.h"
#include "query/duckdb_handle.h"
#include "query/parquet_stats.h"

namespace lakehouse {
namespace fs = std::filesystem;

Workspace::Workspace(ObjectStore& store, Catalog& catalog, const WorkspaceOptions& options)
    : store_(store), catalog_(catalog), options_(options) {}
Workspace::~Workspace() = default;

Result<std::unique_ptr<Workspace>> Workspace::Open(ObjectStore& store, Catalog& catalog,
                                                   const WorkspaceOptions& options) {
  auto ws = std::unique_ptr<Workspace>(new Workspace(store, catalog, options));
  std::vector<std::pair<std::string, std::string>> settings;
  if (options.threads > 0) settings.emplace_back("threads", std::to_string(options.threads));
  if (!options.memory_limit.empty())
    settings.emplace_back("memory_limit", duck::QuoteString(options.memory_limit));
  settings.emplace_back("temp_directory",
                        duck::QuoteString((store.StagingDir() / options.spill_dir).string()));
  settings.emplace_back("autoinstall_known_extensions", "false");
  settings.emplace_back("preserve_insertion_order", "true");
  LH_ASSIGN_OR_RETURN(ws->db_, duck::Database::OpenInMemory(settings));
  return ws;
}

std::string Workspace::StagingPath(std::string_view prefix, std::string_view suffix) const {
  return (store_.StagingDir() / fmt::format("{}-{}{}", prefix, RandomHex(8), suffix)).string();
}

Result<DatasetVersion> Workspace::Publish(duck::Connection& conn, PendingVersion& pending,
                                          const PublishSpec& spec) {
  LH_ASSIGN_OR_RETURN(DatasetVersion written, WriteParts(conn, pending, spec));
  return CommitParts(pending, written);
}

Result<DatasetVersion> Workspace::WriteParts(duck::Connection& conn, PendingVersion& pending,
                                             const PublishSpec& spec) {
  const std::string& select_sql = spec.select_sql;
  const std::string dir = StagingPath("publish-" + pending.dataset(), "");
  struct DirCleanup {
    std::string d;
    ~DirCleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  // Parts are named part-0.parquet, part-1.parquet, ... A version that fits one part keeps
  // its rows in the order they were written (DuckDB's order-preserving writer; readers such
  // as the roster rely on it to skip a sort). That writer cannot split files, so a version
  // larger than part_size_bytes is written again by the rotating writer: parts near that
  // size, rows in no particular order.
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  const std::string single = dir + "/part-0.parquet";
  // The parts carry the Iceberg field ids the commit will give their columns (the spec asks
  // data files for them; readers then match columns by id, not by name).
  auto field_ids = [&](const std::vector<ColumnSchema>& columns) -> Result<std::string> {
    LH_ASSIGN_OR_RETURN(iceberg::Schema planned, catalog_.PlannedSchema(pending, columns));
    return ", FIELD_IDS " + iceberg::DuckDbFieldIds(planned);
  };
  LH_ASSIGN_OR_RETURN(auto select_columns,
                      conn.DescribeQuery("SELECT * FROM (" + select_sql + ") LIMIT 0"));
  LH_ASSIGN_OR_RETURN(std::string ids, field_ids(select_columns));
  std::vector<std::string> parts;
  std::string file_list;
  auto write = [&]() -> Status {
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    LH_RETURN_IF_ERROR(conn.Exec(
        fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, PRESERVE_ORDER{})",
                    select_sql, duck::QuoteString(single), ids)));
    parts = {"part-0.parquet"};
    if (static_cast<int64_t>(fs::file_size(single, ec)) > options_.part_size_bytes) {
      fs::remove_all(dir, ec);
      LH_RETURN_IF_ERROR(conn.Exec(
          fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES "
                      "{}, FILENAME_PATTERN 'part-{{i}}'{})",
                      select_sql, duck::QuoteString(dir), options_.part_size_bytes, ids)));
      parts.clear();
      for (const auto& e : fs::directory_iterator(dir, ec))
        parts.push_back(e.path().filename().string());
      std::sort(parts.begin(), parts.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;  // part-2 before part-10
      });
    }
    file_list.clear();
    for (const auto& p : parts) {
      if (!file_list.empty()) file_list += ", ";
      file_list += duck::QuoteString(dir + "/" + p);
    }
    return Status::OK();
  };
  LH_RETURN_IF_ERROR(write());
  DatasetVersion meta;
  meta.source = spec.source;
  if (spec.count_quarantined) {
    LH_ASSIGN_OR_RETURN(meta.quarantined_rows, spec.count_quarantined());
  }
  LH_ASSIGN_OR_RETURN(meta.row_count, conn.QueryInt(fmt::format(
                                          "SELECT count(*) FROM read_parquet([{}])", file_list)));
  LH_ASSIGN_OR_RETURN(meta.columns, conn.DescribeQuery(fmt::format(
                                        "SELECT * FROM read_parquet([{}]) LIMIT 0", file_list)));
  // Parquet may give a column back as another type than the query had (an ENUM as VARCHAR):
  // the commit plans from these, so the parts are written again if that moved an id.
  if (meta.columns != select_columns) {
    LH_ASSIGN_OR_RETURN(std::string again, field_ids(meta.columns));
    if (again != ids) {
      ids = std::move(again);
      LH_RETURN_IF_ERROR(write());
    }
  }
  if (spec.append_to != nullptr) {
    if (meta.columns != spec.append_to->columns) {
      return Status::Unprocessable("appended rows have a different schema than version " +
                                   std::to_string(spec.append_to->version));
    }
    meta.files = spec.append_to->files;
    meta.row_count += spec.append_to->row_count;
    meta.bytes = spec.append_to->bytes;
  }
  for (const auto& p : parts) {
    const std::string key = pending.KeyPrefix() + p;
    LH_ASSIGN_OR_RETURN(iceberg::NewFile stats,
                        ParquetFileStats(conn, dir + "/" + p, key, meta.columns));
    meta.added.push_back(std::move(stats));
    meta.bytes += fs::file_size(dir + "/" + p, ec);
    LH_RETURN_IF_ERROR(store_.PutFile(key, dir + "/" + p));
    meta.files.push_back(key);
  }
  return meta;
}

Result<DatasetVersion> Workspace::CommitParts(PendingVersion& pending,
                                              const DatasetVersion& written) {
  LH_RETURN_IF_ERROR(catalog_.Commit(pending, written));
  LH_ASSIGN_OR_RETURN(auto manifest, catalog_.Get(pending.dataset()));
  return *manifest.Current();
}

// ---------------------------------------------------------------------------------------
// DatasetWriter: rows go through a DuckDB appender into a temporary table; list columns
// are staged as text joined by U+001F and split back into VARCHAR[] when published.

namespace {
constexpr char kListSeparator = '\x1f';

const char* StagingType(ColumnKind k) {
  switch (k) {
    case ColumnKind::kString:
      return "VARCHAR";
    case ColumnKind::kInt:
      return "BIGINT";
    case ColumnKind::kDouble:
      return "DOUBLE";
    case ColumnKind::kBool:
      return "BOOLEAN";
    case ColumnKind::kDate:
      return "DATE";
    case ColumnKind::kStringList:
      return "VARCHAR";
  }
  return "VARCHAR";
}
}  // namespace

struct DatasetWriter::Impl {
  Workspace* ws = nullptr;
  std::vector<ColumnSpec> columns;
  std::optional<PendingVersion> pending;
  std::optional<DatasetVersion> written;  // WriteParts' version, until CommitWritten
  std::unique_ptr<duck::Connection> conn;
  std::string table;
  duckdb_appender appender = nullptr;
  size_t col = 0;
  std::string list_buf;
  Status error;

  ~Impl() {
    if (appender != nullptr) duckdb_appender_destroy(&appender);
  }
  void Check(duckdb_state st) {
    if (st == DuckDBError && error.ok()) {
      const char* e = duckdb_appender_error(appender);
      error = Status::Internal(fmt::format("append to {}: {}", table, e ? e : "unknown error"));
    }
    ++col;
  }
};

DatasetWriter::DatasetWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DatasetWriter::~DatasetWriter() = default;

Result<std::unique_ptr<DatasetWriter>> DatasetWriter::Begin(Workspace& workspace,
                                                            const std::string& dataset,
                                                            std::vector<ColumnSpec> columns) {
  auto impl = std::make_unique<Impl>();
  impl->ws = &workspace;
  impl->columns = std::move(columns);
  LH_ASSIGN_OR_RETURN(auto pending, workspace.catalog().BeginVersion(dataset));
  impl->pending.emplace(std::move(pending));
  LH_ASSIGN_OR_RETURN(impl->conn, duck::Connection::Open(workspace.db()));
  impl->table = "stage_" + dataset + "_" + RandomHex(4);
  std::string ddl = "CREATE TEMP TABLE " + duck::QuoteIdent(impl->table) + " (";
  for (size_t i = 0; i < impl->columns.size(); ++i) {
    if (i > 0) ddl += ", ";
    ddl += duck::QuoteIdent(impl->columns[i].name) + " " + StagingType(impl->columns[i].kind);
  }
  LH_RETURN_IF_ERROR(impl->conn->Exec(ddl + ")"));
  if (duckdb_appender_create_ext(impl->conn->raw(), "temp", "main", impl->table.c_str(),
                                 &impl->appender) == DuckDBError) {
    return Status::Internal("create appender for " + impl->table);
  }
  return std::unique_ptr<DatasetWriter>(new DatasetWriter(std::move(impl)));
}

void DatasetWriter::String(std::string_view v) {
  impl_->Check(duckdb_append_varchar_length(impl_->appender, v.data(), v.size()));
}
void DatasetWriter::Int(int64_t v) {
  impl_->Check(duckdb_append_int64(impl_->appender, v));
}
void DatasetWriter::Double(double v) {
  impl_->Check(duckdb_append_double(impl_->appender, v));
}
void DatasetWriter::Bool(bool v) {
  impl_->Check(duckdb_append_bool(impl_->appender, v));
}
void DatasetWriter::Date(int32_t days) {
  impl_->Check(duckdb_append_date(impl_->appender, duckdb_date{days}));
}
void DatasetWriter::Null() {
  impl_->Check(duckdb_append_null(impl_->appender));
}

void DatasetWriter::StringList(std::span<const std::string_view> items) {
  std::string& buf = impl_->list_buf;
  buf.clear();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) buf += kListSeparator;
    buf.append(items[i]);
  }
  impl_->Check(duckdb_append_varchar_length(impl_->appender, buf.data(), buf.size()));
}

Status DatasetWriter::EndRow() {
  if (!impl_->error.ok()) return impl_->error;
  if (impl_->col != impl_->columns.size()) {
    return Status::Internal(fmt::format("row has {} values, table {} has {} columns", impl_->col,
                                        impl_->table, impl_->columns.size()));
  }
  impl_->col = 0;
  if (duckdb_appender_end_row(impl_->appender) == DuckDBError) {
    const char* e = duckdb_appender_error(impl_->appender);
    return Status::Internal(fmt::format("append row: {}", e ? e : "unknown error"));
  }
  return Status::OK();
}

Result<DatasetVersion> DatasetWriter::Commit(const std::string& source) {
  LH_RETURN_IF_ERROR(WriteParts(source));
  return CommitWritten();
}

Result<DatasetVersion> DatasetWriter::CommitWritten() {
  if (!impl_->written) return Status::Internal("commit of " + impl_->table + " before its parts");
  return impl_->ws->CommitParts(*impl_->pending, *impl_->written);
}

Status DatasetWriter::WriteParts(const std::string& source) {
  if (!impl_->error.ok()) return impl_->error;
  if (impl_->written) return Status::Internal("the parts of " + impl_->table + " written twice");
  if (duckdb_appender_close(impl_->appender) == DuckDBError) {
    const char* e = duckdb_appender_error(impl_->appender);
    return Status::Internal(fmt::format("flush rows: {}", e ? e : "unknown error"));
  }
  std::string select = "SELECT ";
  for (size_t i = 0; i < impl_->columns.size(); ++i) {
    if (i > 0) select += ", ";
    const std::string c = duck::QuoteIdent(impl_->columns[i].name);
    if (impl_->columns[i].kind == ColumnKind::kStringList) {
      select += fmt::format(
          "CASE WHEN {0} IS NULL THEN NULL WHEN {0} = '' THEN []::VARCHAR[] "
          "ELSE string_split({0}, chr(31)) END AS {0}",
          c);
    } else {
      select += c;
    }
  }
  select += " FROM " + duck::QuoteIdent(impl_->table);
  Workspace::PublishSpec spec;
  spec.select_sql = select;
  spec.source = source;
  auto written = impl_->ws->WriteParts(*impl_->conn, *impl_->pending, spec);
  (void)impl_->conn->Exec("DROP TABLE IF EXISTS " + duck::QuoteIdent(impl_->table));
  if (!written.ok()) return written.status();
  impl_->written = std::move(*written);
  return Status::OK();
}

}  // namespace lakehouse
