// src/vector/payload_columns.h: an index's payloads as typed columns, one per top-level key.
//
// A payload is kept as cells, not as a JSON tree: per key a column by label of a kind byte
// and 8 bytes (a number's bits, a string's code in the column's dictionary, a list of
// strings' place in the column's code arena, or a value of another shape as JSON text), and
// per label the order of its keys (a shape, shared by payloads with the same keys). A
// worker's 16 fields take ~180 bytes instead of a ~1.5 KB tree; filters compare codes and
// numbers (PayloadFilter::Bind) and posting lists read cells; the JSON object is rebuilt
// only for results (Get). Payload text is parsed with simdjson (reopening 500k payloads
// is a fraction of a second); a payload simdjson cannot hold exactly (an integer beyond
// 64 bits) is parsed with nlohmann and kept as JSON text per key.
//
// Columns are inferred from the data: a key's cells may differ in kind from label to label.
// Dictionaries and arenas keep values of replaced payloads until the index is reopened.
//
// Thread-safety: none of its own; the side store's owner (VectorIndex's lock) guards it.
// Const methods only read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

class PayloadColumns {
 public:
  enum class Kind : uint8_t {
    kMissing,  // the payload has no such key
    kNull,
    kFalse,
    kTrue,
    kInt,   // int64
    kUint,  // uint64 beyond int64
    kDouble,
    kString,   // code in the column's dictionary
    kStrings,  // an array of strings: (offset << 32 | count) in the column's arena
    kJson,     // anything else: index of its JSON text
  };
  struct Cell {
    Kind kind = Kind::kMissing;
    uint64_t bits = 0;
  };
  static constexpr uint32_t kNoCode = UINT32_MAX;

  PayloadColumns();
  ~PayloadColumns();
  PayloadColumns(const PayloadColumns&) = delete;
  PayloadColumns& operator=(const PayloadColumns&) = delete;

  //! The payload of `label` becomes the JSON object `json` (replacing what it had).
  Status Set(size_t label, std::string_view json);
  void Erase(size_t label);
  //! Whether a payload can be Set: an object whose new keys keep the index within
  //! kMaxFields distinct keys.
  Status Admits(const Json& payload) const;
  //! The payload rebuilt, keys in their order (an empty object for a label without one).
  //! `keys`: only these keys (those it has), for a caller that reads a few fields.
  Json Get(size_t label, const std::vector<std::string>* keys = nullptr) const;

  //! A column by key, -1 when no payload has the key.
  int Field(std::string_view key) const;
  //! Every column's key, by column number (what Field answers).
  size_t FieldCount() const { return fields_.size(); }
  const std::string& Key(int field) const { return fields_[static_cast<size_t>(field)]->key; }
  //! One past the last label a column has a cell for (At answers kMissing from there on).
  size_t Extent(int field) const { return fields_[static_cast<size_t>(field)]->kinds.size(); }
  //! How many codes a column's dictionary has given out (strings of replaced payloads too).
  size_t DictionarySize(int field) const {
    return fields_[static_cast<size_t>(field)]->strings.size();
  }
  Cell At(int field, size_t label) const {
    const auto& f = *fields_[static_cast<size_t>(field)];
    return label < f.kinds.size() ? Cell{f.kinds[label], f.bits[label]} : Cell{};
  }
  //! A string's code in a column's dictionary, kNoCode when no payload holds it there.
  uint32_t Code(int field, std::string_view s) const;
  const std::string& String(int field, uint32_t code) const {
    return *fields_[static_cast<size_t>(field)]->strings[code];
  }
  //! The codes of a kStrings cell.
  std::pair<const uint32_t*, size_t> Strings(int field, Cell c) const;
  //! A number cell (kInt, kUint, kDouble) as a double.
  static double Number(Cell c);
  static bool IsNumber(Cell c) {
    return c.kind == Kind::kInt || c.kind == Kind::kUint || c.kind == Kind::kDouble;
  }
  //! Any cell as JSON (null for kMissing).
  Json Value(int field, Cell c) const;

 private:
  struct Column {
    std::string key;
    std::vector<Kind> kinds;  // by label
    std::vector<uint64_t> bits;
    std::unordered_map<std::string, uint32_t> codes;  // dictionary
    std::vector<const std::string*> strings;          // code -> its string (map nodes stay)
    std::vector<uint32_t> lists;                      // kStrings arena
    std::vector<std::string> json;                    // kJson texts
  };
  struct Parser;
  Column& ColumnFor(std::string_view key, uint16_t* id);
  uint32_t Intern(Column& c, std::string_view s);
  void Put(Column& c, size_t label, Kind kind, uint64_t bits);
  //! Interns a key order; the shape id.
  uint32_t ShapeOf(const std::vector<uint16_t>& keys);
  Status SetSlow(size_t label, std::string_view json);
  //! Refuses a payload that could bring the index past kMaxFields keys.
  Status CheckRoom(size_t keys) const;
  static constexpr size_t kMaxFields = 4096;

  std::vector<std::unique_ptr<Column>> fields_;
  std::unordered_map<std::string, uint16_t> field_ids_;
  std::vector<std::vector<uint16_t>> shapes_;  // shape id -> its keys, in order
  std::unordered_map<std::string, uint32_t> shape_ids_;
  std::vector<uint32_t> shape_of_;  // by label; kNoShape when none
  std::unique_ptr<Parser> parser_;
  static constexpr uint32_t kNoShape = UINT32_MAX;
};

}  // namespace lakehouse
