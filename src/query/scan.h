// src/query/scan.h: typed column batches for the engine's internal readers.
//
// /v1/sql renders DuckDB's data chunks straight to JSON text: that is its answer. Internal
// readers (the roster, the workers index, roster claims) want values, not text: a scan
// hands them each DuckDB chunk (up to 2048 rows) as a ScanBatch whose columns read values
// in place from DuckDB's vectors (no JSON, no copies of strings), with the statement's
// parameters bound by DuckDB (no values pasted into SQL).
//
// The accessors are forgiving in the way a JSON reader of the same rows would be: a NULL,
// or a value of another type, reads as the empty string / no number / false / an empty
// list, so a dataset with an odd column degrades instead of failing the whole load.
//
// Lifetime: a batch and every string_view it returns are valid only inside the callback.
// Thread-safety: a batch is read by the scanning thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

//! A value bound to a statement's $1, $2, ... (or ?) parameter.
using SqlParam = std::variant<std::nullptr_t, bool, int64_t, double, std::string>;

//! One column of a batch. Opaque views of a DuckDB vector, set by the engine per chunk.
class ScanColumn {
 public:
  bool IsNull(size_t row) const;
  //! VARCHAR, BLOB and ENUM values; "" otherwise.
  std::string_view String(size_t row) const;
  //! Integers, floats, doubles and decimals (finite values only); nullopt otherwise.
  std::optional<double> Number(size_t row) const;
  //! BOOLEAN true; false otherwise.
  bool Bool(size_t row) const;
  //! Days since 1970-01-01 of a DATE, a TIMESTAMP, or a "YYYY-MM-DD..." string.
  std::optional<int32_t> Day(size_t row) const;
  //! Elements of a LIST (0 for NULL or a non-list), and its string elements.
  size_t ListSize(size_t row) const;
  std::vector<std::string_view> StringList(size_t row) const;
  //! The value as /v1/sql would show it (numbers, strings, booleans, lists, dates as
  //! "YYYY-MM-DD", null): for readers that keep rows as JSON payloads.
  Json Value(size_t row) const;

  // Set by the engine (query/query_engine.cc); the fields are DuckDB's, kept opaque here so
  // that nothing outside src/query includes duckdb.h.
  struct Raw {
    int type = 0;      // duckdb_type
    int internal = 0;  // DECIMAL / ENUM storage type
    uint8_t scale = 0;
    const void* data = nullptr;
    const uint64_t* validity = nullptr;
    const std::vector<std::string>* enum_values = nullptr;
    // LIST: the child vector.
    int child_type = 0;
    const void* child_data = nullptr;
    const uint64_t* child_validity = nullptr;
    // Any other type is rendered by the /v1/sql renderer (duckdb_vector, duck::TypeNode).
    void* vector = nullptr;
    const void* type_node = nullptr;
  };
  explicit ScanColumn(const Raw& raw) : raw_(raw) {}

 private:
  Raw raw_;
};

class ScanBatch {
 public:
  size_t rows() const { return rows_; }
  size_t columns() const { return columns_.size(); }
  const ScanColumn& operator[](size_t column) const { return columns_[column]; }

  // Set by the engine.
  ScanBatch(size_t rows, std::vector<ScanColumn> columns)
      : rows_(rows), columns_(std::move(columns)) {}

 private:
  size_t rows_;
  std::vector<ScanColumn> columns_;
};

struct ScanOptions {
  std::vector<SqlParam> params;  // bound in order to $1, $2, ...
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

//! Called once per chunk; a non-OK return stops the scan with that status.
using ScanFn = std::function<Status(const ScanBatch&)>;

}  // namespace lakehouse
