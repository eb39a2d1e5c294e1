#include "iceberg/manifest.h"

#include <avro.h>
#include <fmt/format.h>

#include <cstdio>
#include <functional>
#include <memory>

#include "core/ids.h"

namespace lakehouse::iceberg {
namespace {

// The Iceberg v2 schemas (spec, "Manifests" and "Manifest Lists"), unpartitioned: the
// field ids are part of the format; readers such as Spark project by them.
const std::string& ManifestEntrySchema() {
  static const std::string schema = [] {
    auto map = [](const char* name, int field_id, int key_id, const char* value_type) {
      return fmt::format(
          R"({{"name":"{}","type":["null",{{"type":"array","logicalType":"map","items":{{"type":"record","name":"k{}_v{}","fields":[{{"name":"key","type":"int","field-id":{}}},{{"name":"value","type":"{}","field-id":{}}}]}}}}],"default":null,"field-id":{}}})",
          name, key_id, key_id + 1, key_id, value_type, key_id + 1, field_id);
    };
    return std::string(
               R"({"type":"record","name":"manifest_entry","fields":[)"
               R"({"name":"status","type":"int","field-id":0},)"
               R"({"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},)"
               R"({"name":"sequence_number","type":["null","long"],"default":null,"field-id":3},)"
               R"({"name":"file_sequence_number","type":["null","long"],"default":null,"field-id":4},)"
               R"({"name":"data_file","type":{"type":"record","name":"r2","fields":[)"
               R"({"name":"content","type":"int","field-id":134},)"
               R"({"name":"file_path","type":"string","field-id":100},)"
               R"({"name":"file_format","type":"string","field-id":101},)"
               R"({"name":"partition","type":{"type":"record","name":"r102","fields":[]},"field-id":102},)"
               R"({"name":"record_count","type":"long","field-id":103},)"
               R"({"name":"file_size_in_bytes","type":"long","field-id":104},)") +
           map("column_sizes", 108, 117, "long") + "," + map("value_counts", 109, 119, "long") +
           "," + map("null_value_counts", 110, 121, "long") + "," +
           map("lower_bounds", 125, 126, "bytes") + "," + map("upper_bounds", 128, 129, "bytes") +
           R"(]},"field-id":2}]})";
  }();
  return schema;
}

constexpr const char* kManifestListSchema =
    R"({"type":"record","name":"manifest_file","fields":[)"
    R"({"name":"manifest_path","type":"string","field-id":500},)"
    R"({"name":"manifest_length","type":"long","field-id":501},)"
    R"({"name":"partition_spec_id","type":"int","field-id":502},)"
    R"({"name":"content","type":"int","field-id":517},)"
    R"({"name":"sequence_number","type":"long","field-id":515},)"
    R"({"name":"min_sequence_number","type":"long","field-id":516},)"
    R"({"name":"added_snapshot_id","type":"long","field-id":503},)"
    R"({"name":"added_files_count","type":"int","field-id":504},)"
    R"({"name":"existing_files_count","type":"int","field-id":505},)"
    R"({"name":"deleted_files_count","type":"int","field-id":506},)"
    R"({"name":"added_rows_count","type":"long","field-id":512},)"
    R"({"name":"existing_rows_count","type":"long","field-id":513},)"
    R"({"name":"deleted_rows_count","type":"long","field-id":514}]})";

Status AvroError(const char* what) {
  return Status::Internal(fmt::format("avro: {}: {}", what, avro_strerror()));
}

// Owns a generic value of a schema parsed from JSON.
class Record {
 public:
  static Result<std::unique_ptr<Record>> Of(const std::string& schema_json) {
    auto r = std::unique_ptr<Record>(new Record);
    if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &r->schema_) != 0)
      return AvroError("parsing a schema");
    r->iface_ = avro_generic_class_from_schema(r->schema_);
    if (r->iface_ == nullptr || avro_generic_value_new(r->iface_, &r->value_) != 0)
      return AvroError("creating a value");
    r->has_value_ = true;
    return r;
  }
  ~Record() {
    if (has_value_) avro_value_decref(&value_);
    if (iface_ != nullptr) avro_value_iface_decref(iface_);
    if (schema_ != nullptr) avro_schema_decref(schema_);
  }
  avro_value_t* value() { return &value_; }

 private:
  Record() = default;
  avro_schema_t schema_ = nullptr;
  avro_value_iface_t* iface_ = nullptr;
  avro_value_t value_{};
  bool has_value_ = false;
};

// Setters over a record being filled; the first failure is kept and reported by status().
class Filler {
 public:
  avro_value_t Field(avro_value_t* rec, const char* name) {
    avro_value_t f{};
    Check(avro_value_get_by_name(rec, name, &f, nullptr), name);
    return f;
  }
  void Int(avro_value_t* rec, const char* name, int32_t v) {
    avro_value_t f = Field(rec, name);
    if (ok_) Check(avro_value_set_int(&f, v), name);
  }
  void Long(avro_value_t* rec, const char* name, int64_t v) {
    avro_value_t f = Field(rec, name);
    if (ok_) Check(avro_value_set_long(&f, v), name);
  }
  void String(avro_value_t* rec, const char* name, const std::string& v) {
    avro_value_t f = Field(rec, name);
    if (ok_) Check(avro_value_set_string_len(&f, v.c_str(), v.size() + 1), name);
  }
  //! A ["null", T] union: the null branch, or T set by `set` on the branch.
  template <typename Set>
  void Optional(avro_value_t* rec, const char* name, bool present, Set set) {
    avro_value_t f = Field(rec, name), branch{};
    if (!ok_) return;
    Check(avro_value_set_branch(&f, present ? 1 : 0, &branch), name);
    if (!ok_) return;
    if (present) {
      set(&branch);
    } else {
      Check(avro_value_set_null(&branch), name);
    }
  }
  void OptionalLong(avro_value_t* rec, const char* name, std::optional<int64_t> v) {
    Optional(rec, name, v.has_value(),
             [&](avro_value_t* b) { Check(avro_value_set_long(b, *v), name); });
  }
  //! An int-keyed Iceberg map (an array of key/value records); null when empty.
  template <typename Value>
  void IntMap(avro_value_t* rec, const char* name, const std::map<int32_t, ColumnStats>& columns,
              Value value) {
    bool any = false;
    for (const auto& [id, c] : columns) any = any || value(c) != nullptr;
    Optional(rec, name, any, [&](avro_value_t* array) {
      for (const auto& [id, c] : columns) {
        auto v = value(c);
        if (v == nullptr || !ok_) continue;
        avro_value_t pair{}, key{}, val{};
        Check(avro_value_append(array, &pair, nullptr), name);
        if (!ok_) return;
        Check(avro_value_get_by_name(&pair, "key", &key, nullptr), name);
        Check(avro_value_get_by_name(&pair, "value", &val, nullptr), name);
        if (!ok_) return;
        Check(avro_value_set_int(&key, id), name);
        v(&val);
      }
    });
  }
  void Check(int rc, const char* what) {
    if (rc != 0 && ok_) {
      ok_ = false;
      status_ = Status::Internal(fmt::format("avro: setting {}: {}", what, avro_strerror()));
    }
  }
  bool ok() const { return ok_; }
  const Status& status() const { return status_; }

 private:
  bool ok_ = true;
  Status status_;
};

// The Avro object container framing (Avro spec, "Object Container Files"): magic, the
// metadata map, a sync marker, then blocks of (count, size, records, sync).
class Container {
 public:
  Container(const std::string& schema_json,
            const std::vector<std::pair<std::string, std::string>>& metadata)
      : sync_(RandomHex(8)) {  // 16 ASCII bytes: any 16 bytes make a marker
    out_ = std::string("Obj\x01", 4);
    Long(static_cast<int64_t>(metadata.size() + 2));
    Bytes("avro.schema");
    Bytes(schema_json);
    Bytes("avro.codec");
    Bytes("null");
    for (const auto& [k, v] : metadata) {
      Bytes(k);
      Bytes(v);
    }
    Long(0);
    out_ += sync_;
  }
  Status Add(avro_value_t* record) {
    size_t size = 0;
    if (avro_value_sizeof(record, &size) != 0) return AvroError("sizing a record");
    const size_t at = block_.size();
    block_.resize(at + size);
    avro_writer_t w = avro_writer_memory(block_.data() + at, static_cast<int64_t>(size));
    const int rc = avro_value_write(w, record);
    avro_writer_free(w);
    if (rc != 0) return AvroError("encoding a record");
    ++count_;
    return Status::OK();
  }
  std::string Finish() {
    if (count_ > 0) {
      Long(count_);
      Long(static_cast<int64_t>(block_.size()));
      out_ += block_;
      out_ += sync_;
    }
    return std::move(out_);
  }

 private:
  void Long(int64_t v) {
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
      out_ += static_cast<char>((z & 0x7f) | 0x80);
      z >>= 7;
    }
    out_ += static_cast<char>(z);
  }
  void Bytes(std::string_view s) {
    Long(static_cast<int64_t>(s.size()));
    out_ += s;
  }
  std::string sync_, out_, block_;
  int64_t count_ = 0;
};

// Reads every record of a container file with libavro; `each` gets each record.
template <typename Each>
Status ReadRecords(std::string_view bytes, const char* what, Each each) {
  if (bytes.empty()) return Status::Corruption(fmt::format("{} is empty", what));
  FILE* fp = fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb");
  if (fp == nullptr) return Status::Internal("fmemopen failed");
  avro_file_reader_t reader = nullptr;
  if (avro_file_reader_fp(fp, what, 1, &reader) != 0) {
    return Status::Corruption(fmt::format("{} is not an Avro file: {}", what, avro_strerror()));
  }
  avro_schema_t schema = avro_file_reader_get_writer_schema(reader);
  avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
  avro_value_t value{};
  Status st;
  if (iface == nullptr || avro_generic_value_new(iface, &value) != 0) {
    st = AvroError("creating a value");
  } else {
    int rc = 0;
    while (st.ok() && (rc = avro_file_reader_read_value(reader, &value)) == 0) st = each(&value);
    if (st.ok() && rc != EOF)
      st = Status::Corruption(fmt::format("{}: reading a record: {}", what, avro_strerror()));
    avro_value_decref(&value);
  }
  if (iface != nullptr) avro_value_iface_decref(iface);
  avro_schema_decref(schema);
  avro_file_reader_close(reader);
  return st;
}

// Getters by name; absent optional fields read as nullopt.
struct Getter {
  const char* what;
  Status status;
  bool Field(avro_value_t* rec, const char* name, avro_value_t* out) {
    return avro_value_get_by_name(rec, name, out, nullptr) == 0;
  }
  template <typename T, typename Get>
  T Required(avro_value_t* rec, const char* name, Get get) {
    avro_value_t f{};
    T v{};
    if (!Field(rec, name, &f) || get(&f, &v) != 0) Fail(name);
    return v;
  }
  //! The value of a ["null", T] union (or of a plain T), or nullopt for null / absent.
  bool Present(avro_value_t* rec, const char* name, avro_value_t* out) {
    avro_value_t f{};
    if (!Field(rec, name, &f)) return false;
    if (avro_value_get_type(&f) != AVRO_UNION) {
      *out = f;
      return true;
    }
    int disc = 0;
    if (avro_value_get_discriminant(&f, &disc) != 0 ||
        avro_value_get_current_branch(&f, out) != 0) {
      Fail(name);
      return false;
    }
    return avro_value_get_type(out) != AVRO_NULL;
  }
  std::optional<int64_t> OptionalLong(avro_value_t* rec, const char* name) {
    avro_value_t v{};
    int64_t x = 0;
    if (!Present(rec, name, &v)) return std::nullopt;
    if (avro_value_get_long(&v, &x) != 0) Fail(name);
    return x;
  }
  std::string String(avro_value_t* rec, const char* name) {
    avro_value_t f{};
    const char* s = nullptr;
    size_t n = 0;
    if (!Field(rec, name, &f) || avro_value_get_string(&f, &s, &n) != 0 || n == 0) {
      Fail(name);
      return {};
    }
    return std::string(s, n - 1);  // n counts the terminating NUL
  }
  int64_t Long(avro_value_t* rec, const char* name) {
    return Required<int64_t>(rec, name,
                             [](avro_value_t* f, int64_t* v) { return avro_value_get_long(f, v); });
  }
  int32_t Int(avro_value_t* rec, const char* name) {
    return Required<int32_t>(rec, name,
                             [](avro_value_t* f, int32_t* v) { return avro_value_get_int(f, v); });
  }
  //! An int-keyed map: `each(key, value)` per pair.
  template <typename Each>
  void IntMap(avro_value_t* rec, const char* name, Each each) {
    avro_value_t array{};
    if (!Present(rec, name, &array)) return;
    size_t n = 0;
    if (avro_value_get_size(&array, &n) != 0) return Fail(name);
    for (size_t i = 0; i < n; ++i) {
      avro_value_t pair{}, key{}, val{};
      int32_t k = 0;
      if (avro_value_get_by_index(&array, i, &pair, nullptr) != 0 ||
          avro_value_get_by_name(&pair, "key", &key, nullptr) != 0 ||
          avro_value_get_by_name(&pair, "value", &val, nullptr) != 0 ||
          avro_value_get_int(&key, &k) != 0)
        return Fail(name);
      if (avro_value_get_type(&val) == AVRO_UNION && avro_value_get_current_branch(&val, &val) != 0)
        return Fail(name);
      each(k, &val);
    }
  }
  void Fail(const char* name) {
    if (status.ok())
      status =
          Status::Corruption(fmt::format("{}: field '{}' is missing or malformed", what, name));
  }
};

}  // namespace

ManifestFile Summarize(const std::vector<ManifestEntry>& entries, std::string path, int64_t length,
                       int64_t snapshot_id, int64_t sequence_number) {
  ManifestFile m;
  m.path = std::move(path);
  m.length = length;
  m.added_snapshot_id = snapshot_id;
  m.sequence_number = sequence_number;
  m.min_sequence_number = sequence_number;
  for (const auto& e : entries) {
    const int64_t rows = e.file.record_count;
    if (e.sequence_number)
      m.min_sequence_number = std::min(m.min_sequence_number, *e.sequence_number);
    switch (e.status) {
      case EntryStatus::kAdded:
        ++m.added_files;
        m.added_rows += rows;
        break;
      case EntryStatus::kExisting:
        ++m.existing_files;
        m.existing_rows += rows;
        break;
      case EntryStatus::kDeleted:
        ++m.deleted_files;
        m.deleted_rows += rows;
        break;
    }
  }
  return m;
}

Result<std::string> WriteManifest(const std::vector<ManifestEntry>& entries,
                                  const std::string& table_schema_json, int32_t schema_id) {
  LH_ASSIGN_OR_RETURN(auto rec, Record::Of(ManifestEntrySchema()));
  Container out(ManifestEntrySchema(), {{"schema", table_schema_json},
                                        {"schema-id", std::to_string(schema_id)},
                                        {"partition-spec", "[]"},
                                        {"partition-spec-id", "0"},
                                        {"format-version", "2"},
                                        {"content", "data"}});
  for (const auto& e : entries) {
    avro_value_t* r = rec->value();
    avro_value_reset(r);
    Filler f;
    f.Int(r, "status", static_cast<int32_t>(e.status));
    f.OptionalLong(r, "snapshot_id", e.snapshot_id);
    f.OptionalLong(r, "sequence_number", e.sequence_number);
    f.OptionalLong(r, "file_sequence_number", e.file_sequence_number);
    avro_value_t df = f.Field(r, "data_file");
    if (f.ok()) {
      const DataFile& d = e.file;
      f.Int(&df, "content", 0);
      f.String(&df, "file_path", d.path);
      f.String(&df, "file_format", "PARQUET");
      f.Long(&df, "record_count", d.record_count);
      f.Long(&df, "file_size_in_bytes", d.file_size);
      using Set = std::function<void(avro_value_t*)>;
      auto count = [&f](int64_t n, bool known) -> Set {
        if (!known) return nullptr;
        return [&f, n](avro_value_t* v) { f.Check(avro_value_set_long(v, n), "count"); };
      };
      auto bound = [&f](const std::optional<std::string>& b) -> Set {
        if (!b) return nullptr;
        return [&f, &b](avro_value_t* v) {
          f.Check(avro_value_set_bytes(v, const_cast<char*>(b->data()), b->size()), "bound");
        };
      };
      f.IntMap(&df, "column_sizes", d.columns,
               [&](const ColumnStats& c) { return count(c.bytes, c.bytes > 0); });
      f.IntMap(&df, "value_counts", d.columns,
               [&](const ColumnStats& c) { return count(c.values, c.values >= 0); });
      f.IntMap(&df, "null_value_counts", d.columns,
               [&](const ColumnStats& c) { return count(c.nulls, c.nulls >= 0); });
      f.IntMap(&df, "lower_bounds", d.columns,
               [&](const ColumnStats& c) { return bound(c.lower); });
      f.IntMap(&df, "upper_bounds", d.columns,
               [&](const ColumnStats& c) { return bound(c.upper); });
    }
    if (!f.ok()) return f.status();
    LH_RETURN_IF_ERROR(out.Add(r));
  }
  return out.Finish();
}

Result<std::vector<ManifestEntry>> ReadManifest(std::string_view bytes, const ManifestFile& owner) {
  std::vector<ManifestEntry> out;
  Getter g{"manifest", {}};
  LH_RETURN_IF_ERROR(ReadRecords(bytes, "manifest", [&](avro_value_t* r) -> Status {
    ManifestEntry e;
    e.status = static_cast<EntryStatus>(g.Int(r, "status"));
    e.snapshot_id = g.OptionalLong(r, "snapshot_id");
    e.sequence_number = g.OptionalLong(r, "sequence_number");
    e.file_sequence_number = g.OptionalLong(r, "file_sequence_number");
    // Inheritance (spec): null means "the manifest's", from its manifest list row.
    if (!e.snapshot_id) e.snapshot_id = owner.added_snapshot_id;
    if (!e.sequence_number && e.status == EntryStatus::kAdded)
      e.sequence_number = owner.sequence_number;
    if (!e.file_sequence_number && e.status == EntryStatus::kAdded)
      e.file_sequence_number = owner.sequence_number;
    avro_value_t df{};
    if (!g.Field(r, "data_file", &df)) {
      g.Fail("data_file");
      return g.status;
    }
    if (g.Int(&df, "content") != 0)
      return Status::Unprocessable("manifest lists delete files, which this reader does not apply");
    e.file.path = g.String(&df, "file_path");
    e.file.record_count = g.Long(&df, "record_count");
    e.file.file_size = g.Long(&df, "file_size_in_bytes");
    auto count = [&](const char* name, int64_t ColumnStats::*field) {
      g.IntMap(&df, name, [&](int32_t id, avro_value_t* v) {
        int64_t n = 0;
        if (avro_value_get_long(v, &n) != 0) return g.Fail(name);
        e.file.columns[id].*field = n;
      });
    };
    count("column_sizes", &ColumnStats::bytes);
    count("value_counts", &ColumnStats::values);
    count("null_value_counts", &ColumnStats::nulls);
    auto bound = [&](const char* name, std::optional<std::string> ColumnStats::*field) {
      g.IntMap(&df, name, [&](int32_t id, avro_value_t* v) {
        const void* p = nullptr;
        size_t n = 0;
        if (avro_value_get_bytes(v, &p, &n) != 0) return g.Fail(name);
        e.file.columns[id].*field = std::string(static_cast<const char*>(p), n);
      });
    };
    bound("lower_bounds", &ColumnStats::lower);
    bound("upper_bounds", &ColumnStats::upper);
    out.push_back(std::move(e));
    return g.status;
  }));
  return out;
}

Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests,
                                      int64_t snapshot_id, std::optional<int64_t> parent_id,
                                      int64_t sequence_number) {
  LH_ASSIGN_OR_RETURN(auto rec, Record::Of(kManifestListSchema));
  Container out(kManifestListSchema,
                {{"snapshot-id", std::to_string(snapshot_id)},
                 {"parent-snapshot-id", parent_id ? std::to_string(*parent_id) : "null"},
                 {"sequence-number", std::to_string(sequence_number)},
                 {"format-version", "2"}});
  for (const auto& m : manifests) {
    avro_value_t* r = rec->value();
    avro_value_reset(r);
    Filler f;
    f.String(r, "manifest_path", m.path);
    f.Long(r, "manifest_length", m.length);
    f.Int(r, "partition_spec_id", 0);
    f.Int(r, "content", 0);
    f.Long(r, "sequence_number", m.sequence_number);
    f.Long(r, "min_sequence_number", m.min_sequence_number);
    f.Long(r, "added_snapshot_id", m.added_snapshot_id);
    f.Int(r, "added_files_count", m.added_files);
    f.Int(r, "existing_files_count", m.existing_files);
    f.Int(r, "deleted_files_count", m.deleted_files);
    f.Long(r, "added_rows_count", m.added_rows);
    f.Long(r, "existing_rows_count", m.existing_rows);
    f.Long(r, "deleted_rows_count", m.deleted_rows);
    if (!f.ok()) return f.status();
    LH_RETURN_IF_ERROR(out.Add(r));
  }
  return out.Finish();
}

Result<std::vector<ManifestFile>> ReadManifestList(std::string_view bytes) {
  std::vector<ManifestFile> out;
  Getter g{"manifest list", {}};
  LH_RETURN_IF_ERROR(ReadRecords(bytes, "manifest list", [&](avro_value_t* r) -> Status {
    ManifestFile m;
    m.path = g.String(r, "manifest_path");
    m.length = g.Long(r, "manifest_length");
    avro_value_t content{};
    if (g.Field(r, "content", &content)) {
      int32_t c = 0;
      if (avro_value_get_int(&content, &c) == 0 && c != 0)
        return Status::Unprocessable("a delete manifest, which this reader does not apply");
    }
    m.sequence_number = g.OptionalLong(r, "sequence_number").value_or(0);
    m.min_sequence_number = g.OptionalLong(r, "min_sequence_number").value_or(0);
    m.added_snapshot_id = g.Long(r, "added_snapshot_id");
    out.push_back(std::move(m));
    return g.status;
  }));
  return out;
}

}  // namespace lakehouse::iceberg
