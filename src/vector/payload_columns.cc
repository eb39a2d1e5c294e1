#include "vector/payload_columns.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace lakehouse {

struct PayloadColumns::Parser {
  simdjson::dom::parser dom;
};

PayloadColumns::PayloadColumns() : parser_(std::make_unique<Parser>()) {}
PayloadColumns::~PayloadColumns() = default;

int PayloadColumns::Field(std::string_view key) const {
  auto it = field_ids_.find(std::string(key));
  return it == field_ids_.end() ? -1 : it->second;
}

Status PayloadColumns::CheckRoom(size_t keys) const {
  if (fields_.size() + keys <= kMaxFields) return Status::OK();
  return Status::InvalidArgument(
      fmt::format("payload keys: an index holds at most {} distinct top-level keys; nest the rest",
                  kMaxFields));
}

Status PayloadColumns::Admits(const Json& payload) const {
  if (!payload.is_object()) return Status::InvalidArgument("payload must be a JSON object");
  size_t added = 0;
  for (const auto& [key, value] : payload.items()) added += field_ids_.count(key) == 0 ? 1 : 0;
  return CheckRoom(added);
}

PayloadColumns::Column& PayloadColumns::ColumnFor(std::string_view key, uint16_t* id) {
  auto [it, added] =
      field_ids_.try_emplace(std::string(key), static_cast<uint16_t>(fields_.size()));
  if (added) {
    fields_.push_back(std::make_unique<Column>());
    fields_.back()->key = std::string(key);
  }
  *id = it->second;
  return *fields_[it->second];
}

uint32_t PayloadColumns::Intern(Column& c, std::string_view s) {
  auto [it, added] = c.codes.try_emplace(std::string(s), static_cast<uint32_t>(c.strings.size()));
  if (added) c.strings.push_back(&it->first);
  return it->second;
}

uint32_t PayloadColumns::Code(int field, std::string_view s) const {
  const auto& codes = fields_[static_cast<size_t>(field)]->codes;
  auto it = codes.find(std::string(s));
  return it == codes.end() ? kNoCode : it->second;
}

void PayloadColumns::Put(Column& c, size_t label, Kind kind, uint64_t bits) {
  if (c.kinds.size() <= label) {
    c.kinds.resize(label + 1, Kind::kMissing);
    c.bits.resize(label + 1, 0);
  }
  c.kinds[label] = kind;
  c.bits[label] = bits;
}

uint32_t PayloadColumns::ShapeOf(const std::vector<uint16_t>& keys) {
  std::string name(reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(uint16_t));
  auto [it, added] = shape_ids_.try_emplace(std::move(name), static_cast<uint32_t>(shapes_.size()));
  if (added) shapes_.push_back(keys);
  return it->second;
}

void PayloadColumns::Erase(size_t label) {
  if (label >= shape_of_.size() || shape_of_[label] == kNoShape) return;
  for (uint16_t f : shapes_[shape_of_[label]]) Put(*fields_[f], label, Kind::kMissing, 0);
  shape_of_[label] = kNoShape;
}

Status PayloadColumns::Set(size_t label, std::string_view json) {
  simdjson::dom::element doc;
  if (parser_->dom.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(doc) !=
      simdjson::SUCCESS) {
    return SetSlow(label, json);  // e.g. an integer beyond 64 bits: nlohmann reads it
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS)
    return Status::InvalidArgument("payload must be a JSON object");
  if (fields_.size() + object.size() > kMaxFields) {  // near the bound: count the new keys
    size_t added = 0;
    for (auto [key, value] : object) added += field_ids_.count(std::string(key)) == 0 ? 1 : 0;
    LH_RETURN_IF_ERROR(CheckRoom(added));
  }
  Erase(label);
  std::vector<uint16_t> keys;
  for (auto [key, value] : object) {
    uint16_t id;
    Column& c = ColumnFor(key, &id);
    if (std::find(keys.begin(), keys.end(), id) == keys.end()) keys.push_back(id);
    uint64_t bits = 0;
    switch (value.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        Put(c, label, Kind::kNull, 0);
        break;
      case simdjson::dom::element_type::BOOL:
        Put(c, label, value.get_bool().value_unsafe() ? Kind::kTrue : Kind::kFalse, 0);
        break;
      case simdjson::dom::element_type::INT64: {
        const int64_t v = value.get_int64().value_unsafe();
        std::memcpy(&bits, &v, sizeof(v));
        Put(c, label, Kind::kInt, bits);
        break;
      }
      case simdjson::dom::element_type::UINT64:
        Put(c, label, Kind::kUint, value.get_uint64().value_unsafe());
        break;
      case simdjson::dom::element_type::DOUBLE: {
        const double v = value.get_double().value_unsafe();
        std::memcpy(&bits, &v, sizeof(v));
        Put(c, label, Kind::kDouble, bits);
        break;
      }
      case simdjson::dom::element_type::STRING:
        Put(c, label, Kind::kString, Intern(c, value.get_string().value_unsafe()));
        break;
      default: {
        simdjson::dom::array array;
        bool strings = value.get_array().get(array) == simdjson::SUCCESS;
        if (strings)
          for (auto x : array) strings = strings && x.is_string();
        if (strings) {
          const uint64_t offset = c.lists.size();
          for (auto x : array) c.lists.push_back(Intern(c, x.get_string().value_unsafe()));
          Put(c, label, Kind::kStrings, offset << 32 | (c.lists.size() - offset));
        } else {
          c.json.push_back(simdjson::minify(value));
          Put(c, label, Kind::kJson, c.json.size() - 1);
        }
      }
    }
  }
  if (shape_of_.size() <= label) shape_of_.resize(label + 1, kNoShape);
  shape_of_[label] = ShapeOf(keys);
  return Status::OK();
}

Status PayloadColumns::SetSlow(size_t label, std::string_view json) {
  auto parsed = ParseJson(json);
  if (!parsed.ok()) return Status::InvalidArgument("payload is not valid JSON");
  if (!parsed->is_object()) return Status::InvalidArgument("payload must be a JSON object");
  LH_RETURN_IF_ERROR(Admits(*parsed));
  Erase(label);
  std::vector<uint16_t> keys;
  for (const auto& [key, value] : parsed->items()) {
    uint16_t id;
    Column& c = ColumnFor(key, &id);
    keys.push_back(id);
    c.json.push_back(DumpJson(value));
    Put(c, label, Kind::kJson, c.json.size() - 1);
  }
  if (shape_of_.size() <= label) shape_of_.resize(label + 1, kNoShape);
  shape_of_[label] = ShapeOf(keys);
  return Status::OK();
}

std::pair<const uint32_t*, size_t> PayloadColumns::Strings(int field, Cell c) const {
  const auto& lists = fields_[static_cast<size_t>(field)]->lists;
  return {lists.data() + (c.bits >> 32), static_cast<size_t>(c.bits & 0xffffffffu)};
}

double PayloadColumns::Number(Cell c) {
  if (c.kind == Kind::kUint) return static_cast<double>(c.bits);
  if (c.kind == Kind::kInt) {
    int64_t v;
    std::memcpy(&v, &c.bits, sizeof(v));
    return static_cast<double>(v);
  }
  double v;
  std::memcpy(&v, &c.bits, sizeof(v));
  return v;
}

Json PayloadColumns::Value(int field, Cell c) const {
  switch (c.kind) {
    case Kind::kMissing:
    case Kind::kNull:
      return nullptr;
    case Kind::kFalse:
      return false;
    case Kind::kTrue:
      return true;
    case Kind::kInt: {
      int64_t v;
      std::memcpy(&v, &c.bits, sizeof(v));
      return v;
    }
    case Kind::kUint:
      return c.bits;
    case Kind::kDouble:
      return Number(c);
    case Kind::kString:
      return String(field, static_cast<uint32_t>(c.bits));
    case Kind::kStrings: {
      Json out = Json::array();
      auto [codes, n] = Strings(field, c);
      for (size_t i = 0; i < n; ++i) out.push_back(String(field, codes[i]));
      return out;
    }
    case Kind::kJson: {
      auto parsed = ParseJson(fields_[static_cast<size_t>(field)]->json[c.bits]);
      return parsed.ok() ? std::move(parsed).value() : Json();  // written by Set: valid
    }
  }
  return nullptr;
}

Json PayloadColumns::Get(size_t label, const std::vector<std::string>* keys) const {
  Json out = Json::object();
  if (label >= shape_of_.size() || shape_of_[label] == kNoShape) return out;
  const auto& shape = shapes_[shape_of_[label]];
  // A shape's keys are distinct: appended in place, without ordered_map's search per key
  // (and its copies of every pair as the object grows).
  auto& object = out.get_ref<Json::object_t&>();
  object.reserve(keys ? keys->size() : shape.size());
  for (uint16_t f : shape) {
    const std::string& key = fields_[f]->key;
    if (keys && std::find(keys->begin(), keys->end(), key) == keys->end()) continue;
    object.emplace_back(key, Value(f, At(f, label)));
  }
  return out;
}

}  // namespace lakehouse
