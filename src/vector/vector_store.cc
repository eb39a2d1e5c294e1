#include "vector/vector_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lakehouse {
namespace fs = std::filesystem;

Result<std::unique_ptr<VectorStore>> VectorStore::Open(const std::string& dir) {
  auto store = std::unique_ptr<VectorStore>(new VectorStore(dir));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "index.json")) continue;
    auto index = VectorIndex::Open(entry.path().string());
    if (!index.ok())
      return index.status().WithContext("open vector index " + entry.path().filename().string());
    spdlog::info("vector index {}: {} items, graph {}", (*index)->spec().name, (*index)->Count(),
                 (*index)->graph_origin());
    store->indexes_[(*index)->spec().name] = std::move(index).value();
  }
  return store;
}

VectorStore::~VectorStore() {
  CloseAll();
}

Result<std::shared_ptr<VectorIndex>> VectorStore::Create(const IndexSpec& spec) {
  LH_RETURN_IF_ERROR(spec.Validate());
  std::lock_guard lock(mu_);
  if (indexes_.count(spec.name))
    return Status::AlreadyExists(fmt::format("index '{}' already exists", spec.name));
  LH_ASSIGN_OR_RETURN(auto index, VectorIndex::Create(dir_ + "/" + spec.name, spec));
  std::shared_ptr<VectorIndex> shared = std::move(index);
  indexes_[spec.name] = shared;
  return shared;
}

Result<std::shared_ptr<VectorIndex>> VectorStore::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = indexes_.find(name);
  if (it == indexes_.end()) return Status::NotFound(fmt::format("index '{}' does not exist", name));
  return it->second;
}

std::vector<std::shared_ptr<VectorIndex>> VectorStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<VectorIndex>> out;
  for (const auto& [_, i] : indexes_) out.push_back(i);
  return out;
}

Status VectorStore::Drop(const std::string& name) {
  std::shared_ptr<VectorIndex> index;
  {
    std::lock_guard lock(mu_);
    auto it = indexes_.find(name);
    if (it == indexes_.end())
      return Status::NotFound(fmt::format("index '{}' does not exist", name));
    index = std::move(it->second);
    indexes_.erase(it);
  }
  index->MarkDropped();
  std::error_code ec;
  fs::remove_all(dir_ + "/" + name, ec);
  if (ec) return Status::IOError(fmt::format("remove index {}: {}", name, ec.message()));
  return Status::OK();
}

void VectorStore::CloseAll() {
  for (const auto& index : List()) {
    Status st = index->Close();
    if (!st.ok()) spdlog::warn("closing vector index {}: {}", index->spec().name, st.ToString());
  }
}

}  // namespace lakehouse
