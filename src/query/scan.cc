#include "query/scan.h"

#include <duckdb.h>

#include <cmath>
#include <cstdio>

#include "core/clock.h"
#include "query/duckdb_handle.h"

namespace lakehouse {
namespace {

bool Valid(const uint64_t* validity, size_t row) {
  return validity == nullptr || duckdb_validity_row_is_valid(const_cast<uint64_t*>(validity), row);
}

std::string_view StringAt(const void* data, size_t row) {
  auto* s = const_cast<duckdb_string_t*>(static_cast<const duckdb_string_t*>(data) + row);
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}

bool IsText(int type) {
  return type == DUCKDB_TYPE_VARCHAR || type == DUCKDB_TYPE_BLOB;
}

template <typename T>
T At(const void* data, size_t row) {
  return static_cast<const T*>(data)[row];
}

// The value at `row` of a vector of an integer type that fits int64 (not UBIGINT, HUGEINT),
// or nullopt for any other type.
std::optional<int64_t> IntegerAt(int type, const void* data, size_t row) {
  switch (type) {
    case DUCKDB_TYPE_TINYINT:
      return At<int8_t>(data, row);
    case DUCKDB_TYPE_SMALLINT:
      return At<int16_t>(data, row);
    case DUCKDB_TYPE_INTEGER:
      return At<int32_t>(data, row);
    case DUCKDB_TYPE_BIGINT:
      return At<int64_t>(data, row);
    case DUCKDB_TYPE_UTINYINT:
      return At<uint8_t>(data, row);
    case DUCKDB_TYPE_USMALLINT:
      return At<uint16_t>(data, row);
    case DUCKDB_TYPE_UINTEGER:
      return At<uint32_t>(data, row);
    default:
      return std::nullopt;
  }
}

}  // namespace

bool ScanColumn::IsNull(size_t row) const {
  return !Valid(raw_.validity, row);
}

std::string_view ScanColumn::String(size_t row) const {
  if (IsNull(row)) return {};
  if (IsText(raw_.type)) return StringAt(raw_.data, row);
  if (raw_.type == DUCKDB_TYPE_ENUM && raw_.enum_values != nullptr) {
    size_t idx = raw_.internal == DUCKDB_TYPE_UTINYINT    ? At<uint8_t>(raw_.data, row)
                 : raw_.internal == DUCKDB_TYPE_USMALLINT ? At<uint16_t>(raw_.data, row)
                                                          : At<uint32_t>(raw_.data, row);
    if (idx < raw_.enum_values->size()) return (*raw_.enum_values)[idx];
  }
  return {};
}

std::optional<double> ScanColumn::Number(size_t row) const {
  if (IsNull(row)) return std::nullopt;
  double v = 0;
  if (auto i = IntegerAt(raw_.type, raw_.data, row)) {
    v = static_cast<double>(*i);
  } else {
    switch (raw_.type) {
      case DUCKDB_TYPE_UBIGINT:
        v = static_cast<double>(At<uint64_t>(raw_.data, row));
        break;
      case DUCKDB_TYPE_HUGEINT:
        v = duckdb_hugeint_to_double(At<duckdb_hugeint>(raw_.data, row));
        break;
      case DUCKDB_TYPE_FLOAT:
        v = At<float>(raw_.data, row);
        break;
      case DUCKDB_TYPE_DOUBLE:
        v = At<double>(raw_.data, row);
        break;
      case DUCKDB_TYPE_DECIMAL: {
        // Stored as a 16-, 32-, 64- or 128-bit integer scaled by 10^scale.
        auto unscaled = IntegerAt(raw_.internal, raw_.data, row);
        v = unscaled ? static_cast<double>(*unscaled)
                     : duckdb_hugeint_to_double(At<duckdb_hugeint>(raw_.data, row));
        v /= std::pow(10.0, raw_.scale);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

bool ScanColumn::Bool(size_t row) const {
  return raw_.type == DUCKDB_TYPE_BOOLEAN && !IsNull(row) && At<bool>(raw_.data, row);
}

std::optional<int32_t> ScanColumn::Day(size_t row) const {
  if (IsNull(row)) return std::nullopt;
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
  auto floor_div = [](int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  // Infinite dates and timestamps have no day.
  switch (raw_.type) {
    case DUCKDB_TYPE_DATE: {
      const duckdb_date d = At<duckdb_date>(raw_.data, row);
      if (!duckdb_is_finite_date(d)) return std::nullopt;
      return d.days;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS: {
      // Every precision marks its infinities with the same two values (the largest int64
      // and its negation), which is what duckdb_is_finite_timestamp checks.
      const int64_t v = At<int64_t>(raw_.data, row);
      if (!duckdb_is_finite_timestamp(duckdb_timestamp{v})) return std::nullopt;
      const int64_t per_day = raw_.type == DUCKDB_TYPE_TIMESTAMP_S    ? 86400
                              : raw_.type == DUCKDB_TYPE_TIMESTAMP_MS ? 86400LL * 1000
                                                                      : kMicrosPerDay;
      return static_cast<int32_t>(floor_div(v, per_day));
    }
    default:
      break;
  }
  const std::string_view s = String(row);
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 ||
      std::sscanf(std::string(s.substr(0, 10)).c_str(), "%d-%d-%d", &y, &m, &d) != 3)
    return std::nullopt;
  return static_cast<int32_t>(DaysFromCivil(y, m, d));
}

size_t ScanColumn::ListSize(size_t row) const {
  if (raw_.type != DUCKDB_TYPE_LIST || IsNull(row)) return 0;
  return At<duckdb_list_entry>(raw_.data, row).length;
}

std::vector<std::string_view> ScanColumn::StringList(size_t row) const {
  std::vector<std::string_view> out;
  if (raw_.type != DUCKDB_TYPE_LIST || IsNull(row) || !IsText(raw_.child_type)) return out;
  const duckdb_list_entry e = At<duckdb_list_entry>(raw_.data, row);
  out.reserve(e.length);
  for (uint64_t i = e.offset; i < e.offset + e.length; ++i)
    if (Valid(raw_.child_validity, i)) out.push_back(StringAt(raw_.child_data, i));
  return out;
}

Json ScanColumn::Value(size_t row) const {
  if (IsNull(row)) return nullptr;
  if (auto i = IntegerAt(raw_.type, raw_.data, row)) return *i;
  switch (raw_.type) {
    case DUCKDB_TYPE_BOOLEAN:
      return At<bool>(raw_.data, row);
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL: {
      auto v = Number(row);
      return v ? Json(*v) : Json(nullptr);
    }
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_ENUM:
      return std::string(String(row));
    case DUCKDB_TYPE_LIST:
      if (IsText(raw_.child_type)) {
        const duckdb_list_entry e = At<duckdb_list_entry>(raw_.data, row);
        Json out = Json::array();
        for (uint64_t i = e.offset; i < e.offset + e.length; ++i)
          out.push_back(Valid(raw_.child_validity, i)
                            ? Json(std::string(StringAt(raw_.child_data, i)))
                            : Json(nullptr));
        return out;
      }
      break;
    default:
      break;
  }
  std::string text;
  duck::AppendValueJson(text, static_cast<duckdb_vector>(raw_.vector),
                        *static_cast<const duck::TypeNode*>(raw_.type_node), row);
  return Json::parse(text);
}

}  // namespace lakehouse
