#include "iceberg/schema.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace lakehouse::iceberg {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "a VARCHAR, b STRUCT(x INT, y INT)" -> the parts between top-level commas.
std::vector<std::string_view> SplitTop(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(Trim(s.substr(start)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// The inside of "NAME(...)".
std::string_view Inside(std::string_view t, std::string_view name) {
  return t.substr(name.size() + 1, t.size() - name.size() - 2);
}

struct Converter {
  int32_t* last_id;
  std::string_view column;

  int32_t NextId() { return ++*last_id; }

  Status Refuse(std::string_view type) const {
    return Status::InvalidArgument(fmt::format(
        "column '{}' has type {}, which an Iceberg table cannot hold: cast it to a supported "
        "type (BIGINT, DOUBLE, DECIMAL, VARCHAR, TIMESTAMP, ...)",
        column, type));
  }

  Result<Json> Type(std::string_view t) {
    t = Trim(t);
    if (!t.empty() && t.back() == ']') {  // T[] or T[N]: a list
      const size_t open = t.rfind('[');
      if (open == std::string_view::npos) return Refuse(t);
      const int32_t element_id = NextId();
      LH_ASSIGN_OR_RETURN(Json element, Type(t.substr(0, open)));
      return Json{{"type", "list"},
                  {"element-id", element_id},
                  {"element", std::move(element)},
                  {"element-required", false}};
    }
    if (StartsWith(t, "STRUCT(") && t.back() == ')') {
      std::vector<std::pair<std::string, std::string_view>> members;
      for (std::string_view m : SplitTop(Inside(t, "STRUCT"))) {
        std::string name;
        size_t at = 0;
        if (!m.empty() && m[0] == '"') {
          at = 1;
          while (at < m.size() && !(m[at] == '"' && (at + 1 >= m.size() || m[at + 1] != '"'))) {
            if (m[at] == '"') ++at;  // "" inside a quoted name
            name += m[at++];
          }
          ++at;
        } else {
          at = m.find(' ');
          if (at == std::string_view::npos) return Refuse(t);
          name = std::string(m.substr(0, at));
        }
        members.emplace_back(std::move(name), m.substr(at));
      }
      std::vector<int32_t> ids;
      for (size_t i = 0; i < members.size(); ++i) ids.push_back(NextId());
      Json fields = Json::array();
      for (size_t i = 0; i < members.size(); ++i) {
        LH_ASSIGN_OR_RETURN(Json type, Type(members[i].second));
        fields.push_back(Json{{"id", ids[i]},
                              {"name", members[i].first},
                              {"required", false},
                              {"type", std::move(type)}});
      }
      return Json{{"type", "struct"}, {"fields", std::move(fields)}};
    }
    if (StartsWith(t, "MAP(") && t.back() == ')') {
      auto kv = SplitTop(Inside(t, "MAP"));
      if (kv.size() != 2) return Refuse(t);
      const int32_t key_id = NextId(), value_id = NextId();
      LH_ASSIGN_OR_RETURN(Json key, Type(kv[0]));
      LH_ASSIGN_OR_RETURN(Json value, Type(kv[1]));
      return Json{{"type", "map"},        {"key-id", key_id},          {"key", std::move(key)},
                  {"value-id", value_id}, {"value", std::move(value)}, {"value-required", false}};
    }
    if (StartsWith(t, "DECIMAL(") && t.back() == ')') {
      auto ps = SplitTop(Inside(t, "DECIMAL"));
      if (ps.size() != 2) return Refuse(t);
      return Json(fmt::format("decimal({}, {})", ps[0], ps[1]));
    }
    if (StartsWith(t, "ENUM(")) return Json("string");
    static const std::pair<std::string_view, std::string_view> kPrimitives[] = {
        {"BOOLEAN", "boolean"},     {"TINYINT", "int"},
        {"SMALLINT", "int"},        {"INTEGER", "int"},
        {"UTINYINT", "int"},        {"USMALLINT", "int"},
        {"BIGINT", "long"},         {"UINTEGER", "long"},
        {"FLOAT", "float"},         {"DOUBLE", "double"},
        {"DATE", "date"},           {"TIME", "time"},
        {"TIMESTAMP", "timestamp"}, {"TIMESTAMP WITH TIME ZONE", "timestamptz"},
        {"VARCHAR", "string"},      {"JSON", "string"},
        {"BLOB", "binary"},         {"UUID", "uuid"},
    };
    for (const auto& [duck, ice] : kPrimitives)
      if (t == duck) return Json(std::string(ice));
    return Refuse(t);
  }
};

std::string QuoteName(const std::string& name) {
  bool plain = !name.empty();
  for (char c : name)
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The DuckDB type an Iceberg type reads back as.
Result<std::string> DuckDbType(const Json& t) {
  if (t.is_string()) {
    const std::string s = t.get<std::string>();
    static const std::pair<std::string_view, std::string_view> kPrimitives[] = {
        {"boolean", "BOOLEAN"},
        {"int", "INTEGER"},
        {"long", "BIGINT"},
        {"float", "FLOAT"},
        {"double", "DOUBLE"},
        {"date", "DATE"},
        {"time", "TIME"},
        {"timestamp", "TIMESTAMP"},
        {"timestamptz", "TIMESTAMP WITH TIME ZONE"},
        {"string", "VARCHAR"},
        {"binary", "BLOB"},
        {"uuid", "UUID"},
    };
    for (const auto& [ice, duck] : kPrimitives)
      if (s == ice) return std::string(duck);
    if (StartsWith(s, "decimal(") && s.back() == ')') {
      auto ps = SplitTop(Inside(s, "decimal"));
      if (ps.size() == 2) return fmt::format("DECIMAL({},{})", ps[0], ps[1]);
    }
    if (StartsWith(s, "fixed[")) return std::string("BLOB");
    return Status::Corruption(fmt::format("unknown Iceberg type '{}'", s));
  }
  const std::string kind = t.value("type", "");
  if (kind == "list") {
    LH_ASSIGN_OR_RETURN(std::string element, DuckDbType(t.at("element")));
    return element + "[]";
  }
  if (kind == "map") {
    LH_ASSIGN_OR_RETURN(std::string k, DuckDbType(t.at("key")));
    LH_ASSIGN_OR_RETURN(std::string v, DuckDbType(t.at("value")));
    return fmt::format("MAP({}, {})", k, v);
  }
  if (kind == "struct") {
    std::string out = "STRUCT(";
    for (const auto& f : t.at("fields")) {
      LH_ASSIGN_OR_RETURN(std::string ft, DuckDbType(f.at("type")));
      if (out.size() > 7) out += ", ";
      out += QuoteName(f.at("name").get<std::string>()) + " " + ft;
    }
    return out + ")";
  }
  return Status::Corruption(fmt::format("unknown Iceberg type {}", DumpJson(t)));
}

Json FieldMapping(int32_t id, const std::string& name, const Json& type) {
  Json m{{"field-id", id}, {"names", Json::array({name})}};
  Json nested = Json::array();
  if (type.is_object()) {
    const std::string kind = type.value("type", "");
    if (kind == "list") {
      nested.push_back(FieldMapping(type.at("element-id"), "element", type.at("element")));
    } else if (kind == "map") {
      nested.push_back(FieldMapping(type.at("key-id"), "key", type.at("key")));
      nested.push_back(FieldMapping(type.at("value-id"), "value", type.at("value")));
    } else if (kind == "struct") {
      for (const auto& f : type.at("fields"))
        nested.push_back(FieldMapping(f.at("id"), f.at("name"), f.at("type")));
    }
  }
  if (!nested.empty()) m["fields"] = std::move(nested);
  return m;
}

std::string QuotedKey(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// `id`, or {"__duckdb_field_id": id, <children>} for a nested type.
std::string FieldIdValue(int32_t id, const Json& type) {
  std::vector<std::pair<std::string, std::string>> children;
  if (type.is_object()) {
    const std::string kind = type.value("type", "");
    if (kind == "list") {
      children.emplace_back("element", FieldIdValue(type.at("element-id"), type.at("element")));
    } else if (kind == "map") {
      children.emplace_back("key", FieldIdValue(type.at("key-id"), type.at("key")));
      children.emplace_back("value", FieldIdValue(type.at("value-id"), type.at("value")));
    } else if (kind == "struct") {
      for (const auto& f : type.at("fields"))
        children.emplace_back(f.at("name").get<std::string>(),
                              FieldIdValue(f.at("id"), f.at("type")));
    }
  }
  if (children.empty()) return std::to_string(id);
  std::string out = fmt::format("{{\"__duckdb_field_id\": {}", id);
  for (const auto& [name, value] : children) out += ", " + QuotedKey(name) + ": " + value;
  return out + "}";
}

template <typename T>
std::string LittleEndian(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));  // x86-64 is little-endian
  return out;
}

template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The first `n` UTF-8 characters of `s` (all of it when shorter).
std::string_view Utf8Prefix(std::string_view s, size_t n) {
  size_t i = 0, chars = 0;
  while (i < s.size() && chars < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++chars;
  }
  return s.substr(0, std::min(i, s.size()));
}

}  // namespace

Json Schema::ToJson() const {
  Json fs = Json::array();
  for (const auto& f : fields)
    fs.push_back(Json{{"id", f.id}, {"name", f.name}, {"required", false}, {"type", f.type}});
  return Json{{"type", "struct"}, {"schema-id", schema_id}, {"fields", std::move(fs)}};
}

const Field* Schema::Find(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

Result<Schema> BuildSchema(const Columns& columns, const Schema* previous, int32_t* last_column_id,
                           int32_t schema_id) {
  Schema s;
  s.schema_id = schema_id;
  std::vector<size_t> fresh;
  for (const auto& [name, type] : columns) {
    const Field* old = previous ? previous->Find(name) : nullptr;
    if (old != nullptr && old->duckdb_type == type) {
      s.fields.push_back(*old);
    } else {
      s.fields.push_back(Field{++*last_column_id, name, type, nullptr});
      fresh.push_back(s.fields.size() - 1);
    }
  }
  for (size_t i : fresh) {  // nested ids after every new top-level one
    Converter c{last_column_id, s.fields[i].name};
    LH_ASSIGN_OR_RETURN(s.fields[i].type, c.Type(s.fields[i].duckdb_type));
  }
  return s;
}

Result<Schema> SchemaFromJson(const Json& j, const std::map<int32_t, std::string>& duckdb_types) {
  try {
    Schema s;
    s.schema_id = j.value("schema-id", 0);
    for (const auto& f : j.at("fields")) {
      Field field;
      field.id = f.at("id").get<int32_t>();
      field.name = f.at("name").get<std::string>();
      field.type = f.at("type");
      auto it = duckdb_types.find(field.id);
      if (it != duckdb_types.end()) {
        field.duckdb_type = it->second;
      } else {
        LH_ASSIGN_OR_RETURN(field.duckdb_type, DuckDbType(field.type));
      }
      s.fields.push_back(std::move(field));
    }
    return s;
  } catch (const Json::exception& e) {
    return Status::Corruption(fmt::format("schema is malformed: {}", e.what()));
  }
}

std::map<int32_t, std::string> DuckDbTypeOverrides(const Schema& schema) {
  std::map<int32_t, std::string> out;
  for (const auto& f : schema.fields) {
    auto back = DuckDbType(f.type);
    if (!back.ok() || *back != f.duckdb_type) out[f.id] = f.duckdb_type;
  }
  return out;
}

Json NameMapping(const Schema& schema) {
  Json out = Json::array();
  for (const auto& f : schema.fields) out.push_back(FieldMapping(f.id, f.name, f.type));
  return out;
}

std::string DuckDbFieldIds(const Schema& schema) {
  std::string out = "{";
  for (const auto& f : schema.fields) {
    if (out.size() > 1) out += ", ";
    out += QuotedKey(f.name) + ": " + FieldIdValue(f.id, f.type);
  }
  return out + "}";
}

std::optional<std::string> EncodeBound(const Json& iceberg_type, std::string_view value,
                                       bool upper) {
  if (!iceberg_type.is_string()) return std::nullopt;
  const std::string t = iceberg_type.get<std::string>();
  if (t == "boolean") {
    if (value != "true" && value != "false") return std::nullopt;
    return std::string(1, value == "true" ? '\1' : '\0');
  }
  if (t == "int" || t == "date") {
    auto v = ParseNumber<int32_t>(value);
    return v ? std::optional(LittleEndian(*v)) : std::nullopt;
  }
  if (t == "long" || t == "timestamp" || t == "timestamptz" || t == "time") {
    auto v = ParseNumber<int64_t>(value);
    return v ? std::optional(LittleEndian(*v)) : std::nullopt;
  }
  if (t == "float" || t == "double") {
    auto v = ParseNumber<double>(value);
    if (!v || *v != *v) return std::nullopt;  // NaN bounds nothing
    return t == "float" ? LittleEndian(static_cast<float>(*v)) : LittleEndian(*v);
  }
  if (t == "string") {
    constexpr size_t kChars = 16;  // Iceberg's default truncate(16)
    std::string_view cut = Utf8Prefix(value, kChars);
    if (cut.size() == value.size() || !upper) return std::string(cut);
    // An upper bound cut short must still be >= every value: bump its last character
    // (ASCII only; otherwise no upper bound).
    std::string out(cut);
    if (static_cast<unsigned char>(out.back()) >= 0x7f) return std::nullopt;
    ++out.back();
    return out;
  }
  return std::nullopt;
}

}  // namespace lakehouse::iceberg
