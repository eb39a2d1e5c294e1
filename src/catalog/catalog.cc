#include "catalog/catalog.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace lakehouse {
namespace {
constexpr const char* kManifestSchema = "catalog.v1";
// Snapshot summary keys of what Iceberg has no field for.
constexpr const char* kSourceKey = "lakehouse.source";
constexpr const char* kQuarantinedKey = "lakehouse.quarantined-rows";

std::string TablePrefix(const std::string& name) {
  return "datasets/" + name;
}

}  // namespace

Result<DatasetManifest> ManifestFromTable(const ObjectStore& store, const std::string& name,
                                          const iceberg::Table& table) {
  const iceberg::TableMetadata& meta = table.metadata;
  if (!meta.current_snapshot_id)
    return Status::Corruption(fmt::format("table {} has no current snapshot", table.prefix));
  DatasetManifest m;
  m.name = name;
  m.current_version = *meta.current_snapshot_id;
  iceberg::ManifestCache cache;
  for (const iceberg::Snapshot& snap : meta.snapshots) {
    DatasetVersion v;
    v.version = snap.id;
    v.created_at = FormatRfc3339Millis(snap.timestamp_ms);
    auto src = snap.summary.find(kSourceKey);
    v.source = src == snap.summary.end() ? "" : src->second;
    v.row_count = snap.SummaryInt("total-records");
    v.quarantined_rows = snap.SummaryInt(kQuarantinedKey);
    v.bytes = static_cast<uint64_t>(snap.SummaryInt("total-files-size"));
    LH_ASSIGN_OR_RETURN(auto files, iceberg::SnapshotFiles(store, table, snap, &cache));
    for (const auto& f : files) {
      LH_ASSIGN_OR_RETURN(std::string key, iceberg::KeyOf(table, f.path));
      v.files.push_back(std::move(key));
    }
    const iceberg::Schema* schema = meta.FindSchema(snap.schema_id);
    if (schema == nullptr)
      return Status::Corruption(fmt::format("{}: snapshot {} names schema {}, which is missing",
                                            table.MetadataKey(), snap.id, snap.schema_id));
    for (const auto& f : schema->fields) v.columns.push_back(ColumnSchema{f.name, f.duckdb_type});
    m.versions.push_back(std::move(v));
  }
  return m;
}

Status ValidateDatasetName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) {
    return Status::InvalidArgument(
        fmt::format("dataset name '{}' is invalid: use 1-63 characters, lower-case letters, digits "
                    "and '_', starting "
                    "with a letter",
                    name));
  }
  // Each dataset is a SQL view of that name: it must not shadow DuckDB's schemas and
  // catalog views (a view "information_schema" or "duckdb_tables" would change what
  // every tool that inspects the database sees).
  static constexpr std::string_view kReserved[] = {
      "main", "temp", "system", "memory", "information_schema", "pg_catalog"};
  static constexpr std::string_view kReservedPrefixes[] = {"pg_", "duckdb_", "sqlite_"};
  for (std::string_view r : kReserved) {
    if (name == r)
      return Status::InvalidArgument(
          fmt::format("dataset name '{}' is reserved: it is a DuckDB schema or system name", name));
  }
  for (std::string_view p : kReservedPrefixes) {
    if (name.rfind(p, 0) == 0)
      return Status::InvalidArgument(fmt::format(
          "dataset name '{}' is reserved: names starting with '{}' are DuckDB system views", name,
          p));
  }
  return Status::OK();
}

bool DatasetVersion::AppendedBy(const std::vector<std::string>& next_files) const {
  return files.size() <= next_files.size() &&
         std::equal(files.begin(), files.end(), next_files.begin());
}

const DatasetVersion* DatasetManifest::Current() const {
  return Version(current_version);
}

const DatasetVersion* DatasetManifest::Version(int64_t v) const {
  for (const auto& dv : versions)
    if (dv.version == v) return &dv;
  return nullptr;
}

Json ColumnsToJson(const std::vector<ColumnSchema>& columns) {
  Json cols = Json::array();
  for (const auto& c : columns) cols.push_back(Json{{"name", c.name}, {"type", c.type}});
  return cols;
}

Json DatasetManifest::ToJson() const {
  Json vs = Json::array();
  for (const auto& v : versions) {
    Json j = Json::object();
    j["version"] = v.version;
    j["created_at"] = v.created_at;
    j["source"] = v.source;
    j["row_count"] = v.row_count;
    j["quarantined_rows"] = v.quarantined_rows;
    j["bytes"] = v.bytes;
    j["files"] = v.files;
    j["columns"] = ColumnsToJson(v.columns);
    vs.push_back(std::move(j));
  }
  Json out = Json::object();
  out["schema"] = kManifestSchema;
  out["name"] = name;
  out["current_version"] = current_version;
  out["versions"] = std::move(vs);
  return out;
}

Json DatasetManifest::SummaryJson() const {
  const DatasetVersion* cur = Current();
  Json j = Json::object();
  j["name"] = name;
  j["current_version"] = current_version;
  j["versions"] = versions.size();
  j["row_count"] = cur->row_count;
  j["bytes"] = cur->bytes;
  j["updated_at"] = cur->created_at;
  j["columns"] = ColumnsToJson(cur->columns);
  return j;
}

Json DatasetManifest::DetailJson() const {
  Json j = ToJson();
  Json views = Json::array();
  views.push_back(name);
  for (const auto& v : versions) views.push_back(name + "@v" + std::to_string(v.version));
  j["views"] = std::move(views);
  return j;
}

Result<DatasetManifest> DatasetManifest::FromJson(const Json& j) {
  try {
    if (j.value("schema", "") != kManifestSchema) {
      return Status::Corruption(fmt::format("manifest schema is '{}', expected {}",
                                            j.value("schema", ""), kManifestSchema));
    }
    DatasetManifest m;
    m.name = j.at("name").get<std::string>();
    m.current_version = j.at("current_version").get<int64_t>();
    for (const auto& v : j.at("versions")) {
      DatasetVersion dv;
      dv.version = v.at("version").get<int64_t>();
      dv.created_at = v.at("created_at").get<std::string>();
      dv.source = v.at("source").get<std::string>();
      dv.row_count = v.at("row_count").get<int64_t>();
      dv.quarantined_rows = v.value("quarantined_rows", int64_t{0});
      dv.bytes = v.value("bytes", uint64_t{0});
      dv.files = v.at("files").get<std::vector<std::string>>();
      for (const auto& c : v.at("columns")) {
        dv.columns.push_back(
            ColumnSchema{c.at("name").get<std::string>(), c.at("type").get<std::string>()});
      }
      m.versions.push_back(std::move(dv));
    }
    if (m.Current() == nullptr) {
      return Status::Corruption(
          fmt::format("manifest of '{}' names current version {} which it does not list", m.name,
                      m.current_version));
    }
    return m;
  } catch (const Json::exception& e) {
    return Status::Corruption(fmt::format("manifest is malformed: {}", e.what()));
  }
}

PendingVersion::PendingVersion(Catalog* catalog, std::string dataset, int64_t version,
                               std::optional<DatasetManifest> previous,
                               std::unique_lock<std::mutex> lock)
    : catalog_(catalog),
      dataset_(std::move(dataset)),
      version_(version),
      previous_(std::move(previous)),
      lock_(std::move(lock)) {}

PendingVersion::PendingVersion(PendingVersion&& o) noexcept
    : catalog_(o.catalog_),
      dataset_(std::move(o.dataset_)),
      version_(o.version_),
      previous_(std::move(o.previous_)),
      lock_(std::move(o.lock_)),
      shared_lock_(std::move(o.shared_lock_)),
      committed_(o.committed_) {
  o.catalog_ = nullptr;
}

PendingVersion::~PendingVersion() {
  if (catalog_ != nullptr && !committed_) catalog_->Abort(*this);
}

std::string PendingVersion::KeyPrefix() const {
  return fmt::format("datasets/{}/v{}/", dataset_, version_);
}

namespace {
struct Loaded {
  iceberg::Table table;
  DatasetManifest manifest;
};

Result<Loaded> LoadDataset(const ObjectStore& store, const std::string& name,
                           iceberg::SharedCatalog* shared) {
  LH_ASSIGN_OR_RETURN(auto table, iceberg::LoadTable(store, TablePrefix(name), shared));
  if (!table) return Status::NotFound(fmt::format("dataset '{}' has no table", name));
  LH_ASSIGN_OR_RETURN(auto manifest, ManifestFromTable(store, name, *table));
  return Loaded{std::move(*table), std::move(manifest)};
}

//! The datasets with a table: every `datasets/<name>/metadata/` there is.
Result<std::vector<std::string>> TableNames(const ObjectStore& store) {
  LH_ASSIGN_OR_RETURN(auto objects, store.List("datasets/"));
  std::vector<std::string> names;
  for (const auto& o : objects) {
    const size_t slash = o.key.find('/', 9);
    if (slash == std::string::npos || o.key.compare(slash, 10, "/metadata/") != 0) continue;
    std::string name = o.key.substr(9, slash - 9);
    if (names.empty() || names.back() != name) names.push_back(std::move(name));
  }
  return names;
}

//! A root written before Iceberg: refused, naming the command that migrates it.
Status RefuseLegacyLayout(const ObjectStore& store) {
  LH_ASSIGN_OR_RETURN(auto objects, store.List("catalog/"));
  std::vector<std::string> legacy;
  for (const auto& o : objects)
    if (o.key.size() > 5 && o.key.substr(o.key.size() - 5) == ".json") legacy.push_back(o.key);
  if (legacy.empty()) return Status::OK();
  return Status::Conflict(fmt::format(
      "{} keeps datasets in the old layout ({}{}): run `lakehouse migrate --root <root>` once "
      "to turn them into Iceberg tables",
      store.Describe(), legacy.front(), legacy.size() > 1 ? ", ..." : ""));
}
}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(ObjectStore& store, const Clock& clock) {
  return Open(store, nullptr, clock);
}

Result<std::unique_ptr<Catalog>> Catalog::Open(ObjectStore& store, iceberg::SharedCatalog* shared,
                                               const Clock& clock) {
  LH_RETURN_IF_ERROR(RefuseLegacyLayout(store));
  auto catalog = std::unique_ptr<Catalog>(new Catalog(store, clock));
  catalog->shared_ = shared;
  LH_ASSIGN_OR_RETURN(auto names, TableNames(store));
  if (shared != nullptr) {
    // Tables of the root the shared catalog does not name yet (written without it) join it.
    LH_ASSIGN_OR_RETURN(auto known, shared->Tables());
    for (const auto& name : names) {
      if (known.count(name) != 0) continue;
      LH_ASSIGN_OR_RETURN(auto table, iceberg::LoadTable(store, TablePrefix(name)));
      if (!table) continue;
      Status st = shared->Publish(name, std::nullopt, store.Uri(table->MetadataKey()));
      if (!st.ok() && st.code() != ErrorCode::kConflict) return st;  // Conflict: another node did
      spdlog::info("catalog: registered {} in {}", name, shared->Describe());
    }
    LH_ASSIGN_OR_RETURN(known, shared->Tables());
    names.clear();
    for (const auto& [name, _] : known) names.push_back(name);
  }
  MutexLock lock(catalog->mu_);
  for (const auto& name : names) {
    LH_ASSIGN_OR_RETURN(Loaded d, LoadDataset(store, name, shared));
    catalog->manifests_[name] = std::move(d.manifest);
    catalog->tables_.emplace(name, std::move(d.table));
  }
  return catalog;
}

Catalog::~Catalog() {
  StopFollowing();
}

void Catalog::StopFollowing() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void Catalog::SetReadOnly(std::string why) {
  MutexLock lock(mu_);
  read_only_why_ = std::move(why);
}

Result<size_t> Catalog::Refresh() {
  std::vector<std::string> names;
  std::map<std::string, std::string> pointers;  // shared: each table's current metadata URI
  if (shared_ != nullptr) {
    LH_ASSIGN_OR_RETURN(pointers, shared_->Tables());  // one query tells what moved
    for (const auto& [name, _] : pointers) names.push_back(name);
  } else {
    LH_ASSIGN_OR_RETURN(names, TableNames(store_));
  }
  std::vector<DatasetManifest> changed;
  for (const auto& name : names) {
    std::optional<int32_t> known;
    {
      MutexLock lock(mu_);
      auto it = tables_.find(name);
      if (it != tables_.end()) {
        known = it->second.metadata_version;
        if (shared_ != nullptr && pointers[name] == store_.Uri(it->second.MetadataKey())) continue;
      }
    }
    // Cheap when nothing moved: the hint and one existence check per table.
    LH_ASSIGN_OR_RETURN(auto table, iceberg::LoadTable(store_, TablePrefix(name), shared_));
    if (!table || (known && *known == table->metadata_version)) continue;
    LH_ASSIGN_OR_RETURN(DatasetManifest manifest, ManifestFromTable(store_, name, *table));
    MutexLock lock(mu_);
    // A commit here may have gone further while this load ran: never step back to it (a
    // writer would then plan on a stale version).
    if (auto now = tables_.find(name);
        now != tables_.end() && now->second.metadata_version >= table->metadata_version)
      continue;
    auto old = manifests_.find(name);
    const bool moved = old == manifests_.end() ||
                       old->second.current_version != manifest.current_version ||
                       old->second.versions.size() != manifest.versions.size();
    manifests_[name] = manifest;
    tables_.insert_or_assign(name, std::move(*table));
    if (moved) changed.push_back(std::move(manifest));
  }
  std::vector<Listener> listeners;
  {
    MutexLock lock(mu_);
    listeners = listeners_;
  }
  for (const auto& m : changed)
    for (const auto& l : listeners) l(m);
  return changed.size();
}

void Catalog::Follow(std::chrono::milliseconds interval) {
  follower_ = std::thread([this, interval] {
    while (true) {
      {
        MutexLock lock(mu_);
        if (follow_cv_.wait_for(mu_, interval, [this]() LH_REQUIRES(mu_) { return stopping_; }))
          return;
      }
      auto n = Refresh();
      if (!n.ok()) spdlog::warn("catalog follower: {}", n.status().ToString());
    }
  });
}

std::vector<DatasetManifest> Catalog::List() const {
  MutexLock lock(mu_);
  std::vector<DatasetManifest> out;
  for (const auto& [_, m] : manifests_) out.push_back(m);
  return out;
}

Result<DatasetManifest> Catalog::Get(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateDatasetName(name));
  MutexLock lock(mu_);
  auto it = manifests_.find(name);
  if (it == manifests_.end())
    return Status::NotFound(fmt::format("dataset '{}' does not exist", name));
  return it->second;
}

std::mutex& Catalog::WriterMutex(const std::string& name) {
  MutexLock lock(mu_);
  auto& slot = writer_mutexes_[name];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

Result<PendingVersion> Catalog::BeginVersion(const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateDatasetName(name));
  {
    MutexLock lock(mu_);
    if (!read_only_why_.empty())
      return Status::Conflict(
          fmt::format("dataset '{}' cannot be written here: {}", name, read_only_why_));
  }
  std::unique_lock writer(WriterMutex(name));
  std::unique_ptr<iceberg::SharedCatalog::Guard> shared_lock;
  if (shared_ != nullptr) {
    LH_ASSIGN_OR_RETURN(shared_lock, LockShared(name));
  }
  std::optional<DatasetManifest> previous;
  int64_t next = 1;
  {
    MutexLock lock(mu_);
    auto it = manifests_.find(name);
    if (it != manifests_.end()) {
      previous = it->second;
      next = it->second.versions.back().version + 1;
    }
  }
  PendingVersion pending(this, name, next, std::move(previous), std::move(writer));
  pending.shared_lock_ = std::move(shared_lock);
  // Parts of an earlier attempt at this version that never committed are garbage.
  LH_RETURN_IF_ERROR(store_.DeletePrefix(pending.KeyPrefix()));
  return pending;
}

Status Catalog::Commit(PendingVersion& pending, DatasetVersion meta) {
  if (pending.catalog_ != this || pending.committed_)
    return Status::Internal("commit of a finished version");
  meta.version = pending.version();
  const int64_t now = clock_.NowMillis();
  meta.created_at = FormatRfc3339Millis(now);

  std::optional<iceberg::Table> base;
  iceberg::CommitHook hook;
  {
    MutexLock lock(mu_);
    auto it = tables_.find(pending.dataset());
    if (it != tables_.end()) base = it->second;
    hook = commit_hook_;
  }
  const DatasetVersion* previous = pending.previous() ? pending.previous()->Current() : nullptr;
  iceberg::NewSnapshot snap;
  snap.snapshot_id = meta.version;
  snap.timestamp_ms = now;
  for (const auto& c : meta.columns) snap.columns.emplace_back(c.name, c.type);
  // An append keeps every part of the version before it; anything else replaces them.
  snap.append = previous != nullptr && previous->AppendedBy(meta.files);
  for (size_t i = snap.append ? previous->files.size() : 0; i < meta.files.size(); ++i) {
    auto stats = std::find_if(meta.added.begin(), meta.added.end(),
                              [&](const iceberg::NewFile& f) { return f.key == meta.files[i]; });
    if (stats == meta.added.end())
      return Status::Internal(fmt::format("commit of {} v{}: no statistics for the new part {}",
                                          pending.dataset(), meta.version, meta.files[i]));
    snap.added.push_back(*stats);
  }
  snap.summary[kSourceKey] = meta.source;
  snap.summary[kQuarantinedKey] = std::to_string(meta.quarantined_rows);
  LH_ASSIGN_OR_RETURN(
      iceberg::Table table,
      iceberg::CommitSnapshot(store_, TablePrefix(pending.dataset()), base, snap, hook, shared_));
  pending.committed_ = true;
  meta.added.clear();
  meta.row_count = table.metadata.snapshots.back().SummaryInt("total-records");

  DatasetManifest manifest;
  if (pending.previous()) manifest = *pending.previous();
  manifest.name = pending.dataset();
  manifest.current_version = meta.version;
  manifest.versions.push_back(std::move(meta));
  Retention policy;
  {
    MutexLock lock(mu_);
    manifests_[manifest.name] = manifest;
    tables_.insert_or_assign(manifest.name, std::move(table));
    policy = retention_;
  }
  // The retention policy, under the writer lock this commit still holds. A failure here
  // loses nothing: the version is committed, the old ones stay until the next commit.
  if (policy.any()) {
    DatasetManifest after;
    auto expired = ExpireHeld(manifest.name, policy, &after);
    if (!expired.ok()) {
      spdlog::warn("expiring old versions of {}: {}", manifest.name, expired.status().ToString());
    } else if (!expired->empty()) {
      spdlog::info("{}: expired versions {} (retention)", manifest.name, fmt::join(*expired, ", "));
      manifest = std::move(after);
    }
  }
  std::vector<Listener> listeners;
  {
    MutexLock lock(mu_);
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(manifest);
  return Status::OK();
}

Result<std::unique_ptr<iceberg::SharedCatalog::Guard>> Catalog::LockShared(
    const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto guard, shared_->LockTable(name));
  // Another node may have committed since this one last looked: plan on its version.
  LH_ASSIGN_OR_RETURN(auto table, iceberg::LoadTable(store_, TablePrefix(name), shared_));
  if (!table) return guard;
  {
    MutexLock lock(mu_);
    auto it = tables_.find(name);
    if (it != tables_.end() && it->second.metadata_version == table->metadata_version) return guard;
  }
  LH_ASSIGN_OR_RETURN(DatasetManifest manifest, ManifestFromTable(store_, name, *table));
  std::vector<Listener> listeners;
  {
    MutexLock lock(mu_);
    manifests_[name] = manifest;
    tables_.insert_or_assign(name, std::move(*table));
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(manifest);
  return guard;
}

void Catalog::Abort(PendingVersion& pending) {
  Status st = store_.DeletePrefix(pending.KeyPrefix());
  if (!st.ok()) spdlog::warn("cleaning up uncommitted {}: {}", pending.KeyPrefix(), st.ToString());
}

Result<iceberg::Schema> Catalog::PlannedSchema(const PendingVersion& pending,
                                               const std::vector<ColumnSchema>& columns) const {
  std::optional<iceberg::Table> base;
  {
    MutexLock lock(mu_);
    auto it = tables_.find(pending.dataset());
    if (it != tables_.end()) base = it->second;
  }
  iceberg::Columns cols;
  for (const auto& c : columns) cols.emplace_back(c.name, c.type);
  return iceberg::PlanSchema(base, cols);
}

Result<iceberg::Table> Catalog::Table(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateDatasetName(name));
  MutexLock lock(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end())
    return Status::NotFound(fmt::format("dataset '{}' does not exist", name));
  return it->second;
}

void Catalog::SetInUse(InUse in_use) {
  MutexLock lock(mu_);
  in_use_ = std::move(in_use);
}

void Catalog::SetCommitHookForTest(iceberg::CommitHook hook) {
  MutexLock lock(mu_);
  commit_hook_ = std::move(hook);
}

void Catalog::SetRetention(Retention policy) {
  MutexLock lock(mu_);
  retention_ = policy;
}

Result<std::vector<int64_t>> Catalog::ExpireVersions(const std::string& name) {
  Retention policy;
  {
    MutexLock lock(mu_);
    policy = retention_;
  }
  return ExpireVersions(name, policy);
}

Result<std::vector<int64_t>> Catalog::ExpireVersions(const std::string& name,
                                                     const Retention& policy) {
  LH_RETURN_IF_ERROR(ValidateDatasetName(name));
  if (!policy.any()) return std::vector<int64_t>{};
  {
    MutexLock lock(mu_);
    if (!read_only_why_.empty())
      return Status::Conflict(
          fmt::format("dataset '{}' cannot be expired here: {}", name, read_only_why_));
  }
  std::unique_lock writer(WriterMutex(name));  // no commit of this dataset meanwhile
  std::unique_ptr<iceberg::SharedCatalog::Guard> shared_lock;
  if (shared_ != nullptr) {
    LH_ASSIGN_OR_RETURN(shared_lock, LockShared(name));
  }
  DatasetManifest after;
  LH_ASSIGN_OR_RETURN(auto expired, ExpireHeld(name, policy, &after));
  if (!expired.empty()) {
    std::vector<Listener> listeners;
    {
      MutexLock lock(mu_);
      listeners = listeners_;
    }
    for (const auto& l : listeners) l(after);
  }
  return expired;
}

Result<std::vector<int64_t>> Catalog::ExpireHeld(const std::string& name, const Retention& policy,
                                                 DatasetManifest* after) {
  if (!policy.any()) return std::vector<int64_t>{};
  InUse in_use;
  std::optional<iceberg::Table> table;
  {
    MutexLock lock(mu_);
    auto it = tables_.find(name);
    if (it == tables_.end())
      return Status::NotFound(fmt::format("dataset '{}' does not exist", name));
    table = it->second;
    in_use = in_use_;
  }
  std::set<int64_t> keep;
  if (in_use)
    for (int64_t v : in_use(name)) keep.insert(v);
  const iceberg::TableMetadata& meta = table->metadata;
  keep.insert(meta.current_snapshot_id.value_or(-1));
  const int64_t now = clock_.NowMillis();
  const auto& snaps = meta.snapshots;  // ascending id: the newest last
  std::vector<int64_t> expired;
  for (size_t i = 0; i + 1 < snaps.size(); ++i) {  // the newest is current or newer
    const bool recent_by_count =
        policy.keep_last > 0 && static_cast<int64_t>(snaps.size() - i) <= policy.keep_last;
    const bool recent_by_age = policy.keep_ms > 0 && now - snaps[i].timestamp_ms <= policy.keep_ms;
    const bool just_replaced = now - snaps[i + 1].timestamp_ms < policy.grace_ms;
    if (keep.count(snaps[i].id) == 0 && !recent_by_count && !recent_by_age && !just_replaced)
      expired.push_back(snaps[i].id);
  }
  if (expired.empty()) return expired;

  // What the kept snapshots still use: manifest lists, manifests, data files.
  auto is_expired = [&](int64_t id) {
    return std::find(expired.begin(), expired.end(), id) != expired.end();
  };
  iceberg::TableMetadata next = meta;
  next.snapshots.clear();
  for (const auto& snap : meta.snapshots)
    if (!is_expired(snap.id)) next.snapshots.push_back(snap);
  // The spec: log entries before an expired snapshot go with it.
  size_t cut = 0;
  for (size_t i = 0; i < meta.snapshot_log.size(); ++i)
    if (is_expired(meta.snapshot_log[i].second)) cut = i + 1;
  next.snapshot_log.erase(next.snapshot_log.begin(), next.snapshot_log.begin() + cut);

  std::set<std::string> used, unused;
  iceberg::ManifestCache cache;
  auto collect = [&](const iceberg::Snapshot& snap, std::set<std::string>& into) -> Status {
    into.insert(snap.manifest_list);
    LH_ASSIGN_OR_RETURN(std::string list_key, iceberg::KeyOf(*table, snap.manifest_list));
    LH_ASSIGN_OR_RETURN(std::string bytes, store_.Get(list_key));
    LH_ASSIGN_OR_RETURN(auto rows, iceberg::ReadManifestList(bytes));
    for (const auto& r : rows) into.insert(r.path);
    LH_ASSIGN_OR_RETURN(auto files, iceberg::SnapshotFiles(store_, *table, snap, &cache));
    for (const auto& f : files) into.insert(f.path);
    return Status::OK();
  };
  for (const auto& snap : meta.snapshots)
    LH_RETURN_IF_ERROR(collect(snap, is_expired(snap.id) ? unused : used));

  LH_ASSIGN_OR_RETURN(iceberg::Table committed,
                      iceberg::CommitMetadata(store_, *table, std::move(next), now, shared_));
  LH_ASSIGN_OR_RETURN(*after, ManifestFromTable(store_, name, committed));
  {
    MutexLock lock(mu_);
    manifests_[name] = *after;
    tables_.insert_or_assign(name, std::move(committed));
  }
  // Only now, with no kept version naming them, do the files go.
  for (const auto& uri : unused) {
    if (used.count(uri) != 0) continue;
    auto key = iceberg::KeyOf(*table, uri);
    Status st = key.ok() ? store_.Delete(*key) : key.status();
    if (!st.ok()) spdlog::warn("expiring {}: {}", uri, st.ToString());
  }
  return expired;
}

void Catalog::AddListener(Listener listener) {
  MutexLock lock(mu_);
  listeners_.push_back(std::move(listener));
}

}  // namespace lakehouse
