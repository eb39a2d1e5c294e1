// src/query/parquet_stats.h: the Iceberg statistics of a Parquet file, from its footer.
//
// An Iceberg manifest carries, per data file, its record count and size and, per column,
// the count of values and nulls, the bytes on disk and lower/upper bounds: what lets an
// engine skip the file for `WHERE city = 'Dayton'`. DuckDB's `parquet_metadata()` reads them
// from the footer's row-group statistics (no data page is read), so a commit costs a few
// milliseconds per part. Top-level columns of primitive types only: a list column's
// statistics belong to its element (counts of elements, not rows), which we leave out.
//
// Thread-safety: uses the caller's connection.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "iceberg/table.h"

namespace lakehouse {
namespace duck {
class Connection;
}

//! Statistics of the Parquet file at `path`, to be published as `key`.
Result<iceberg::NewFile> ParquetFileStats(duck::Connection& conn, const std::string& path,
                                          std::string key,
                                          const std::vector<ColumnSchema>& columns);

}  // namespace lakehouse
