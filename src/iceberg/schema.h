// src/iceberg/schema.h: table schemas with field ids, and DuckDB's types in Iceberg's.
//
// Our catalog speaks DuckDB type names ("VARCHAR", "BIGINT", "VARCHAR[]"); an Iceberg table
// speaks Iceberg types with a field id on every field, nested ones too. A dataset's columns
// become a Schema here: a column that keeps its name and type across versions keeps its id
// (so engines see one column evolve, not a new one), a new or retyped column gets the next
// id after the table's last. Where Iceberg has no exact twin of a DuckDB type (TINYINT and
// SMALLINT are `int`, ENUM is `string`), the DuckDB type is kept in the table property
// `lakehouse.duckdb-types` so our catalog reads back exactly what it wrote. Types Iceberg
// cannot hold (UBIGINT, HUGEINT, INTERVAL, UNION, BIT, ...) are refused with the column's name.
//
// Bounds in manifests use Iceberg's single-value serialization (spec, Appendix D):
// little-endian numbers, UTF-8 strings cut to 16 characters (an upper bound cut short is
// rounded up so it still bounds every value).
//
// Thread-safety: values and free functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse::iceberg {

struct Field {
  int32_t id = 0;
  std::string name;
  std::string duckdb_type;  // "VARCHAR[]"
  Json type;                // Iceberg: "string", {"type":"list","element-id":7,...}
};

struct Schema {
  int32_t schema_id = 0;
  std::vector<Field> fields;

  //! {"type":"struct","schema-id":N,"fields":[{"id","name","required":false,"type"}]}
  Json ToJson() const;
  const Field* Find(std::string_view name) const;
};

using Columns = std::vector<std::pair<std::string, std::string>>;  // name, DuckDB type

//! The schema of `columns`: ids of `previous`'s fields reused where name and DuckDB type
//! match, new ids from `*last_column_id` + 1 (updated). InvalidArgument naming a column
//! whose type Iceberg cannot hold.
Result<Schema> BuildSchema(const Columns& columns, const Schema* previous, int32_t* last_column_id,
                           int32_t schema_id);
//! A schema read from table metadata; `duckdb_types` (by field id) overrides the DuckDB
//! type derived from the Iceberg one.
Result<Schema> SchemaFromJson(const Json& j, const std::map<int32_t, std::string>& duckdb_types);
//! The DuckDB types that the Iceberg types do not give back, by field id (the property).
std::map<int32_t, std::string> DuckDbTypeOverrides(const Schema& schema);
//! `schema.name-mapping.default`: every field's id by name (nested too), so files written
//! without Parquet field ids (parts from before, migrated) are read by column name.
Json NameMapping(const Schema& schema);
//! DuckDB's COPY ... (FIELD_IDS {...}) value writing every field id of `schema` into the
//! Parquet file, nested ones too (`{"skills": {"__duckdb_field_id": 7, "element": 21}}`),
//! as the Iceberg spec asks of data files.
std::string DuckDbFieldIds(const Schema& schema);

//! A bound in single-value serialization; `value` is the canonical text of the query layer
//! (numbers in C locale, dates as days since 1970-01-01, timestamps as microseconds since
//! the epoch, booleans "true"/"false", strings as they are). Nothing for types without
//! bounds here (decimal, binary, nested) or for a value that does not parse.
std::optional<std::string> EncodeBound(const Json& iceberg_type, std::string_view value,
                                       bool upper);

}  // namespace lakehouse::iceberg
