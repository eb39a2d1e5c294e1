// src/query/duckdb_handle.h: the DuckDB C API adapter, private to the query subsystem.
//
// Owns DuckDB handles with RAII, turns DuckDB errors into Status (Permission Error -> 403,
// Parser/Binder/Catalog Error -> 400, Interrupt -> deadline, ...), and renders data chunks
// as JSON text directly (no intermediate JSON tree: the /v1/sql hot path). Nothing outside
// src/query includes duckdb.h.
//
// Thread-safety: a Database may be shared; a Connection is used by one thread at a time.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "query/sql_text.h"

namespace lakehouse::duck {

class Database {
 public:
  //! An in-memory database with `settings` applied as `SET k=v` in order on a first connection.
  static Result<std::unique_ptr<Database>> OpenInMemory(
      const std::vector<std::pair<std::string, std::string>>& options);
  ~Database();
  duckdb_database raw() const { return db_; }

 private:
  Database() = default;
  duckdb_database db_ = nullptr;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const Database& db);
  ~Connection();
  duckdb_connection raw() const { return conn_; }
  //! Runs one or more statements, discarding results.
  Status Exec(const std::string& sql);
  //! Runs a query whose first row's first column is an integer.
  Result<int64_t> QueryInt(const std::string& sql);
  //! Names and types of the columns `sql` would return (run with LIMIT 0 semantics by the caller).
  Result<std::vector<ColumnSchema>> DescribeQuery(const std::string& sql);
  //! Runs a query and returns every row as strings (NULL as empty); for small results.
  Result<std::vector<std::vector<std::string>>> QueryStrings(const std::string& sql);

 private:
  Connection() = default;
  duckdb_connection conn_ = nullptr;
};

//! Owning wrapper of a duckdb_result.
class ResultHandle {
 public:
  ResultHandle() { std::memset(&r_, 0, sizeof(r_)); }
  ~ResultHandle() { duckdb_destroy_result(&r_); }
  ResultHandle(const ResultHandle&) = delete;
  ResultHandle& operator=(const ResultHandle&) = delete;
  duckdb_result* get() { return &r_; }

 private:
  duckdb_result r_;
};

//! The error of a failed query as a Status.
Status StatusFromResult(duckdb_result* result);
//! Maps a DuckDB error type and message to a Status with the right code.
Status StatusFromDuckDB(duckdb_error_type type, std::string_view message);
//! Maps an error message alone (prepare errors carry no type) by its "X Error:" prefix.
Status StatusFromDuckDBMessage(std::string_view message);

//! DuckDB's spelling of a logical type: "VARCHAR", "DECIMAL(9,2)", "VARCHAR[]", "STRUCT(a
//! INTEGER)".
std::string LogicalTypeName(duckdb_logical_type type);

//! "name" / 'text' with inner quotes doubled (query/sql_text.h).
inline std::string QuoteIdent(std::string_view ident) {
  return SqlIdent(ident);
}
inline std::string QuoteString(std::string_view text) {
  return SqlLiteral(text);
}

//! A logical type resolved once per column, so rendering a value does no C API type calls.
struct TypeNode {
  duckdb_type id = DUCKDB_TYPE_INVALID;
  duckdb_type internal = DUCKDB_TYPE_INVALID;  // DECIMAL and ENUM storage type
  uint8_t scale = 0;                           // DECIMAL
  idx_t array_size = 0;                        // ARRAY
  std::vector<TypeNode> children;  // LIST/ARRAY: 1; STRUCT/UNION: n; MAP: 1 (the entry struct)
  std::vector<std::string> names;  // STRUCT/UNION child names
  std::vector<std::string> enum_values;  // ENUM dictionary
  std::string name;                      // LogicalTypeName
};
TypeNode ResolveType(duckdb_logical_type type);

//! Appends the value at `row` of `vector` as JSON: numbers as numbers (NaN/Inf as null),
//! dates and times as ISO strings, LIST/ARRAY as arrays, STRUCT/MAP as objects.
void AppendValueJson(std::string& out, duckdb_vector vector, const TypeNode& type, idx_t row);

//! Schema of a result: names and type names.
std::vector<ColumnSchema> ResultColumns(duckdb_result* result);

}  // namespace lakehouse::duck
