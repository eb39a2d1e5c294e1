#include "query/parquet_stats.h"

#include <fmt/format.h>

#include <filesystem>

#include "query/duckdb_handle.h"

namespace lakehouse {
namespace {

// The SQL of a column's lower (`fn` = min) or upper (max) bound as the canonical text
// iceberg::EncodeBound reads; empty for types without bounds here.
std::string BoundSql(const std::string& type, const char* fn, const char* stat) {
  static const char* kNumbers[] = {"BOOLEAN",  "TINYINT",   "SMALLINT", "INTEGER", "BIGINT",
                                   "UTINYINT", "USMALLINT", "UINTEGER", "FLOAT",   "DOUBLE"};
  for (const char* t : kNumbers)
    if (type == t) return fmt::format("CAST({}(TRY_CAST({} AS {})) AS VARCHAR)", fn, stat, t);
  if (type == "DATE")
    return fmt::format(
        "CAST(date_diff('day', DATE '1970-01-01', {}(TRY_CAST({} AS DATE))) AS VARCHAR)", fn, stat);
  if (type == "TIMESTAMP" || type == "TIMESTAMP WITH TIME ZONE")
    return fmt::format("CAST(epoch_us({}(TRY_CAST({} AS {}))) AS VARCHAR)", fn, stat,
                       type == "TIMESTAMP" ? "TIMESTAMP" : "TIMESTAMPTZ");
  if (type == "VARCHAR") return fmt::format("{}({})", fn, stat);
  return "";
}

bool Nested(const std::string& type) {
  return type.find('[') != std::string::npos || type.rfind("STRUCT", 0) == 0 ||
         type.rfind("MAP", 0) == 0;
}

}  // namespace

Result<iceberg::NewFile> ParquetFileStats(duck::Connection& conn, const std::string& path,
                                          std::string key,
                                          const std::vector<ColumnSchema>& columns) {
  iceberg::NewFile out;
  out.key = std::move(key);
  std::error_code ec;
  out.file_size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return Status::IOError(fmt::format("size of {}: {}", path, ec.message()));
  const std::string file = duck::QuoteString(path);
  LH_ASSIGN_OR_RETURN(out.record_count,
                      conn.QueryInt(fmt::format(
                          "SELECT CAST(num_rows AS BIGINT) FROM parquet_file_metadata({})", file)));
  std::string sql;
  for (const auto& c : columns) {
    if (Nested(c.type)) continue;
    const std::string lower = BoundSql(c.type, "min", "stats_min_value");
    const std::string upper = BoundSql(c.type, "max", "stats_max_value");
    if (!sql.empty()) sql += " UNION ALL ";
    sql += fmt::format(
        "SELECT {}, CAST(sum(num_values) AS VARCHAR), CAST(sum(stats_null_count) AS VARCHAR), "
        "CAST(sum(total_compressed_size) AS VARCHAR), {}, {} FROM m WHERE path_in_schema = {}",
        duck::QuoteString(c.name), lower.empty() ? "NULL" : lower, upper.empty() ? "NULL" : upper,
        duck::QuoteString(c.name));
  }
  if (sql.empty()) return out;
  LH_ASSIGN_OR_RETURN(
      auto rows, conn.QueryStrings(
                     fmt::format("WITH m AS (SELECT * FROM parquet_metadata({})) {}", file, sql)));
  auto number = [](const std::string& s) -> int64_t { return s.empty() ? -1 : std::stoll(s); };
  for (const auto& r : rows) {
    iceberg::ColumnStats c;
    c.values = number(r[1]);
    c.nulls = number(r[2]);
    c.bytes = std::max<int64_t>(number(r[3]), 0);
    // A bound is only a bound when every row group had statistics: an all-null row group
    // has none, and then min() over the others is still right; a missing one is NULL.
    if (!r[4].empty()) c.lower = r[4];
    if (!r[5].empty()) c.upper = r[5];
    out.columns[r[0]] = std::move(c);
  }
  return out;
}

}  // namespace lakehouse
