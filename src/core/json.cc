#include "core/json.h"

#include <fmt/format.h>

namespace lakehouse {

namespace {
// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string_view WithoutExceptionTag(std::string_view what) {
  if (auto close = what.find("] "); what.substr(0, 1) == "[" && close != std::string_view::npos) {
    what.remove_prefix(close + 2);
  }
  return what;
}
}  // namespace

Result<Json> ParseJson(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument(
        fmt::format("invalid JSON at byte {}: {}", e.byte, WithoutExceptionTag(e.what())));
  } catch (const Json::exception& e) {
    // Not a syntax error but still bad input, e.g. a number too large for a double
    // ("1e999": out_of_range.406). Found by fuzz/parsers_fuzz.cc.
    return Status::InvalidArgument(fmt::format("invalid JSON: {}", WithoutExceptionTag(e.what())));
  }
}

Result<Json> ParseJsonObject(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("request body is empty: expected a JSON object");
  LH_ASSIGN_OR_RETURN(Json value, ParseJson(text));
  if (!value.is_object()) {
    return Status::InvalidArgument(
        fmt::format("request body must be a JSON object, got {}", JsonTypeName(value)));
  }
  return value;
}

Json ErrorJson(const Status& status) {
  Json err = Json::object();
  err["code"] = std::string(ErrorCodeName(status.code()));
  err["message"] = status.message();
  Json out = Json::object();
  out["error"] = std::move(err);
  return out;
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view JsonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "value";
  }
}

void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: a run of plain ASCII that needs no escaping.
    size_t j = i;
    while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') ++j;
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence; copy it through or replace it.
    size_t len = (c >= 0xF0 && c <= 0xF4)   ? 4
                 : (c >= 0xE0 && c <= 0xEF) ? 3
                 : (c >= 0xC2 && c <= 0xDF) ? 2
                                            : 0;
    bool valid = len > 0 && i + len <= n;
    for (size_t k = 1; valid && k < len; ++k) valid = (p[i + k] & 0xC0) == 0x80;
    if (valid && len == 3) {
      valid = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    } else if (valid && len == 4) {
      valid = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
    }
    if (valid) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

namespace {
const Json* FindField(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
Status WrongType(std::string_view field, std::string_view expected, const Json& got) {
  return Status::InvalidArgument(
      fmt::format("field '{}' must be {}, got {}", field, expected, JsonTypeName(got)));
}
}  // namespace

Result<std::string> RequiredString(const Json& obj, std::string_view field) {
  const Json* v = FindField(obj, field);
  if (v == nullptr) return Status::InvalidArgument(fmt::format("field '{}' is required", field));
  if (!v->is_string()) return WrongType(field, "a string", *v);
  return v->get<std::string>();
}

Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field) {
  const Json* v = FindField(obj, field);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(field, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view field) {
  const Json* v = FindField(obj, field);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_number_integer() || v->is_number_unsigned())
    return std::optional<int64_t>(v->get<int64_t>());
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)))
      return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return WrongType(field, "an integer", *v);
}

Result<std::optional<bool>> OptionalBool(const Json& obj, std::string_view field) {
  const Json* v = FindField(obj, field);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return WrongType(field, "a boolean", *v);
  return std::optional<bool>(v->get<bool>());
}

std::string StringField(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json FieldOrNull(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() ? *it : Json(nullptr);
}

}  // namespace lakehouse
