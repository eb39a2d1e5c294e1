#include "ops/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "core/clock.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "ops/root_files.h"

namespace lakehouse::ops {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = "lakehouse_backup.v1";
// A root has at least one of these once anything ran on it.
constexpr const char* kRootDirs[] = {"catalog", "datasets", "vectors", "journal"};

struct Entry {
  std::string rel;  // path inside the root, '/'-separated
  uint64_t bytes = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;
  uint32_t crc = 0;
};

Status Errno(const std::string& what, const fs::path& path) {
  return Status::IOError(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// Lock files, temp files of writes in flight, uploads in flight.
bool Skipped(const fs::path& rel) {
  const std::string name = rel.filename().string();
  if (name.ends_with(".lock") || IsTempFileName(name)) return true;
  return !rel.empty() && *rel.begin() == "_staging";
}

// T0: every file's size and inode, in one pass; `dirs` gets every directory (empty ones
// are part of a root's shape too).
Result<std::vector<Entry>> Inventory(const fs::path& root, std::vector<std::string>* dirs) {
  std::vector<Entry> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), root, ec);
    if (ec || Skipped(rel)) continue;
    if (it->is_directory(ec)) {
      dirs->push_back(rel.generic_string());
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;  // removed meanwhile: not at T0
    files.push_back(Entry{rel.generic_string(), static_cast<uint64_t>(st.st_size),
                          static_cast<uint64_t>(st.st_ino), st.st_mode & 07777u, 0});
  }
  if (ec) return Status::IOError(fmt::format("list {}: {}", root.string(), ec.message()));
  std::sort(files.begin(), files.end(),
            [](const Entry& a, const Entry& b) { return a.rel < b.rel; });
  return files;
}

// Copies `bytes` bytes of the open `in` to a new file `to` (mode `mode`), fsync'd; the CRC
// of what was copied.
Result<uint32_t> CopyPrefix(int in, const fs::path& from, uint64_t bytes, const fs::path& to,
                            uint32_t mode) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec)
    return Status::IOError(fmt::format("create {}: {}", to.parent_path().string(), ec.message()));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777u);
  if (out < 0) return Errno("create", to);
  std::vector<char> buf(1 << 20);
  uint32_t crc = 0;
  uint64_t done = 0;
  Status st;
  while (done < bytes && st.ok()) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - done));
    const ssize_t n = ::pread(in, buf.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Errno("read", from);
    } else if (n == 0) {
      st = Status::Conflict(fmt::format("{} became shorter during the copy", from.string()));
    } else {
      crc = Crc32c(std::string_view(buf.data(), static_cast<size_t>(n)), crc);
      for (ssize_t w = 0; w < n && st.ok();) {
        const ssize_t m = ::write(out, buf.data() + w, static_cast<size_t>(n - w));
        if (m < 0 && errno == EINTR) continue;
        if (m < 0) st = Errno("write", to);
        w += std::max<ssize_t>(m, 0);
      }
      done += static_cast<uint64_t>(n);
    }
  }
  if (st.ok() && ::fsync(out) != 0) st = Errno("fsync", to);
  ::close(out);
  if (!st.ok()) return st;
  return crc;
}

// The directories of a finished copy made durable (Publish then syncs its parent).
Status SyncTree(const fs::path& top) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec)) LH_RETURN_IF_ERROR(FsyncPath(it->path().string(), true));
  }
  return FsyncPath(top.string(), true);
}

// A finished copy appears under its name at once, durably: its tree fsync'd, then renamed.
Status Publish(const fs::path& staging, const fs::path& final_path) {
  LH_RETURN_IF_ERROR(SyncTree(staging));
  std::error_code ec;
  fs::rename(staging, final_path, ec);
  if (ec)
    return Status::IOError(
        fmt::format("rename {} to {}: {}", staging.string(), final_path.string(), ec.message()));
  return FsyncPath(final_path.parent_path().string(), true);
}

// A destination that may be created: absent, or an empty directory (removed, then renamed
// onto).
Status CheckFresh(const fs::path& dest, const char* what) {
  std::error_code ec;
  if (!fs::exists(dest, ec)) return Status::OK();
  if (fs::is_directory(dest, ec) && fs::is_empty(dest, ec)) {
    fs::remove(dest, ec);
    return Status::OK();
  }
  return Status::AlreadyExists(fmt::format(
      "{} {} already exists and is not empty; name a new directory", what, dest.string()));
}

fs::path Staging(const fs::path& dest, const char* kind) {
  return dest.parent_path() / fmt::format(".{}.{}-{}", dest.filename().string(), kind, ::getpid());
}

// A path a manifest may name: relative, inside the root.
bool SafeRelative(const std::string& rel) {
  const fs::path p(rel);
  return !rel.empty() && !p.is_absolute() &&
         std::none_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".."; });
}

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::round(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
}

// One attempt: copies every file of `files` into staging/files. Conflict when a file was
// replaced or removed since T0 (then the caller starts again).
Status CopyAll(const fs::path& root, std::vector<Entry>& files, const fs::path& staging,
               Progress* progress) {
  for (Entry& e : files) {
    const fs::path from = root / e.rel;
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      if (errno == ENOENT) return Status::Conflict(e.rel + " was removed during the backup");
      return Errno("open", from);
    }
    struct stat st {};
    Status s;
    if (::fstat(in, &st) != 0) {
      s = Errno("stat", from);
    } else if (static_cast<uint64_t>(st.st_ino) != e.inode ||
               static_cast<uint64_t>(st.st_size) < e.bytes) {
      s = Status::Conflict(e.rel + " was replaced during the backup");
    } else {
      auto crc = CopyPrefix(in, from, e.bytes, staging / "files" / e.rel, e.mode);
      if (crc.ok()) e.crc = *crc;
      s = crc.status();
    }
    ::close(in);
    LH_RETURN_IF_ERROR(s);
    if (progress != nullptr) progress->Add(static_cast<int64_t>(e.bytes));
  }
  return Status::OK();
}

}  // namespace

Result<Json> Backup(const BackupOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(opt.root, ec);
  if (!std::any_of(std::begin(kRootDirs), std::end(kRootDirs),
                   [&](const char* d) { return fs::is_directory(root / d, ec); }))
    return Status::InvalidArgument(
        fmt::format("{} is not a Lakehouse root (none of catalog/, datasets/, vectors/, journal/)",
                    opt.root.string()));
  const fs::path dest = fs::weakly_canonical(opt.dest, ec);
  const auto [r_end, d_it] = std::mismatch(root.begin(), root.end(), dest.begin(), dest.end());
  if (r_end == root.end())
    return Status::InvalidArgument(
        fmt::format("the backup {} cannot be inside the root {}", dest.string(), root.string()));
  LH_RETURN_IF_ERROR(CheckFresh(dest, "backup"));
  fs::create_directories(dest.parent_path(), ec);
  const fs::path staging = Staging(dest, "partial");

  Status last;
  for (int attempt = 1; attempt <= std::max(1, opt.attempts); ++attempt) {
    fs::remove_all(staging, ec);
    fs::create_directories(staging / "files", ec);
    if (ec) return Status::IOError(fmt::format("create {}: {}", staging.string(), ec.message()));
    fs::permissions(staging, fs::perms::owner_all, ec);  // API key records are inside
    const int64_t taken_at = SystemClock::Get().NowMillis();
    std::vector<std::string> dirs;
    LH_ASSIGN_OR_RETURN(std::vector<Entry> files, Inventory(root, &dirs));
    std::sort(dirs.begin(), dirs.end());
    uint64_t total = 0;
    for (const Entry& e : files) total += e.bytes;
    if (opt.progress != nullptr)
      opt.progress->Phase("copying", static_cast<int64_t>(total), "bytes");
    last = CopyAll(root, files, staging, opt.progress);
    if (last.code() == ErrorCode::kConflict) {
      spdlog::info("backup attempt {}: {}; starting again", attempt, last.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
      continue;
    }
    if (!last.ok()) break;

    Json list = Json::array();
    for (const Entry& e : files)
      list.push_back(
          Json{{"path", e.rel}, {"bytes", e.bytes}, {"mode", e.mode}, {"crc32c", e.crc}});
    const BuildInfo& build = GetBuildInfo();
    Json manifest{{"schema", kSchema},
                  {"taken_at", FormatRfc3339Millis(taken_at)},
                  {"source", root.string()},
                  {"lakehouse", fmt::format("{} ({})", build.version, build.commit)},
                  {"files_count", files.size()},
                  {"bytes", total},
                  {"dirs", dirs},
                  {"files", std::move(list)}};
    LH_RETURN_IF_ERROR(
        WriteFileAtomically((staging / "backup.json").string(), manifest.dump(1) + "\n"));
    LH_RETURN_IF_ERROR(Publish(staging, dest));
    return Json{{"dest", dest.string()}, {"taken_at", manifest["taken_at"]},
                {"files", files.size()}, {"bytes", total},
                {"attempts", attempt},   {"elapsed_ms", MillisSince(start)}};
  }
  fs::remove_all(staging, ec);
  if (last.code() == ErrorCode::kConflict)
    return Status::Unavailable(fmt::format(
        "the root kept changing under the backup ({} attempts; last: {}); retry, or take it while "
        "no dataset is being committed",
        opt.attempts, last.message()));
  return last;
}

Result<Json> Restore(const RestoreOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  const fs::path from = fs::weakly_canonical(opt.from, ec);
  const fs::path root = fs::weakly_canonical(opt.root, ec);
  std::string text;
  {
    auto mapped = MappedFile::Open((from / "backup.json").string());
    if (!mapped.ok())
      return Status::InvalidArgument(
          fmt::format("{} is not a complete backup (no readable backup.json): {}",
                      opt.from.string(), mapped.status().message()));
    text = std::string(mapped->data());
  }
  auto parsed = ParseJsonObject(text);
  if (!parsed.ok() || parsed->value("schema", "") != kSchema || !(*parsed)["files"].is_array())
    return Status::InvalidArgument(
        fmt::format("{}/backup.json is not a {} manifest", opt.from.string(), kSchema));
  const Json& manifest = *parsed;
  LH_RETURN_IF_ERROR(CheckFresh(root, "root"));
  fs::create_directories(root.parent_path(), ec);
  const fs::path staging = Staging(root, "restoring");
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", staging.string(), ec.message()));
  if (opt.progress != nullptr)
    opt.progress->Phase("restoring", manifest.value("bytes", int64_t{0}), "bytes");

  auto restore_all = [&]() -> Status {
    for (const Json& dir : manifest.value("dirs", Json::array())) {
      const std::string rel = dir.is_string() ? dir.get<std::string>() : "";
      if (!SafeRelative(rel))
        return Status::InvalidArgument(fmt::format("backup.json names an unsafe path '{}'", rel));
      fs::create_directories(staging / rel, ec);
    }
    for (const Json& f : manifest["files"]) {
      const std::string rel = f.value("path", "");
      if (!SafeRelative(rel))
        return Status::InvalidArgument(fmt::format("backup.json names an unsafe path '{}'", rel));
      const fs::path src = from / "files" / rel;
      const auto bytes = f.value("bytes", uint64_t{0});
      const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0)
        return Status::Corruption(fmt::format("the backup is damaged: {} is missing", rel));
      struct stat st {};
      Status s;
      if (::fstat(in, &st) != 0 || static_cast<uint64_t>(st.st_size) != bytes) {
        s = Status::Corruption(fmt::format("the backup is damaged: {} has {} bytes, not {}", rel,
                                           static_cast<uint64_t>(st.st_size), bytes));
      } else {
        auto crc = CopyPrefix(in, src, bytes, staging / rel, f.value("mode", uint32_t{0600}));
        if (crc.ok() && *crc != f.value("crc32c", uint32_t{0}))
          s = Status::Corruption(fmt::format("the backup is damaged: {} fails its CRC-32C", rel));
        else
          s = crc.status();
      }
      ::close(in);
      LH_RETURN_IF_ERROR(s);
      if (opt.progress != nullptr) opt.progress->Add(static_cast<int64_t>(bytes));
    }
    return Status::OK();
  };
  if (Status st = restore_all(); !st.ok()) {
    fs::remove_all(staging, ec);
    return st;
  }
  LH_RETURN_IF_ERROR(Publish(staging, root));
  return Json{{"root", root.string()},
              {"taken_at", manifest.value("taken_at", "")},
              {"files", manifest["files"].size()},
              {"bytes", manifest.value("bytes", int64_t{0})},
              {"elapsed_ms", MillisSince(start)}};
}

}  // namespace lakehouse::ops
