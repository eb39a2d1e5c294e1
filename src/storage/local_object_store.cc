#include "storage/local_object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/file_io.h"
#include "storage/s3_object_store.h"

namespace lakehouse {
namespace fs = std::filesystem;
namespace {

Status ErrnoStatus(const std::string& what, const fs::path& path) {
  return Status::IOError(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

Status EnsureParent(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return Status::IOError(
        fmt::format("create directory {}: {}", path.parent_path().string(), ec.message()));
  return Status::OK();
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("object key is empty");
  if (key.size() > 1024) return Status::InvalidArgument("object key is longer than 1024 bytes");
  if (key.front() == '/')
    return Status::InvalidArgument(fmt::format("object key '{}' must be relative", key));
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return Status::InvalidArgument(
          fmt::format("object key '{}' has an empty, '.' or '..' segment", key));
    }
    start = end + 1;
  }
  for (char c : key) {
    if (c == '\0' || c == '\\') {
      return Status::InvalidArgument(
          fmt::format("object key '{}' contains a NUL or backslash", key));
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec)
    return Status::IOError(fmt::format("create data root {}: {}", root.string(), ec.message()));
  fs::path abs = fs::canonical(root, ec);
  if (ec)
    return Status::IOError(fmt::format("resolve data root {}: {}", root.string(), ec.message()));
  auto store = std::unique_ptr<LocalObjectStore>(new LocalObjectStore(abs));
  fs::create_directories(store->StagingDir(), ec);
  if (ec) return Status::IOError(fmt::format("create staging dir: {}", ec.message()));
  return store;
}

std::string LocalObjectStore::Uri(std::string_view key) const {
  return "file://" + (root_ / std::string(key)).string();
}

std::string LocalObjectStore::Describe() const {
  return "local:" + root_.string();
}

fs::path LocalObjectStore::StagingDir() const {
  return root_ / "_staging";
}

Status LocalObjectStore::Put(std::string_view key, std::string_view data) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  const fs::path target = PathOf(key);
  LH_RETURN_IF_ERROR(EnsureParent(target));
  return WriteFileAtomically(target.string(), data);
}

Status LocalObjectStore::PutFile(std::string_view key, const fs::path& local_file) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  const fs::path target = PathOf(key);
  LH_RETURN_IF_ERROR(EnsureParent(target));
  LH_RETURN_IF_ERROR(FsyncPath(local_file.string(), /*directory=*/false));
  if (::rename(local_file.c_str(), target.c_str()) != 0) return ErrnoStatus("rename onto", target);
  return FsyncPath(target.parent_path().string(), /*directory=*/true);
}

Result<std::string> LocalObjectStore::Get(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  const fs::path path = PathOf(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path)) return Status::NotFound(fmt::format("object '{}' does not exist", key));
    return ErrnoStatus("open", path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<bool> LocalObjectStore::Exists(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  bool e = fs::is_regular_file(PathOf(key), ec);
  return e;
}

Result<std::vector<ObjectInfo>> LocalObjectStore::List(std::string_view prefix) const {
  std::vector<ObjectInfo> out;
  // Walk from the deepest directory the prefix names, then filter by the full prefix.
  std::string_view dir_part =
      prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/'));
  if (!dir_part.empty()) LH_RETURN_IF_ERROR(ValidateKey(dir_part));
  const fs::path start = dir_part.empty() ? root_ : PathOf(dir_part);
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(start, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string key = fs::relative(it->path(), root_, ec).generic_string();
    if (key.rfind("_staging/", 0) == 0) continue;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (key.find(".tmp-") != std::string::npos) continue;  // an unfinished Put
    out.push_back(ObjectInfo{std::move(key), static_cast<uint64_t>(it->file_size(ec))});
  }
  if (ec) return Status::IOError(fmt::format("list {}: {}", start.string(), ec.message()));
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status LocalObjectStore::Delete(std::string_view key) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  fs::remove(PathOf(key), ec);
  if (ec) return Status::IOError(fmt::format("delete {}: {}", key, ec.message()));
  return Status::OK();
}

Status LocalObjectStore::DeletePrefix(std::string_view prefix) {
  std::string_view dir = prefix;
  while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
  LH_RETURN_IF_ERROR(ValidateKey(dir));
  std::error_code ec;
  fs::remove_all(PathOf(dir), ec);
  if (ec) return Status::IOError(fmt::format("delete {}: {}", prefix, ec.message()));
  return Status::OK();
}

Status LocalObjectStore::Append(std::string_view key, std::string_view data, bool sync) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  const fs::path path = PathOf(key);
  LH_RETURN_IF_ERROR(EnsureParent(path));
  return AppendToFile(path.string(), data, sync);
}

Result<fs::path> LocalObjectStore::LocalPath(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  return PathOf(key);
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& root,
                                                     const ObjectStoreOptions& options) {
  if (root.rfind("s3://", 0) == 0) {
    LH_ASSIGN_OR_RETURN(auto s3, S3Options::FromEnvironment());
    LH_ASSIGN_OR_RETURN(auto store, S3ObjectStore::Open(root, std::move(s3), options));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  LH_ASSIGN_OR_RETURN(auto store, LocalObjectStore::Open(root));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

Result<std::unique_ptr<ObjectStore>> OpenRootStore(const Config& config) {
  ObjectStoreOptions o;
  o.cache_dir = config.LocalRoot();
  o.cache_max_bytes = static_cast<uint64_t>(config.cache_max_bytes);
  o.sync_interval_ms = config.sync_interval_ms;
  return OpenObjectStore(config.root, o);
}

}  // namespace lakehouse
