#include "catalog/catalog.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lakehouse {
namespace {
constexpr const char* kManifestSchema = "catalog.v1";
std::string ManifestKey(const std::string& name) {
  return "catalog/" + name + ".json";
}
}  // namespace

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
//! Every manifest under catalog/, parsed; a manifest that does not parse is an error.
Result<std::map<std::string, DatasetManifest>> ReadManifests(ObjectStore& store) {
  std::map<std::string, DatasetManifest> out;
  LH_ASSIGN_OR_RETURN(auto objects, store.List("catalog/"));
  for (const auto& obj : objects) {
    if (obj.key.size() < 5 || obj.key.substr(obj.key.size() - 5) != ".json") continue;
    LH_ASSIGN_OR_RETURN(std::string text, store.Get(obj.key));
    auto parsed = ParseJson(text);
    if (!parsed.ok())
      return Status::Corruption(fmt::format("{}: {}", obj.key, parsed.status().message()));
    auto manifest = DatasetManifest::FromJson(*parsed);
    if (!manifest.ok()) return manifest.status().WithContext(obj.key);
    out[manifest->name] = std::move(manifest).value();
  }
  return out;
}
}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(ObjectStore& store, const Clock& clock) {
  auto catalog = std::unique_ptr<Catalog>(new Catalog(store, clock));
  LH_ASSIGN_OR_RETURN(auto manifests, ReadManifests(store));
  MutexLock lock(catalog->mu_);
  catalog->manifests_ = std::move(manifests);
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
  LH_ASSIGN_OR_RETURN(auto fresh, ReadManifests(store_));
  std::vector<DatasetManifest> changed;
  std::vector<Listener> listeners;
  {
    MutexLock lock(mu_);
    for (auto& [name, m] : fresh) {
      auto it = manifests_.find(name);
      if (it != manifests_.end() && it->second.current_version == m.current_version &&
          it->second.versions.size() == m.versions.size())
        continue;
      manifests_[name] = m;
      changed.push_back(std::move(m));
    }
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
  // Parts of an earlier attempt at this version that never committed are garbage.
  LH_RETURN_IF_ERROR(store_.DeletePrefix(pending.KeyPrefix()));
  return pending;
}

Status Catalog::Commit(PendingVersion& pending, DatasetVersion meta) {
  if (pending.catalog_ != this || pending.committed_)
    return Status::Internal("commit of a finished version");
  meta.version = pending.version();
  meta.created_at = FormatRfc3339Millis(clock_.NowMillis());
  DatasetManifest manifest;
  if (pending.previous()) manifest = *pending.previous();
  manifest.name = pending.dataset();
  manifest.current_version = meta.version;
  manifest.versions.push_back(std::move(meta));
  LH_RETURN_IF_ERROR(store_.Put(ManifestKey(manifest.name), DumpJson(manifest.ToJson()) + "\n"));
  pending.committed_ = true;
  std::vector<Listener> listeners;
  {
    MutexLock lock(mu_);
    manifests_[manifest.name] = manifest;
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(manifest);
  return Status::OK();
}

void Catalog::Abort(PendingVersion& pending) {
  Status st = store_.DeletePrefix(pending.KeyPrefix());
  if (!st.ok()) spdlog::warn("cleaning up uncommitted {}: {}", pending.KeyPrefix(), st.ToString());
}

void Catalog::AddListener(Listener listener) {
  MutexLock lock(mu_);
  listeners_.push_back(std::move(listener));
}

}  // namespace lakehouse
