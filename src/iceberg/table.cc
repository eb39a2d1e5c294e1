#include "iceberg/table.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "core/ids.h"

namespace lakehouse::iceberg {
namespace {

constexpr const char* kDuckDbTypesProperty = "lakehouse.duckdb-types";
constexpr const char* kNameMappingProperty = "schema.name-mapping.default";

std::string NewUuid() {
  std::string h = RandomHex(16);
  h[12] = '4';                                                  // version 4
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

std::string MetadataKeyOf(const std::string& prefix, int32_t m) {
  return fmt::format("{}/metadata/v{}.metadata.json", prefix, m);
}
std::string HintKey(const std::string& prefix) {
  return prefix + "/metadata/version-hint.text";
}

Json SnapshotJson(const Snapshot& s) {
  Json j = Json::object();
  j["snapshot-id"] = s.id;
  if (s.parent_id) j["parent-snapshot-id"] = *s.parent_id;
  j["sequence-number"] = s.sequence_number;
  j["timestamp-ms"] = s.timestamp_ms;
  j["manifest-list"] = s.manifest_list;
  Json summary = Json::object();
  // "operation" first, as engines print it.
  if (auto it = s.summary.find("operation"); it != s.summary.end())
    summary["operation"] = it->second;
  for (const auto& [k, v] : s.summary)
    if (k != "operation") summary[k] = v;
  j["summary"] = std::move(summary);
  j["schema-id"] = s.schema_id;
  return j;
}

// The table's name mapping and DuckDB type overrides over every schema it has had (older
// files may carry columns the current schema dropped).
void RefreshDerivedProperties(TableMetadata& m) {
  std::map<int32_t, Json> mapping;
  std::map<int32_t, std::string> overrides;
  for (const auto& s : m.schemas) {
    Json nm = NameMapping(s);
    for (size_t i = 0; i < s.fields.size(); ++i) mapping.emplace(s.fields[i].id, nm[i]);
    for (auto& [id, t] : DuckDbTypeOverrides(s)) overrides.emplace(id, t);
  }
  Json all = Json::array();
  for (auto& [id, j] : mapping) all.push_back(std::move(j));
  m.properties[kNameMappingProperty] = DumpJson(all);
  if (overrides.empty()) {
    m.properties.erase(kDuckDbTypesProperty);
  } else {
    Json o = Json::object();
    for (const auto& [id, t] : overrides) o[std::to_string(id)] = t;
    m.properties[kDuckDbTypesProperty] = DumpJson(o);
  }
}

std::string TableNameOf(const std::string& prefix) {
  return prefix.substr(prefix.rfind('/') + 1);
}

Result<Table> WriteMetadata(ObjectStore& store, const std::string& prefix, int32_t base_version,
                            TableMetadata metadata, const CommitHook& hook, SharedCatalog* shared) {
  const int32_t next = base_version + 1;
  const std::string key = MetadataKeyOf(prefix, next);
  // With a shared catalog its pointer decides, and a file of this name is a writer's that
  // died before publishing: it is written over, but only once the pointer is still the base
  // this commit planned on (a stale base would write over the newest metadata file).
  if (shared != nullptr) {
    LH_ASSIGN_OR_RETURN(auto current, shared->Current(TableNameOf(prefix)));
    const std::optional<std::string> planned =
        base_version > 0 ? std::optional(store.Uri(MetadataKeyOf(prefix, base_version)))
                         : std::nullopt;
    if (current != planned)
      return Status::Conflict(fmt::format(
          "{} moved on in {} (now {}) since this commit planned on {}; retry", prefix,
          shared->Describe(), current.value_or("nothing"), planned.value_or("nothing")));
  } else {
    LH_ASSIGN_OR_RETURN(bool taken, store.Exists(key));
    if (taken)
      return Status::Conflict(
          fmt::format("{} already exists: another writer committed to this table; retry", key));
  }
  LH_RETURN_IF_ERROR(store.Put(key, DumpJson(metadata.ToJson()) + "\n"));
  if (hook) hook(3);
  if (shared != nullptr) {
    std::optional<std::string> expected;
    if (base_version > 0) expected = store.Uri(MetadataKeyOf(prefix, base_version));
    Status published = shared->Publish(TableNameOf(prefix), expected, store.Uri(key));
    if (!published.ok()) {
      // An error may hide a publish that landed (the answer lost with a connection, the
      // statement retried): the pointer decides. Only a file no pointer names is removed.
      auto current = shared->Current(TableNameOf(prefix));
      if (current.ok() && *current == store.Uri(key)) {
        spdlog::warn("commit {}: the catalog answered {}, but it names this commit: committed", key,
                     published.ToString());
      } else {
        if (current.ok()) (void)store.Delete(key);
        return published.WithContext("commit " + key);
      }
    }
  }
  LH_RETURN_IF_ERROR(store.Put(HintKey(prefix), std::to_string(next)));
  if (hook) hook(4);
  return Table{prefix, next, std::move(metadata)};
}

}  // namespace

int64_t Snapshot::SummaryInt(const std::string& key) const {
  auto it = summary.find(key);
  if (it == summary.end()) return 0;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return ec == std::errc() && p == it->second.data() + it->second.size() ? v : 0;
}

std::string Table::MetadataKey() const {
  return MetadataKeyOf(prefix, metadata_version);
}

const Snapshot* TableMetadata::FindSnapshot(int64_t id) const {
  for (const auto& s : snapshots)
    if (s.id == id) return &s;
  return nullptr;
}

const Schema* TableMetadata::FindSchema(int32_t id) const {
  for (const auto& s : schemas)
    if (s.schema_id == id) return &s;
  return nullptr;
}

Json TableMetadata::ToJson() const {
  Json j = Json::object();
  j["format-version"] = 2;
  j["table-uuid"] = uuid;
  j["location"] = location;
  j["last-sequence-number"] = last_sequence_number;
  j["last-updated-ms"] = last_updated_ms;
  j["last-column-id"] = last_column_id;
  j["current-schema-id"] = current_schema_id;
  Json ss = Json::array();
  for (const auto& s : schemas) ss.push_back(s.ToJson());
  j["schemas"] = std::move(ss);
  j["default-spec-id"] = 0;
  j["partition-specs"] = Json::array({Json{{"spec-id", 0}, {"fields", Json::array()}}});
  j["last-partition-id"] = 999;  // the spec's "no partition fields yet"
  j["default-sort-order-id"] = 0;
  j["sort-orders"] = Json::array({Json{{"order-id", 0}, {"fields", Json::array()}}});
  Json props = Json::object();
  for (const auto& [k, v] : properties) props[k] = v;
  j["properties"] = std::move(props);
  j["current-snapshot-id"] = current_snapshot_id.value_or(-1);
  Json refs = Json::object();
  if (current_snapshot_id)
    refs["main"] = Json{{"snapshot-id", *current_snapshot_id}, {"type", "branch"}};
  j["refs"] = std::move(refs);
  Json snaps = Json::array();
  for (const auto& s : snapshots) snaps.push_back(SnapshotJson(s));
  j["snapshots"] = std::move(snaps);
  j["statistics"] = Json::array();
  Json slog = Json::array();
  for (const auto& [ts, id] : snapshot_log)
    slog.push_back(Json{{"timestamp-ms", ts}, {"snapshot-id", id}});
  j["snapshot-log"] = std::move(slog);
  Json mlog = Json::array();
  for (const auto& [ts, file] : metadata_log)
    mlog.push_back(Json{{"timestamp-ms", ts}, {"metadata-file", file}});
  j["metadata-log"] = std::move(mlog);
  return j;
}

Result<TableMetadata> TableMetadata::FromJson(const Json& j) {
  try {
    if (j.value("format-version", 0) != 2)
      return Status::Corruption(
          fmt::format("table format version {} (expected 2)", j.value("format-version", 0)));
    TableMetadata m;
    m.uuid = j.value("table-uuid", "");
    m.location = j.at("location").get<std::string>();
    m.last_sequence_number = j.value("last-sequence-number", int64_t{0});
    m.last_updated_ms = j.value("last-updated-ms", int64_t{0});
    m.last_column_id = j.value("last-column-id", 0);
    m.current_schema_id = j.value("current-schema-id", 0);
    if (j.contains("properties"))
      for (const auto& [k, v] : j.at("properties").items()) m.properties[k] = v.get<std::string>();
    std::map<int32_t, std::string> overrides;
    if (auto it = m.properties.find(kDuckDbTypesProperty); it != m.properties.end()) {
      LH_ASSIGN_OR_RETURN(Json o, ParseJson(it->second));
      for (const auto& [id, t] : o.items()) overrides[std::stoi(id)] = t.get<std::string>();
    }
    for (const auto& s : j.at("schemas")) {
      LH_ASSIGN_OR_RETURN(Schema schema, SchemaFromJson(s, overrides));
      m.schemas.push_back(std::move(schema));
    }
    const int64_t current = j.value("current-snapshot-id", int64_t{-1});
    if (current >= 0) m.current_snapshot_id = current;
    if (j.contains("snapshots")) {
      for (const auto& s : j.at("snapshots")) {
        Snapshot snap;
        snap.id = s.at("snapshot-id").get<int64_t>();
        if (s.contains("parent-snapshot-id") && !s.at("parent-snapshot-id").is_null())
          snap.parent_id = s.at("parent-snapshot-id").get<int64_t>();
        snap.sequence_number = s.value("sequence-number", int64_t{0});
        snap.timestamp_ms = s.value("timestamp-ms", int64_t{0});
        snap.manifest_list = s.at("manifest-list").get<std::string>();
        snap.schema_id = s.value("schema-id", m.current_schema_id);
        if (s.contains("summary"))
          for (const auto& [k, v] : s.at("summary").items()) snap.summary[k] = v.get<std::string>();
        m.snapshots.push_back(std::move(snap));
      }
    }
    std::sort(m.snapshots.begin(), m.snapshots.end(),
              [](const Snapshot& a, const Snapshot& b) { return a.id < b.id; });
    if (j.contains("snapshot-log"))
      for (const auto& e : j.at("snapshot-log"))
        m.snapshot_log.emplace_back(e.at("timestamp-ms").get<int64_t>(),
                                    e.at("snapshot-id").get<int64_t>());
    if (j.contains("metadata-log"))
      for (const auto& e : j.at("metadata-log"))
        m.metadata_log.emplace_back(e.at("timestamp-ms").get<int64_t>(),
                                    e.at("metadata-file").get<std::string>());
    if (m.current_snapshot_id && m.FindSnapshot(*m.current_snapshot_id) == nullptr)
      return Status::Corruption(
          fmt::format("current snapshot {} is not among the snapshots", *m.current_snapshot_id));
    return m;
  } catch (const Json::exception& e) {
    return Status::Corruption(fmt::format("table metadata is malformed: {}", e.what()));
  } catch (const std::exception& e) {
    return Status::Corruption(fmt::format("table metadata is malformed: {}", e.what()));
  }
}

Result<TableMetadata> LoadMetadataVersion(const ObjectStore& store, const std::string& prefix,
                                          int32_t m) {
  const std::string key = MetadataKeyOf(prefix, m);
  LH_ASSIGN_OR_RETURN(std::string text, store.Get(key));
  auto j = ParseJson(text);
  if (!j.ok()) return Status::Corruption(fmt::format("{}: {}", key, j.status().message()));
  auto meta = TableMetadata::FromJson(*j);
  if (!meta.ok()) return meta.status().WithContext(key);
  return meta;
}

Result<std::optional<Table>> LoadTable(const ObjectStore& store, const std::string& prefix,
                                       SharedCatalog* shared) {
  int32_t m = 0;
  if (shared != nullptr) {
    LH_ASSIGN_OR_RETURN(auto uri, shared->Current(TableNameOf(prefix)));
    if (!uri) return std::optional<Table>();
    const std::string name = uri->substr(uri->rfind('/') + 1);
    if (std::sscanf(name.c_str(), "v%d.metadata.json", &m) != 1 || m <= 0 ||
        name != fmt::format("v{}.metadata.json", m) || *uri != store.Uri(MetadataKeyOf(prefix, m)))
      return Status::Corruption(
          fmt::format("{} names {} as the metadata of {}: not a file of this table",
                      shared->Describe(), *uri, prefix));
    LH_ASSIGN_OR_RETURN(TableMetadata meta, LoadMetadataVersion(store, prefix, m));
    return std::optional<Table>(Table{prefix, m, std::move(meta)});
  }
  auto hint = store.Get(HintKey(prefix));
  if (hint.ok()) {
    try {
      m = std::stoi(*hint);
    } catch (...) {
      m = 0;  // a torn or foreign hint: fall back to listing
    }
  } else if (hint.status().code() != ErrorCode::kNotFound) {
    return hint.status();
  }
  if (m <= 0) {  // no usable hint: the highest v<N>.metadata.json there is
    LH_ASSIGN_OR_RETURN(auto objects, store.List(prefix + "/metadata/"));
    for (const auto& o : objects) {
      const std::string name = o.key.substr(o.key.rfind('/') + 1);
      int32_t n = 0;
      if (std::sscanf(name.c_str(), "v%d.metadata.json", &n) == 1 &&
          name == fmt::format("v{}.metadata.json", n))
        m = std::max(m, n);
    }
    if (m == 0) return std::optional<Table>();
  }
  // The hint may lag one commit behind (a writer killed between the metadata and the
  // hint): the newest metadata file wins.
  while (true) {
    LH_ASSIGN_OR_RETURN(bool newer, store.Exists(MetadataKeyOf(prefix, m + 1)));
    if (!newer) break;
    ++m;
  }
  LH_ASSIGN_OR_RETURN(TableMetadata meta, LoadMetadataVersion(store, prefix, m));
  return std::optional<Table>(Table{prefix, m, std::move(meta)});
}

Result<std::string> KeyOf(const Table& table, const std::string& uri) {
  const std::string& loc = table.metadata.location;
  if (uri.size() <= loc.size() + 1 || uri.compare(0, loc.size(), loc) != 0 ||
      uri[loc.size()] != '/')
    return Status::Corruption(fmt::format("{} lies outside the table's location {}", uri, loc));
  return table.prefix + uri.substr(loc.size());
}

Result<std::vector<DataFile>> SnapshotFiles(const ObjectStore& store, const Table& table,
                                            const Snapshot& snapshot, ManifestCache* cache) {
  ManifestCache local;
  if (cache == nullptr) cache = &local;
  LH_ASSIGN_OR_RETURN(std::string list_key, KeyOf(table, snapshot.manifest_list));
  LH_ASSIGN_OR_RETURN(std::string list_bytes, store.Get(list_key));
  auto rows = ReadManifestList(list_bytes);
  if (!rows.ok()) return rows.status().WithContext(list_key);
  std::vector<DataFile> out;
  for (const ManifestFile& row : *rows) {
    auto it = cache->find(row.path);
    if (it == cache->end()) {
      LH_ASSIGN_OR_RETURN(std::string key, KeyOf(table, row.path));
      LH_ASSIGN_OR_RETURN(std::string bytes, store.Get(key));
      auto entries = ReadManifest(bytes, row);
      if (!entries.ok()) return entries.status().WithContext(key);
      it = cache->emplace(row.path, std::move(entries).value()).first;
    }
    for (const auto& e : it->second)
      if (e.status != EntryStatus::kDeleted) out.push_back(e.file);
  }
  return out;
}

namespace {
// The schema of `columns` over `m`'s current one (ids kept by name and type); adds it to `m`
// when it differs.
Result<Schema> NextSchema(TableMetadata& m, const Columns& columns) {
  const Schema* current = m.FindSchema(m.current_schema_id);
  int32_t next_schema_id = 0;
  for (const auto& s : m.schemas) next_schema_id = std::max(next_schema_id, s.schema_id + 1);
  LH_ASSIGN_OR_RETURN(Schema schema,
                      BuildSchema(columns, current, &m.last_column_id, next_schema_id));
  bool same = current != nullptr && current->fields.size() == schema.fields.size();
  for (size_t i = 0; same && i < schema.fields.size(); ++i)
    same = current->fields[i].id == schema.fields[i].id;
  if (same) return *current;
  m.schemas.push_back(schema);
  m.current_schema_id = schema.schema_id;
  return schema;
}
}  // namespace

Result<Schema> PlanSchema(const std::optional<Table>& base, const Columns& columns) {
  TableMetadata m = base ? base->metadata : TableMetadata{};
  return NextSchema(m, columns);
}

Result<Table> CommitSnapshot(ObjectStore& store, const std::string& prefix,
                             const std::optional<Table>& base, const NewSnapshot& snap,
                             const CommitHook& hook, SharedCatalog* shared) {
  TableMetadata m;
  if (base) {
    m = base->metadata;
  } else {
    m.uuid = NewUuid();
    m.location = store.Uri(prefix);
    m.properties = snap.properties;
    m.properties["format-version"] = "2";
  }
  if (m.FindSnapshot(snap.snapshot_id) != nullptr)
    return Status::Conflict(
        fmt::format("{}: snapshot {} already exists", prefix, snap.snapshot_id));
  const Snapshot* parent = m.current_snapshot_id ? m.FindSnapshot(*m.current_snapshot_id) : nullptr;

  // The schema: the current one when nothing changed, else a new one (ids kept by name).
  LH_ASSIGN_OR_RETURN(Schema schema, NextSchema(m, snap.columns));
  RefreshDerivedProperties(m);

  const int64_t seq = m.last_sequence_number + 1;
  const std::string tag = NewUuid();
  std::vector<ManifestFile> manifests;
  if (snap.append && parent != nullptr) {
    LH_ASSIGN_OR_RETURN(std::string list_key, KeyOf(Table{prefix, 0, m}, parent->manifest_list));
    LH_ASSIGN_OR_RETURN(std::string bytes, store.Get(list_key));
    LH_ASSIGN_OR_RETURN(manifests, ReadManifestList(bytes));
  }
  int64_t added_rows = 0, added_bytes = 0;
  if (!snap.added.empty()) {
    std::vector<ManifestEntry> entries;
    for (const NewFile& f : snap.added) {
      ManifestEntry e;  // snapshot id and sequence numbers: inherited from the list
      e.file.path = store.Uri(f.key);
      e.file.record_count = f.record_count;
      e.file.file_size = f.file_size;
      for (const auto& [name, stats] : f.columns) {
        const Field* field = schema.Find(name);
        if (field == nullptr) continue;
        ColumnStats c = stats;
        c.lower = stats.lower ? EncodeBound(field->type, *stats.lower, false) : std::nullopt;
        c.upper = stats.upper ? EncodeBound(field->type, *stats.upper, true) : std::nullopt;
        e.file.columns[field->id] = std::move(c);
      }
      added_rows += f.record_count;
      added_bytes += f.file_size;
      entries.push_back(std::move(e));
    }
    LH_ASSIGN_OR_RETURN(std::string bytes,
                        WriteManifest(entries, DumpJson(schema.ToJson()), schema.schema_id));
    const std::string key = fmt::format("{}/metadata/{}-m0.avro", prefix, tag);
    LH_RETURN_IF_ERROR(store.Put(key, bytes));
    manifests.push_back(Summarize(entries, store.Uri(key), static_cast<int64_t>(bytes.size()),
                                  snap.snapshot_id, seq));
  }
  if (hook) hook(1);
  LH_ASSIGN_OR_RETURN(std::string list,
                      WriteManifestList(manifests, snap.snapshot_id,
                                        parent ? std::optional(parent->id) : std::nullopt, seq));
  const std::string list_key =
      fmt::format("{}/metadata/snap-{}-1-{}.avro", prefix, snap.snapshot_id, tag);
  LH_RETURN_IF_ERROR(store.Put(list_key, list));
  if (hook) hook(2);

  Snapshot s;
  s.id = snap.snapshot_id;
  if (parent) s.parent_id = parent->id;
  s.sequence_number = seq;
  s.timestamp_ms = snap.timestamp_ms;
  s.manifest_list = store.Uri(list_key);
  s.schema_id = schema.schema_id;
  const bool keeps = snap.append && parent != nullptr;
  const int64_t parent_rows = parent ? parent->SummaryInt("total-records") : 0;
  const int64_t parent_files = parent ? parent->SummaryInt("total-data-files") : 0;
  const int64_t parent_bytes = parent ? parent->SummaryInt("total-files-size") : 0;
  s.summary = snap.summary;
  s.summary["operation"] = (keeps || parent == nullptr) ? "append" : "overwrite";
  s.summary["added-data-files"] = std::to_string(snap.added.size());
  s.summary["added-records"] = std::to_string(added_rows);
  s.summary["added-files-size"] = std::to_string(added_bytes);
  if (parent != nullptr && !keeps) {
    s.summary["deleted-data-files"] = std::to_string(parent_files);
    s.summary["deleted-records"] = std::to_string(parent_rows);
    s.summary["removed-files-size"] = std::to_string(parent_bytes);
  }
  s.summary["total-records"] = std::to_string(added_rows + (keeps ? parent_rows : 0));
  s.summary["total-data-files"] =
      std::to_string(static_cast<int64_t>(snap.added.size()) + (keeps ? parent_files : 0));
  s.summary["total-files-size"] = std::to_string(added_bytes + (keeps ? parent_bytes : 0));
  s.summary["total-delete-files"] = "0";
  s.summary["total-position-deletes"] = "0";
  s.summary["total-equality-deletes"] = "0";

  if (base) m.metadata_log.emplace_back(m.last_updated_ms, store.Uri(base->MetadataKey()));
  m.snapshots.push_back(std::move(s));
  m.current_snapshot_id = snap.snapshot_id;
  m.last_sequence_number = seq;
  m.last_updated_ms = snap.timestamp_ms;
  m.snapshot_log.emplace_back(snap.timestamp_ms, snap.snapshot_id);
  return WriteMetadata(store, prefix, base ? base->metadata_version : 0, std::move(m), hook,
                       shared);
}

Result<Table> CommitMetadata(ObjectStore& store, const Table& base, TableMetadata metadata,
                             int64_t now_ms, SharedCatalog* shared) {
  metadata.metadata_log.emplace_back(base.metadata.last_updated_ms, store.Uri(base.MetadataKey()));
  metadata.last_updated_ms = now_ms;
  return WriteMetadata(store, base.prefix, base.metadata_version, std::move(metadata), nullptr,
                       shared);
}

}  // namespace lakehouse::iceberg
