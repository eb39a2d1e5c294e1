#include "query/duckdb_handle.h"

#include <cmath>

#include <fmt/format.h>

#include "core/json.h"

namespace lakehouse::duck {

Result<std::unique_ptr<Database>> Database::OpenInMemory(
    const std::vector<std::pair<std::string, std::string>>& options) {
  auto db = std::unique_ptr<Database>(new Database());
  char* err = nullptr;
  if (duckdb_open_ext(nullptr, &db->db_, nullptr, &err) == DuckDBError) {
    std::string msg = err ? err : "unknown error";
    duckdb_free(err);
    return Status::Internal("open DuckDB: " + msg);
  }
  LH_ASSIGN_OR_RETURN(auto conn, Connection::Open(*db));
  for (const auto& [k, v] : options) {
    LH_RETURN_IF_ERROR(
        conn->Exec(fmt::format("SET {}={}", k, v)).WithContext("DuckDB setting " + k));
  }
  return db;
}

Database::~Database() {
  if (db_ != nullptr) duckdb_close(&db_);
}

Result<std::unique_ptr<Connection>> Connection::Open(const Database& db) {
  auto conn = std::unique_ptr<Connection>(new Connection());
  if (duckdb_connect(db.raw(), &conn->conn_) == DuckDBError)
    return Status::Internal("connect to DuckDB failed");
  return conn;
}

Connection::~Connection() {
  if (conn_ != nullptr) duckdb_disconnect(&conn_);
}

Status Connection::Exec(const std::string& sql) {
  ResultHandle r;
  if (duckdb_query(conn_, sql.c_str(), r.get()) == DuckDBError) {
    return StatusFromResult(r.get());
  }
  return Status::OK();
}

Result<std::vector<std::vector<std::string>>> Connection::QueryStrings(const std::string& sql) {
  ResultHandle r;
  if (duckdb_query(conn_, sql.c_str(), r.get()) == DuckDBError) {
    return StatusFromResult(r.get());
  }
  std::vector<std::vector<std::string>> rows;
  const idx_t ncol = duckdb_column_count(r.get());
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(*r.get());
    if (chunk == nullptr) break;
    const idx_t n = duckdb_data_chunk_get_size(chunk);
    std::vector<duckdb_vector> vecs(ncol);
    std::vector<uint64_t*> validity(ncol);
    for (idx_t c = 0; c < ncol; ++c) {
      vecs[c] = duckdb_data_chunk_get_vector(chunk, c);
      validity[c] = duckdb_vector_get_validity(vecs[c]);
    }
    for (idx_t i = 0; i < n; ++i) {
      std::vector<std::string> row(ncol);
      for (idx_t c = 0; c < ncol; ++c) {
        if (!duckdb_validity_row_is_valid(validity[c], i)) continue;
        auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vecs[c])) + i;
        row[c].assign(duckdb_string_t_data(s), duckdb_string_t_length(*s));
      }
      rows.push_back(std::move(row));
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  return rows;
}

Result<int64_t> Connection::QueryInt(const std::string& sql) {
  ResultHandle r;
  if (duckdb_query(conn_, sql.c_str(), r.get()) == DuckDBError) {
    return StatusFromResult(r.get());
  }
  if (duckdb_row_count(r.get()) < 1 || duckdb_column_count(r.get()) < 1) {
    return Status::Internal("query returned no value: " + sql);
  }
  return duckdb_value_int64(r.get(), 0, 0);
}

Result<std::vector<ColumnSchema>> Connection::DescribeQuery(const std::string& sql) {
  ResultHandle r;
  if (duckdb_query(conn_, sql.c_str(), r.get()) == DuckDBError) return StatusFromResult(r.get());
  return ResultColumns(r.get());
}

Status StatusFromResult(duckdb_result* result) {
  const char* err = duckdb_result_error(result);
  return StatusFromDuckDB(duckdb_result_error_type(result),
                          err != nullptr ? err : "unknown DuckDB error");
}

Status StatusFromDuckDB(duckdb_error_type type, std::string_view message) {
  std::string m(message);
  // A full disk is the server's condition whatever DuckDB calls it (a COPY that runs out of
  // space can surface as an IO, Invalid Input or Internal error).
  for (std::string_view full : {"No space left on device", "Disk quota exceeded", "File too large"})
    if (message.find(full) != std::string_view::npos) return Status::InsufficientStorage(m);
  switch (type) {
    case DUCKDB_ERROR_PERMISSION:
      return Status::PermissionDenied(m);
    case DUCKDB_ERROR_INTERRUPT:
      return Status::DeadlineExceeded(m);
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return Status::Unavailable(m);
    case DUCKDB_ERROR_IO:
      return Status::IOError(m);
    case DUCKDB_ERROR_INTERNAL:
    case DUCKDB_ERROR_FATAL:
      return Status::Internal(m);
    default:
      // Parser, binder, catalog, conversion, constraint...: the statement itself is wrong.
      return Status::InvalidArgument(m);
  }
}

Status StatusFromDuckDBMessage(std::string_view message) {
  struct Prefix {
    std::string_view text;
    duckdb_error_type type;
  };
  static constexpr Prefix kPrefixes[] = {{"Permission Error", DUCKDB_ERROR_PERMISSION},
                                         {"INTERRUPT Error", DUCKDB_ERROR_INTERRUPT},
                                         {"Out of Memory Error", DUCKDB_ERROR_OUT_OF_MEMORY},
                                         {"IO Error", DUCKDB_ERROR_IO},
                                         {"INTERNAL Error", DUCKDB_ERROR_INTERNAL},
                                         {"FATAL Error", DUCKDB_ERROR_FATAL}};
  for (const auto& p : kPrefixes) {
    if (message.substr(0, p.text.size()) == p.text) return StatusFromDuckDB(p.type, message);
  }
  return StatusFromDuckDB(DUCKDB_ERROR_INVALID, message);
}

namespace {

std::string TakeCString(char* s) {
  std::string out = s ? s : "";
  duckdb_free(s);
  return out;
}

const char* SimpleTypeName(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT:
      return "UHUGEINT";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_TIMESTAMP_S:
      return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "TIMESTAMP_NS";
    case DUCKDB_TYPE_ENUM:
      return "ENUM";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_BIT:
      return "BIT";
    case DUCKDB_TYPE_TIME_TZ:
      return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_SQLNULL:
      return "NULL";
    case DUCKDB_TYPE_BIGNUM:
      return "BIGNUM";
    case DUCKDB_TYPE_TIME_NS:
      return "TIME_NS";
    default:
      return "UNKNOWN";
  }
}

struct LogicalTypeHandle {
  duckdb_logical_type t;
  ~LogicalTypeHandle() { duckdb_destroy_logical_type(&t); }
};

void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", d);
}

void AppendHugeint(std::string& out, duckdb_hugeint h) {
  // Exact 128-bit decimal text.
  __int128 v = (static_cast<__int128>(h.upper) << 64) | h.lower;
  if (v == 0) {
    out += '0';
    return;
  }
  bool neg = v < 0;
  unsigned __int128 u =
      neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  char buf[48];
  int i = 0;
  while (u > 0) {
    buf[i++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  if (neg) out += '-';
  while (i > 0) out += buf[--i];
}

void AppendTimestampMicros(std::string& out, int64_t micros) {
  duckdb_timestamp_struct ts = duckdb_from_timestamp(duckdb_timestamp{micros});
  fmt::format_to(std::back_inserter(out), "\"{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}",
                 ts.date.year, ts.date.month, ts.date.day, ts.time.hour, ts.time.min, ts.time.sec);
  if (ts.time.micros != 0) fmt::format_to(std::back_inserter(out), ".{:06d}", ts.time.micros);
  out += '"';
}

// DuckDB's infinite dates and timestamps (the largest value and its negation) have no
// calendar form: they render as the strings DuckDB itself prints. Answers true when
// `finite` is false and the string was written.
bool AppendInfinite(std::string& out, bool finite, bool positive) {
  if (finite) return false;
  out += positive ? "\"infinity\"" : "\"-infinity\"";
  return true;
}

// A timestamp of any precision: `raw` is in units of 1/`per_second` s. Finite values keep
// microseconds (nanoseconds are truncated, as DuckDB's own cast to TIMESTAMP does).
void AppendTimestamp(std::string& out, int64_t raw, int64_t per_second, bool finite) {
  if (AppendInfinite(out, finite, raw > 0)) return;
  int64_t micros = raw;
  if (per_second < 1000000) {
    const int64_t scale = 1000000 / per_second;
    // Finite values are within DuckDB's timestamp range, which fits in microseconds; clamp
    // anyway so a corrupt value cannot overflow.
    if (raw > INT64_MAX / scale || raw < -(INT64_MAX / scale)) {
      AppendInfinite(out, false, raw > 0);
      return;
    }
    micros = raw * scale;
  } else if (per_second > 1000000) {
    micros = raw / (per_second / 1000000);
  }
  AppendTimestampMicros(out, micros);
}

void AppendTimeOfDay(std::string& out, int hour, int min, int sec, int64_t fraction, int digits) {
  fmt::format_to(std::back_inserter(out), "{:02d}:{:02d}:{:02d}", hour, min, sec);
  if (fraction != 0) fmt::format_to(std::back_inserter(out), ".{:0{}d}", fraction, digits);
}

void AppendUuid(std::string& out, duckdb_hugeint h) {
  // DuckDB stores UUIDs with the top bit flipped so they sort as signed 128-bit integers.
  uint64_t upper = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
  std::string hex = fmt::format("{:016x}{:016x}", upper, h.lower);
  out += '"';
  out += hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
  out += '"';
}

}  // namespace

TypeNode ResolveType(duckdb_logical_type type) {
  TypeNode node;
  node.id = duckdb_get_type_id(type);
  switch (node.id) {
    case DUCKDB_TYPE_DECIMAL:
      node.internal = duckdb_decimal_internal_type(type);
      node.scale = duckdb_decimal_scale(type);
      node.name = fmt::format("DECIMAL({},{})", duckdb_decimal_width(type), node.scale);
      break;
    case DUCKDB_TYPE_ENUM: {
      node.internal = duckdb_enum_internal_type(type);
      const uint32_t n = duckdb_enum_dictionary_size(type);
      for (uint32_t i = 0; i < n; ++i)
        node.enum_values.push_back(TakeCString(duckdb_enum_dictionary_value(type, i)));
      node.name = "ENUM";
      break;
    }
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHandle child{duckdb_list_type_child_type(type)};
      node.children.push_back(ResolveType(child.t));
      node.name = node.children[0].name + "[]";
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHandle child{duckdb_array_type_child_type(type)};
      node.children.push_back(ResolveType(child.t));
      node.array_size = duckdb_array_type_array_size(type);
      node.name = fmt::format("{}[{}]", node.children[0].name, node.array_size);
      break;
    }
    case DUCKDB_TYPE_MAP: {
      // A MAP is stored as LIST(STRUCT(key, value)); resolve the entry struct.
      LogicalTypeHandle key{duckdb_map_type_key_type(type)};
      LogicalTypeHandle value{duckdb_map_type_value_type(type)};
      TypeNode entry;
      entry.id = DUCKDB_TYPE_STRUCT;
      entry.children = {ResolveType(key.t), ResolveType(value.t)};
      entry.names = {"key", "value"};
      node.name = fmt::format("MAP({}, {})", entry.children[0].name, entry.children[1].name);
      node.children.push_back(std::move(entry));
      break;
    }
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
      const bool is_union = node.id == DUCKDB_TYPE_UNION;
      const idx_t n =
          is_union ? duckdb_union_type_member_count(type) : duckdb_struct_type_child_count(type);
      std::string name = is_union ? "UNION(" : "STRUCT(";
      for (idx_t i = 0; i < n; ++i) {
        LogicalTypeHandle child{is_union ? duckdb_union_type_member_type(type, i)
                                         : duckdb_struct_type_child_type(type, i)};
        node.children.push_back(ResolveType(child.t));
        node.names.push_back(TakeCString(is_union ? duckdb_union_type_member_name(type, i)
                                                  : duckdb_struct_type_child_name(type, i)));
        if (i > 0) name += ", ";
        name += QuoteIdent(node.names.back()) + " " + node.children.back().name;
      }
      node.name = name + ")";
      break;
    }
    default:
      node.name = SimpleTypeName(node.id);
  }
  return node;
}

std::string LogicalTypeName(duckdb_logical_type type) {
  return ResolveType(type).name;
}

void AppendValueJson(std::string& out, duckdb_vector vector, const TypeNode& type, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity != nullptr && !duckdb_validity_row_is_valid(validity, row)) {
    out += "null";
    return;
  }
  void* data = duckdb_vector_get_data(vector);
  auto append_int = [&](auto v) { fmt::format_to(std::back_inserter(out), "{}", v); };
  switch (type.id) {
    case DUCKDB_TYPE_BOOLEAN:
      out += static_cast<bool*>(data)[row] ? "true" : "false";
      return;
    case DUCKDB_TYPE_TINYINT:
      return append_int(static_cast<int8_t*>(data)[row] + 0);
    case DUCKDB_TYPE_SMALLINT:
      return append_int(static_cast<int16_t*>(data)[row]);
    case DUCKDB_TYPE_INTEGER:
      return append_int(static_cast<int32_t*>(data)[row]);
    case DUCKDB_TYPE_BIGINT:
      return append_int(static_cast<int64_t*>(data)[row]);
    case DUCKDB_TYPE_UTINYINT:
      return append_int(static_cast<uint8_t*>(data)[row] + 0);
    case DUCKDB_TYPE_USMALLINT:
      return append_int(static_cast<uint16_t*>(data)[row]);
    case DUCKDB_TYPE_UINTEGER:
      return append_int(static_cast<uint32_t*>(data)[row]);
    case DUCKDB_TYPE_UBIGINT:
      return append_int(static_cast<uint64_t*>(data)[row]);
    case DUCKDB_TYPE_FLOAT:
      return AppendDouble(out, static_cast<float*>(data)[row]);
    case DUCKDB_TYPE_DOUBLE:
      return AppendDouble(out, static_cast<double*>(data)[row]);
    case DUCKDB_TYPE_HUGEINT:
      return AppendHugeint(out, static_cast<duckdb_hugeint*>(data)[row]);
    case DUCKDB_TYPE_UHUGEINT: {
      auto u = static_cast<duckdb_uhugeint*>(data)[row];
      unsigned __int128 v = (static_cast<unsigned __int128>(u.upper) << 64) | u.lower;
      std::string digits;
      do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
      } while (v > 0);
      out += digits;
      return;
    }
    case DUCKDB_TYPE_DECIMAL: {
      double unscaled = 0;
      switch (type.internal) {
        case DUCKDB_TYPE_SMALLINT:
          unscaled = static_cast<int16_t*>(data)[row];
          break;
        case DUCKDB_TYPE_INTEGER:
          unscaled = static_cast<int32_t*>(data)[row];
          break;
        case DUCKDB_TYPE_BIGINT:
          unscaled = static_cast<double>(static_cast<int64_t*>(data)[row]);
          break;
        default: {
          auto h = static_cast<duckdb_hugeint*>(data)[row];
          unscaled = duckdb_hugeint_to_double(h);
        }
      }
      return AppendDouble(out, unscaled / std::pow(10.0, type.scale));
    }
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
      auto* s = static_cast<duckdb_string_t*>(data) + row;
      out += '"';
      AppendJsonEscaped(out, std::string_view(duckdb_string_t_data(s), duckdb_string_t_length(*s)));
      out += '"';
      return;
    }
    case DUCKDB_TYPE_DATE: {
      const duckdb_date date = static_cast<duckdb_date*>(data)[row];
      if (AppendInfinite(out, duckdb_is_finite_date(date), date.days > 0)) return;
      duckdb_date_struct d = duckdb_from_date(date);
      fmt::format_to(std::back_inserter(out), "\"{:04d}-{:02d}-{:02d}\"", d.year, d.month, d.day);
      return;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
      const int64_t v = static_cast<int64_t*>(data)[row];
      return AppendTimestamp(out, v, 1000000, duckdb_is_finite_timestamp(duckdb_timestamp{v}));
    }
    case DUCKDB_TYPE_TIMESTAMP_S: {
      const int64_t v = static_cast<int64_t*>(data)[row];
      return AppendTimestamp(out, v, 1, duckdb_is_finite_timestamp_s(duckdb_timestamp_s{v}));
    }
    case DUCKDB_TYPE_TIMESTAMP_MS: {
      const int64_t v = static_cast<int64_t*>(data)[row];
      return AppendTimestamp(out, v, 1000, duckdb_is_finite_timestamp_ms(duckdb_timestamp_ms{v}));
    }
    case DUCKDB_TYPE_TIMESTAMP_NS: {
      const int64_t v = static_cast<int64_t*>(data)[row];
      return AppendTimestamp(out, v, 1000000000,
                             duckdb_is_finite_timestamp_ns(duckdb_timestamp_ns{v}));
    }
    case DUCKDB_TYPE_TIME: {
      duckdb_time_struct t = duckdb_from_time(static_cast<duckdb_time*>(data)[row]);
      out += '"';
      AppendTimeOfDay(out, t.hour, t.min, t.sec, t.micros, 6);
      out += '"';
      return;
    }
    case DUCKDB_TYPE_TIME_TZ: {
      // "12:30:00+02:00", as DuckDB prints it (offset in seconds east of UTC).
      duckdb_time_tz_struct t = duckdb_from_time_tz(static_cast<duckdb_time_tz*>(data)[row]);
      out += '"';
      AppendTimeOfDay(out, t.time.hour, t.time.min, t.time.sec, t.time.micros, 6);
      const int32_t off = t.offset < 0 ? -t.offset : t.offset;
      fmt::format_to(std::back_inserter(out), "{}{:02d}:{:02d}", t.offset < 0 ? '-' : '+',
                     off / 3600, off / 60 % 60);
      if (off % 60 != 0) fmt::format_to(std::back_inserter(out), ":{:02d}", off % 60);
      out += '"';
      return;
    }
    case DUCKDB_TYPE_INTERVAL: {
      auto iv = static_cast<duckdb_interval*>(data)[row];
      fmt::format_to(std::back_inserter(out), "{{\"months\":{},\"days\":{},\"micros\":{}}}",
                     iv.months, iv.days, iv.micros);
      return;
    }
    case DUCKDB_TYPE_UUID:
      return AppendUuid(out, static_cast<duckdb_hugeint*>(data)[row]);
    case DUCKDB_TYPE_ENUM: {
      uint32_t idx = 0;
      switch (type.internal) {
        case DUCKDB_TYPE_UTINYINT:
          idx = static_cast<uint8_t*>(data)[row];
          break;
        case DUCKDB_TYPE_USMALLINT:
          idx = static_cast<uint16_t*>(data)[row];
          break;
        default:
          idx = static_cast<uint32_t*>(data)[row];
      }
      out += '"';
      if (idx < type.enum_values.size()) AppendJsonEscaped(out, type.enum_values[idx]);
      out += '"';
      return;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP: {
      auto entry = static_cast<duckdb_list_entry*>(data)[row];
      duckdb_vector child = duckdb_list_vector_get_child(vector);
      const bool is_map = type.id == DUCKDB_TYPE_MAP;
      out += is_map ? '{' : '[';
      for (idx_t i = 0; i < entry.length; ++i) {
        if (i > 0) out += ',';
        if (is_map) {
          // Keys become JSON object keys (as text); values keep their type.
          std::string key;
          AppendValueJson(key, duckdb_struct_vector_get_child(child, 0),
                          type.children[0].children[0], entry.offset + i);
          if (key.empty() || key[0] != '"') key = "\"" + key + "\"";
          out += key;
          out += ':';
          AppendValueJson(out, duckdb_struct_vector_get_child(child, 1),
                          type.children[0].children[1], entry.offset + i);
        } else {
          AppendValueJson(out, child, type.children[0], entry.offset + i);
        }
      }
      out += is_map ? '}' : ']';
      return;
    }
    case DUCKDB_TYPE_ARRAY: {
      duckdb_vector child = duckdb_array_vector_get_child(vector);
      out += '[';
      for (idx_t i = 0; i < type.array_size; ++i) {
        if (i > 0) out += ',';
        AppendValueJson(out, child, type.children[0], row * type.array_size + i);
      }
      out += ']';
      return;
    }
    case DUCKDB_TYPE_STRUCT: {
      out += '{';
      for (size_t i = 0; i < type.children.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        AppendJsonEscaped(out, type.names[i]);
        out += "\":";
        AppendValueJson(out, duckdb_struct_vector_get_child(vector, i), type.children[i], row);
      }
      out += '}';
      return;
    }
    case DUCKDB_TYPE_UNION: {
      // Child 0 is the tag; child i+1 the member.
      uint8_t tag = static_cast<uint8_t*>(
          duckdb_vector_get_data(duckdb_struct_vector_get_child(vector, 0)))[row];
      if (tag < type.children.size()) {
        AppendValueJson(out, duckdb_struct_vector_get_child(vector, tag + 1), type.children[tag],
                        row);
      } else {
        out += "null";
      }
      return;
    }
    default:
      // BIT, BIGNUM...: not produced by our datasets; callers cast in SQL.
      out += "null";
      return;
  }
}

std::vector<ColumnSchema> ResultColumns(duckdb_result* result) {
  std::vector<ColumnSchema> cols;
  const idx_t n = duckdb_column_count(result);
  for (idx_t i = 0; i < n; ++i) {
    LogicalTypeHandle t{duckdb_column_logical_type(result, i)};
    cols.push_back(ColumnSchema{duckdb_column_name(result, i), LogicalTypeName(t.t)});
  }
  return cols;
}

}  // namespace lakehouse::duck
