#include "vector/vector_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"

namespace lakehouse {
namespace fs = std::filesystem;

namespace {
//! Sizes and modification times of an index's spec and snapshot: changes when its owner
//! creates it again or compacts it (appends to store.log are followed in place).
std::string FilesStamp(const fs::path& dir) {
  std::string stamp;
  for (const char* file : {"index.json", "store.snap"}) {
    std::error_code ec;
    const auto size = fs::file_size(dir / file, ec);
    if (ec) {
      stamp += "-;";
      continue;
    }
    const auto mtime = fs::last_write_time(dir / file, ec);
    stamp += fmt::format("{}:{};", size, ec ? 0 : mtime.time_since_epoch().count());
  }
  return stamp;
}
}  // namespace

Result<std::unique_ptr<VectorStore>> VectorStore::Open(const std::string& dir) {
  VectorStoreOptions options;
  options.dir = dir;
  return Open(std::move(options));
}

Result<std::unique_ptr<VectorStore>> VectorStore::Open(VectorStoreOptions options) {
  auto store = std::unique_ptr<VectorStore>(new VectorStore(std::move(options)));
  const std::string& dir = store->options_.dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  bool follows = false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !fs::exists(entry.path() / "index.json")) continue;
    if (!store->Wanted(name)) continue;
    if (!store->Owned(name)) {
      follows = true;
      continue;  // loaded by the first follower pass below
    }
    auto index = VectorIndex::Open(entry.path().string());
    if (!index.ok()) return index.status().WithContext("open vector index " + name);
    spdlog::info("vector index {}: {} items, graph {}", (*index)->spec().name, (*index)->Count(),
                 (*index)->graph_origin());
    MutexLock lock(store->mu_);
    store->indexes_[(*index)->spec().name] = std::move(index).value();
  }
  if (follows || store->options_.owned) {
    store->FollowOnce();
    VectorStore* self = store.get();
    store->follower_ = std::thread([self] {
      while (true) {
        {
          MutexLock lock(self->mu_);
          if (self->follow_cv_.wait_for(self->mu_, self->options_.follow_interval,
                                        [self]()
                                            LH_REQUIRES(self->mu_) { return self->stopping_; }))
            return;
        }
        self->FollowOnce();
      }
    });
  }
  return store;
}

bool VectorStore::LoadFollowed(const std::string& name) const {
  const fs::path dir = fs::path(options_.dir) / name;
  // The stamp is taken before the load, so a compaction during it triggers another.
  const std::string stamp = FilesStamp(dir);
  // Loaded outside mu_: searches go on against the previous copy meanwhile.
  auto index = VectorIndex::Open(dir.string(), /*read_only=*/true);
  MutexLock lock(mu_);
  if (!index.ok()) {
    if (followed_stamps_[name] != "failed:" + stamp)
      spdlog::warn("following vector index {}: {}", name, index.status().ToString());
    followed_stamps_[name] = "failed:" + stamp;
    return false;
  }
  indexes_[name] = std::move(index).value();
  followed_stamps_[name] = stamp;
  return true;
}

size_t VectorStore::FollowOnce() {
  std::error_code ec;
  std::map<std::string, std::string> on_disk;  // followed name -> stamp
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !Wanted(name) || Owned(name)) continue;
    if (!fs::exists(entry.path() / "index.json")) continue;
    on_disk[name] = FilesStamp(entry.path());
  }
  MutexLock loading(load_mu_);
  size_t loaded = 0;
  for (const auto& [name, stamp] : on_disk) {
    {
      MutexLock lock(mu_);
      auto it = followed_stamps_.find(name);
      // Same snapshot: its appends are applied when it is read (CatchUp).
      if (it != followed_stamps_.end() && it->second == stamp && indexes_.count(name)) continue;
    }
    if (LoadFollowed(name)) ++loaded;
  }
  MutexLock lock(mu_);
  for (auto it = followed_stamps_.begin(); it != followed_stamps_.end();) {
    if (on_disk.count(it->first)) {
      ++it;
      continue;
    }
    indexes_.erase(it->first);
    it = followed_stamps_.erase(it);
  }
  return loaded;
}

Status VectorStore::RefuseNotOwned(const std::string& name) const {
  return Status::Conflict(
      fmt::format("index '{}' is not owned by this process (split-service mode; create and drop it "
                  "through the service that owns it)",
                  name));
}

VectorStore::~VectorStore() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  CloseAll();
}

Result<std::shared_ptr<VectorIndex>> VectorStore::Create(const IndexSpec& spec) {
  LH_RETURN_IF_ERROR(spec.Validate());
  if (!Owned(spec.name)) return RefuseNotOwned(spec.name);
  MutexLock lock(mu_);
  if (indexes_.count(spec.name))
    return Status::AlreadyExists(fmt::format("index '{}' already exists", spec.name));
  LH_ASSIGN_OR_RETURN(auto index, VectorIndex::Create(options_.dir + "/" + spec.name, spec));
  std::shared_ptr<VectorIndex> shared = std::move(index);
  indexes_[spec.name] = shared;
  return shared;
}

void VectorStore::CatchUp(const std::shared_ptr<VectorIndex>& index) const {
  if (!index->read_only()) return;
  auto followed = index->FollowLog();
  if (followed.ok() && *followed) return;
  // Compacted (or unreadable) since it was loaded: the follower thread reloads it; until
  // then it answers as of its last catch-up.
  MutexLock lock(mu_);
  followed_stamps_.erase(index->spec().name);
}

void VectorStore::BeginBuild(const std::string& name, std::function<std::string()> describe) {
  MutexLock lock(mu_);
  building_[name] = std::move(describe);
}

void VectorStore::EndBuild(const std::string& name) {
  MutexLock lock(mu_);
  building_.erase(name);
}

Result<std::shared_ptr<VectorIndex>> VectorStore::Get(const std::string& name) const {
  std::function<std::string()> building;
  {
    MutexLock lock(mu_);
    if (auto b = building_.find(name); b != building_.end()) building = b->second;
  }
  if (building) {
    return Status::Unavailable(
        fmt::format("index '{}' is being built ({}); retry shortly", name, building()));
  }
  auto find = [&]() -> std::shared_ptr<VectorIndex> {
    MutexLock lock(mu_);
    auto it = indexes_.find(name);
    return it == indexes_.end() ? nullptr : it->second;
  };
  std::shared_ptr<VectorIndex> index = find();
  if (!index && !Owned(name) && Wanted(name) && ValidateIndexName(name).ok() &&
      fs::exists(fs::path(options_.dir) / name / "index.json")) {
    // Created by its owner since the last follower pass: load it now, not in 0.5 s.
    MutexLock loading(load_mu_);
    index = find();
    if (!index && LoadFollowed(name)) index = find();
  }
  if (!index) return Status::NotFound(fmt::format("index '{}' does not exist", name));
  CatchUp(index);
  return index;
}

std::vector<std::shared_ptr<VectorIndex>> VectorStore::List() const {
  std::vector<std::shared_ptr<VectorIndex>> out;
  {
    MutexLock lock(mu_);
    for (const auto& [_, i] : indexes_) out.push_back(i);
  }
  for (const auto& index : out) CatchUp(index);
  return out;
}

Status VectorStore::Drop(const std::string& name) {
  if (!Owned(name)) return RefuseNotOwned(name);
  std::shared_ptr<VectorIndex> index;
  {
    MutexLock lock(mu_);
    auto it = indexes_.find(name);
    if (it == indexes_.end())
      return Status::NotFound(fmt::format("index '{}' does not exist", name));
    index = std::move(it->second);
    indexes_.erase(it);
  }
  index->MarkDropped();
  std::error_code ec;
  fs::remove_all(options_.dir + "/" + name, ec);
  if (ec) return Status::IOError(fmt::format("remove index {}: {}", name, ec.message()));
  return Status::OK();
}

namespace {
std::string UnfinishedMark(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / (name + ".unfinished")).string();
}
}  // namespace

Status VectorStore::MarkUnfinished(const std::string& name) {
  if (!Owned(name)) return RefuseNotOwned(name);
  return WriteFileAtomically(UnfinishedMark(options_.dir, name),
                             "a build of this index began and has not finished\n");
}

Status VectorStore::MarkFinished(const std::string& name) {
  std::error_code ec;
  if (!fs::remove(UnfinishedMark(options_.dir, name), ec) || ec) return Status::OK();
  return FsyncPath(options_.dir, /*directory=*/true);
}

bool VectorStore::Unfinished(const std::string& name) const {
  std::error_code ec;
  return fs::exists(UnfinishedMark(options_.dir, name), ec);
}

void VectorStore::CloseAll() {
  for (const auto& index : List()) {
    Status st = index->Close();
    if (!st.ok()) spdlog::warn("closing vector index {}: {}", index->spec().name, st.ToString());
  }
}

}  // namespace lakehouse
