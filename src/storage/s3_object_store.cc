#include "storage/s3_object_store.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"
#include "core/ids.h"

namespace lakehouse {
namespace fs = std::filesystem;
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Dataset parts are cached on demand and evicted; every other file is mirrored.
bool IsPart(std::string_view key) {
  return key.rfind("datasets/", 0) == 0 && key.find("/v") != std::string_view::npos &&
         key.ends_with(".parquet");
}

// Files the mirror never uploads: the cache's own staging, process locks, files being
// written (".tmp-" beside their target), and the dataset tree (committed through Put).
bool Mirrored(std::string_view key) {
  return key.rfind("datasets/", 0) != 0 && key.rfind("_staging/", 0) != 0 &&
         key.rfind(".", 0) != 0 &&  // the cache's own: its id, the root lock, markers
         !key.ends_with(".lock") && key.find(".tmp") == std::string_view::npos;
}

// Filled when first asked for (LocalPath), not at open: most processes never read it.
constexpr std::string_view kDeferred = "vectors/";

int64_t MtimeNs(const fs::directory_entry& e, std::error_code& ec) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             e.last_write_time(ec).time_since_epoch())
      .count();
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseS3Root(std::string_view root) {
  if (root.rfind("s3://", 0) != 0)
    return Status::InvalidArgument(fmt::format("root '{}' is not an s3:// URI", root));
  std::string rest(root.substr(5));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  const bool bucket_ok = bucket.size() >= 3 && bucket.size() <= 63 &&
                         std::all_of(bucket.begin(), bucket.end(), [](char c) {
                           return std::islower(static_cast<unsigned char>(c)) ||
                                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
                                  c == '.';
                         });
  if (!bucket_ok)
    return Status::InvalidArgument(fmt::format(
        "root '{}': the bucket name must be 3-63 lower-case letters, digits, '-' or '.'", root));
  if (!prefix.empty())
    LH_RETURN_IF_ERROR(ValidateKey(prefix).WithContext("root " + std::string(root)));
  return std::make_pair(std::move(bucket), std::move(prefix));
}

S3ObjectStore::S3ObjectStore(std::string bucket, std::string prefix, S3Options s3,
                             const ObjectStoreOptions& options)
    : bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      cache_(options.cache_dir),
      options_(options),
      client_(std::make_unique<S3Client>(std::move(s3))) {}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(const std::string& root, S3Options s3,
                                                           const ObjectStoreOptions& options) {
  LH_ASSIGN_OR_RETURN(auto parsed, ParseS3Root(root));
  if (options.cache_dir.empty())
    return Status::InvalidArgument("an s3:// root needs a cache directory (--cache)");
  std::error_code ec;
  fs::create_directories(options.cache_dir / "_staging", ec);
  if (ec)
    return Status::IOError(
        fmt::format("create cache {}: {}", options.cache_dir.string(), ec.message()));
  ObjectStoreOptions o = options;
  o.cache_dir = fs::canonical(options.cache_dir, ec);
  if (ec) return Status::IOError("resolve cache " + options.cache_dir.string());
  auto store = std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(parsed.first), std::move(parsed.second), std::move(s3), o));
  LH_RETURN_IF_ERROR(store->Hydrate().WithContext("open " + store->Describe()));
  if (o.sync_interval_ms > 0) store->loop_ = std::thread([s = store.get()] { s->SyncLoop(); });
  return store;
}

S3ObjectStore::~S3ObjectStore() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (Status st = SyncFiles(/*force=*/true); !st.ok())
    spdlog::error("storage: last sync to the bucket: {}", st.ToString());
}

void S3ObjectStore::SyncLoop() {
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.sync_interval_ms),
                      [&] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    if (Status st = Sync(); !st.ok())
      spdlog::warn("storage: sync to the bucket: {}", st.ToString());
    lock.lock();
  }
}

std::string S3ObjectStore::ObjectKey(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "/" + std::string(key);
}

std::string S3ObjectStore::Describe() const {
  return fmt::format("s3://{}/{} (cache {})", bucket_, prefix_, cache_.string());
}

std::string S3ObjectStore::Uri(std::string_view key) const {
  return "s3://" + bucket_ + "/" + ObjectKey(key);
}

std::vector<std::pair<std::string, fs::directory_entry>> S3ObjectStore::MirroredFiles(
    std::error_code& ec) const {
  std::vector<std::pair<std::string, fs::directory_entry>> out;
  for (auto it = fs::recursive_directory_iterator(cache_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() == 0 && it->is_directory(ec) &&
        (it->path().filename() == "datasets" || it->path().filename() == "_staging")) {
      it.disable_recursion_pending();  // committed through Put, or not yet anything
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string key = fs::relative(it->path(), cache_, ec).generic_string();
    if (Mirrored(key) && ValidateKey(key).ok()) out.emplace_back(std::move(key), *it);
  }
  return out;
}

Status S3ObjectStore::FillMirror(bool bucket_wins, std::string_view under,
                                 std::string_view skip) const {
  // One listing of the root (or the folder): the bucket must answer (credentials, region,
  // existence).
  LH_ASSIGN_OR_RETURN(auto objects, client_->List(bucket_, (prefix_.empty() ? "" : prefix_ + "/") +
                                                               std::string(under)));
  MutexLock lock(sync_mu_);
  assert(!bucket_wins || (under.empty() && skip.empty()));  // a refill is of the whole mirror
  const size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
  std::map<std::string, bool> in_bucket;
  size_t fetched = 0, removed = 0;
  for (const auto& o : objects) {
    const std::string key = o.key.substr(strip);
    if (!Mirrored(key) || !ValidateKey(key).ok()) continue;
    if (!skip.empty() && key.rfind(skip, 0) == 0) continue;
    in_bucket[key] = true;
    const fs::path local = cache_ / key;
    std::error_code ec;
    const bool missing = !fs::exists(local, ec);
    if (!missing && fs::file_size(local, ec) != o.size && !bucket_wins)
      continue;  // this node wrote more than the bucket has (stopped before a sync): upload it
    if (missing || fs::file_size(local, ec) != o.size) {
      LH_RETURN_IF_ERROR(client_->Download(bucket_, o.key, local));
      ++fetched;
    }
    const fs::directory_entry e(local, ec);
    synced_[key] = Synced{o.size, MtimeNs(e, ec), NowMs(), 0};
  }
  if (bucket_wins) {
    std::error_code ec;
    for (const auto& [key, entry] : MirroredFiles(ec))
      if (in_bucket.count(key) == 0) removed += fs::remove(entry.path(), ec) ? 1 : 0;
    for (auto it = synced_.begin(); it != synced_.end();)
      it = in_bucket.count(it->first) == 0 ? synced_.erase(it) : std::next(it);
    spdlog::info("storage: the mirror of s3://{}/{} is the bucket's again ({} fetched, {} removed)",
                 bucket_, prefix_, fetched, removed);
  } else if (fetched > 0) {
    spdlog::info("storage: fetched {} file(s) from s3://{}/{}", fetched, bucket_, prefix_);
  }
  return Status::OK();
}

Status S3ObjectStore::Hydrate() {
  LH_RETURN_IF_ERROR(FillMirror(/*bucket_wins=*/false, "", kDeferred));
  // Parts this cache already holds count toward its bound.
  std::error_code ec;
  MutexLock parts(parts_mu_);
  for (auto it = fs::recursive_directory_iterator(cache_ / "datasets", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string key = fs::relative(it->path(), cache_, ec).generic_string();
    if (!IsPart(key)) continue;
    const uint64_t size = it->file_size(ec);
    parts_[key] = Part{size, ++use_clock_};
    part_bytes_ += size;
  }
  return Status::OK();
}

Status S3ObjectStore::Refill() {
  LH_RETURN_IF_ERROR(FillMirror(/*bucket_wins=*/true));
  vectors_filled_ = true;
  return Status::OK();
}

Status S3ObjectStore::Sync() {
  return SyncFiles(/*force=*/false);
}

Status S3ObjectStore::SyncFiles(bool force) {
  if (!mirror_uploads_) return Status::OK();
  MutexLock lock(sync_mu_);
  std::error_code ec;
  std::map<std::string, bool> seen;
  for (const auto& [key, entry] : MirroredFiles(ec)) {
    seen[key] = true;
    std::error_code fec;
    const uint64_t size = entry.file_size(fec);
    const int64_t mtime = MtimeNs(entry, fec);
    if (fec) continue;  // removed while listed
    auto s = synced_.find(key);
    if (s != synced_.end() && s->second.size == size && s->second.mtime_ns == mtime) continue;
    const int64_t now = NowMs();
    if (!force && s != synced_.end() && now - s->second.uploaded_at_ms < 20 * s->second.upload_ms)
      continue;  // a big file that keeps changing: not more often than 1/20 of the time
    LH_RETURN_IF_ERROR(client_->Upload(bucket_, ObjectKey(key), entry.path()));
    synced_[key] = Synced{size, mtime, NowMs(), NowMs() - now};
  }
  if (ec) return Status::IOError(fmt::format("list cache {}: {}", cache_.string(), ec.message()));
  for (auto it = synced_.begin(); it != synced_.end();) {
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    LH_RETURN_IF_ERROR(client_->Delete(bucket_, ObjectKey(it->first)));
    it = synced_.erase(it);
  }
  return Status::OK();
}

std::string S3ObjectStore::CacheId() const {
  const fs::path path = cache_ / ".cache-id";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::string id;
    std::getline(in, id);
    if (!id.empty()) return id;
  }
  const std::string id = RandomHex(8);
  (void)WriteFileAtomically(path.string(), id + "\n");
  return id;
}

Status S3ObjectStore::Put(std::string_view key, std::string_view data) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  return client_->Put(bucket_, ObjectKey(key), data);
}

Status S3ObjectStore::PutFile(std::string_view key, const fs::path& local_file) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  LH_RETURN_IF_ERROR(client_->Upload(bucket_, ObjectKey(key), local_file));
  // The writer's copy becomes the cached one: the node that wrote a part never fetches it.
  const fs::path target = cache_ / std::string(key);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const uint64_t size = fs::file_size(local_file, ec);
  fs::rename(local_file, target, ec);
  if (ec) {
    fs::remove(local_file, ec);
    return Status::OK();  // uploaded; the cache fetches it when read
  }
  if (IsPart(key)) Remember(std::string(key), size);
  return Status::OK();
}

Result<std::string> S3ObjectStore::Get(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  auto r = client_->Get(bucket_, ObjectKey(key));
  if (!r.ok() && r.status().code() == ErrorCode::kNotFound)
    return Status::NotFound(fmt::format("object '{}' does not exist", key));
  return r;
}

Result<bool> S3ObjectStore::Exists(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  LH_ASSIGN_OR_RETURN(auto size, client_->Head(bucket_, ObjectKey(key)));
  return size.has_value();
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view prefix) const {
  LH_ASSIGN_OR_RETURN(auto objects, client_->List(bucket_, ObjectKey(prefix)));
  const size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
  for (auto& o : objects) o.key = o.key.substr(strip);
  return objects;
}

Status S3ObjectStore::Delete(std::string_view key) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  LH_RETURN_IF_ERROR(client_->Delete(bucket_, ObjectKey(key)));
  std::error_code ec;
  fs::remove(cache_ / std::string(key), ec);
  MutexLock lock(parts_mu_);
  if (auto it = parts_.find(std::string(key)); it != parts_.end()) {
    part_bytes_ -= it->second.size;
    parts_.erase(it);
  }
  return Status::OK();
}

Status S3ObjectStore::DeletePrefix(std::string_view prefix) {
  std::string dir(prefix);
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  LH_RETURN_IF_ERROR(ValidateKey(dir));
  LH_ASSIGN_OR_RETURN(auto objects, List(dir + "/"));
  for (const auto& o : objects) LH_RETURN_IF_ERROR(Delete(o.key));
  std::error_code ec;
  fs::remove_all(cache_ / dir, ec);
  return Status::OK();
}

Status S3ObjectStore::Append(std::string_view key, std::string_view data, bool sync) {
  // S3 objects cannot grow: the log lives in the mirror, and the sync uploads it.
  LH_RETURN_IF_ERROR(ValidateKey(key));
  const fs::path path = cache_ / std::string(key);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  return AppendToFile(path.string(), data, sync);  // durable here; in the bucket at the next sync
}

Result<fs::path> S3ObjectStore::LocalPath(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  if (!vectors_filled_ && (key == "vectors" || key.rfind(kDeferred, 0) == 0)) {
    LH_RETURN_IF_ERROR(FillMirror(/*bucket_wins=*/false, kDeferred));
    vectors_filled_ = true;
  }
  return cache_ / std::string(key);
}

fs::path S3ObjectStore::StagingDir() const {
  return cache_ / "_staging";
}

Result<bool> S3ObjectStore::FollowAppends(std::string_view key) {
  LH_ASSIGN_OR_RETURN(auto remote_size, client_->Head(bucket_, ObjectKey(key)));
  const std::filesystem::path local = cache_ / std::string(key);
  std::error_code ec;
  const uint64_t local_size =
      std::filesystem::exists(local, ec) ? std::filesystem::file_size(local, ec) : 0;
  if (ec) return Status::IOError(fmt::format("{}: {}", local.string(), ec.message()));
  if (!remote_size || *remote_size <= local_size) return false;
  LH_ASSIGN_OR_RETURN(std::string remote, client_->Get(bucket_, ObjectKey(key)));
  std::string mine;
  {
    std::ifstream in(local, std::ios::binary);
    mine.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (remote.size() <= mine.size()) return false;
  if (remote.compare(0, mine.size(), mine) != 0)
    return Status::Conflict(fmt::format(
        "{}: the bucket's copy does not extend this cache's (another history); not followed",
        std::string(key)));
  std::filesystem::create_directories(local.parent_path(), ec);
  LH_RETURN_IF_ERROR(
      AppendToFile(local.string(), std::string_view(remote).substr(mine.size()), /*sync=*/false));
  return true;
}

Status S3ObjectStore::Fetch(const std::vector<std::string>& keys) const {
  for (const auto& key : keys) {
    LH_RETURN_IF_ERROR(ValidateKey(key));
    const fs::path local = cache_ / key;
    std::error_code ec;
    if (!fs::exists(local, ec))
      LH_RETURN_IF_ERROR(client_->Download(bucket_, ObjectKey(key), local));
    if (IsPart(key)) Remember(key, fs::file_size(local, ec));
  }
  return Status::OK();
}

void S3ObjectStore::Remember(const std::string& key, uint64_t size) const {
  MutexLock lock(parts_mu_);
  auto [it, added] = parts_.try_emplace(key, Part{size, 0});
  if (added) part_bytes_ += size;
  it->second.last_use = ++use_clock_;
  EvictLocked();
}

void S3ObjectStore::EvictLocked() const {
  if (part_bytes_ <= options_.cache_max_bytes) return;
  std::vector<std::pair<uint64_t, std::string>> by_age;
  for (const auto& [key, p] : parts_) by_age.emplace_back(p.last_use, key);
  std::sort(by_age.begin(), by_age.end());
  // The newest part stays even when it alone is past the bound: someone is about to read it.
  for (size_t i = 0; i + 1 < by_age.size() && part_bytes_ > options_.cache_max_bytes; ++i) {
    auto it = parts_.find(by_age[i].second);
    std::error_code ec;
    fs::remove(cache_ / it->first, ec);
    part_bytes_ -= it->second.size;
    parts_.erase(it);
  }
}

uint64_t S3ObjectStore::cached_part_bytes() const {
  MutexLock lock(parts_mu_);
  return part_bytes_;
}

}  // namespace lakehouse
