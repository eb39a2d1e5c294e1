#include "ops/doctor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "catalog/catalog.h"
#include "core/file_io.h"
#include "ops/root_files.h"
#include "storage/local_object_store.h"
#include "storage/record_log.h"

namespace lakehouse::ops {
namespace fs = std::filesystem;

namespace {

std::string Size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Doc {
  const fs::path& root;
  std::vector<Finding>& out;
  void Add(const std::string& area, const std::string& status, std::string detail) {
    out.push_back({area, status, std::move(detail)});
  }
};

void CheckServer(Doc& d) {
  const fs::path lock = d.root / ".lakehouse.lock";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    d.Add("server", "ok", "no server has run on this root yet");
    return;
  }
  std::string holder = Slurp(lock);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  // A shared lock is refused only while a server holds the root exclusively; released at once.
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    d.Add("server", "ok", "in use by " + (holder.empty() ? std::string("a server") : holder));
  } else {
    ::flock(fd, LOCK_UN);
    d.Add("server", "ok", "no all-in-one server is running on it");
  }
  ::close(fd);
}

// One walk of the root serves the disk check (how big the root is) and the file checks.
struct FileScan {
  size_t files = 0;
  uint64_t bytes = 0;
  std::vector<std::string> denied, temps;
};

FileScan ScanFiles(const fs::path& root) {
  FileScan scan;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), root).generic_string();
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (::access(it->path().c_str(), R_OK | W_OK | X_OK) != 0) scan.denied.push_back(rel + "/");
      continue;
    }
    ++scan.files;
    std::error_code size_ec;
    const auto size = it->file_size(size_ec);
    if (!size_ec) scan.bytes += size;
    if (::access(it->path().c_str(), R_OK | W_OK) != 0) scan.denied.push_back(rel);
    if (IsTempFileName(name)) scan.temps.push_back(rel);
  }
  return scan;
}

// Room is measured against the root, not as a share of the disk: a backup to the same disk
// copies the root and an index snapshot rewrites its index, so less free space than the root
// holds (or under 2 GB) is a warning; 20 GB free on a 2 TB disk is not.
void CheckDisk(Doc& d, uint64_t root_bytes) {
  struct statvfs vfs {};
  if (::statvfs(d.root.c_str(), &vfs) != 0) {
    d.Add("disk", "warn", "could not read the free space (statvfs failed)");
    return;
  }
  const double free = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize);
  const double total = static_cast<double>(vfs.f_blocks) * static_cast<double>(vfs.f_frsize);
  const double pct = total > 0 ? 100 * free / total : 0;
  const std::string what = fmt::format("{} free of {} ({:.0f}%)", Size(free), Size(total), pct);
  const std::string status = DiskStatus(free, root_bytes);
  if (status == "fail")
    d.Add("disk", "fail", what + ": writes will fail with 507; free space or move the root");
  else if (status == "warn")
    d.Add("disk", "warn",
          fmt::format("{}, the root holds {}: ingest, index snapshots and backups need room", what,
                      Size(static_cast<double>(root_bytes))));
  else
    d.Add("disk", "ok", what);
}

// "PAR1" at both ends: a whole Parquet file, not a torn or foreign one.
bool LooksParquet(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char head[4] = {}, tail[4] = {};
  if (!in.read(head, 4)) return false;
  in.seekg(-4, std::ios::end);
  if (!in.read(tail, 4)) return false;
  return std::string_view(head, 4) == "PAR1" && std::string_view(tail, 4) == "PAR1";
}

void CheckCatalog(Doc& d) {
  std::error_code ec;
  std::set<std::string> named;
  int datasets = 0, versions = 0, parts = 0, bad = 0;
  uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(d.root / "catalog", ec)) {
    if (e.path().extension() != ".json") continue;
    d.Add("catalog", "fail",
          fmt::format("catalog/{} is a dataset in the old layout: run `lakehouse migrate --root "
                      "{}` once to turn it into an Iceberg table (the server refuses the root "
                      "until then)",
                      e.path().filename().string(), d.root.string()));
    ++bad;
  }
  auto store = LocalObjectStore::Open(d.root);
  for (const auto& e : fs::directory_iterator(d.root / "datasets", ec)) {
    const std::string name = e.path().filename().string();
    if (!store.ok() || !e.is_directory() || !fs::exists(e.path() / "metadata", ec)) continue;
    ++datasets;
    named.insert(name);
    auto table = iceberg::LoadTable(**store, "datasets/" + name);
    Result<DatasetManifest> m = Status::NotFound("no table metadata");
    if (table.ok() && *table) m = ManifestFromTable(**store, name, **table);
    if (!table.ok()) m = table.status();
    if (!m.ok()) {
      d.Add("catalog", "fail",
            fmt::format("datasets/{}: the Iceberg table cannot be read: {}", name,
                        m.status().message()));
      ++bad;
      continue;
    }
    for (const DatasetVersion& v : m->versions) {
      ++versions;
      for (const std::string& part : v.files) {
        ++parts;
        const fs::path p = d.root / part;
        if (!fs::exists(p, ec)) {
          d.Add("catalog", "fail",
                fmt::format("{} v{}: part {} is missing: queries of that version fail; restore "
                            "it from a backup",
                            m->name, v.version, part));
          ++bad;
        } else if (!LooksParquet(p)) {
          d.Add(
              "catalog", "fail",
              fmt::format("{} v{}: part {} is not a whole Parquet file", m->name, v.version, part));
          ++bad;
        } else {
          bytes += fs::file_size(p, ec);
        }
      }
    }
  }
  for (const auto& e : fs::directory_iterator(d.root / "datasets", ec)) {
    if (e.is_directory() && named.count(e.path().filename().string()) == 0) {
      d.Add("catalog", "warn",
            fmt::format("datasets/{}/ has no table metadata (left by an interrupted first "
                        "ingest?): not served; safe to delete",
                        e.path().filename().string()));
    }
  }
  if (datasets == 0) {
    d.Add("catalog", "warn", "no datasets yet (lakehouse gen, or ingest a file)");
  } else if (bad == 0) {
    d.Add("catalog", "ok",
          fmt::format("{} datasets, {} versions, {} parts ({}), every part a whole Parquet file",
                      datasets, versions, parts, Size(static_cast<double>(bytes))));
  }
}

// A framed record log (storage/record_log.h): intact, or a torn tail, or unreadable.
void CheckLog(Doc& d, const std::string& area, const fs::path& path, uint64_t* records) {
  const std::string rel = fs::relative(path, d.root).generic_string();
  auto r = ReadRecords(path.string(), [](std::string_view) { return Status::OK(); });
  if (!r.ok()) {
    d.Add(area, "fail", fmt::format("{} cannot be read: {}", rel, r.status().message()));
    return;
  }
  if (r->torn_tail) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    d.Add(area, "warn",
          fmt::format("{} ends in {} bytes of a write cut short (a crash): its owner cuts them "
                      "at the next start; nothing acknowledged is lost",
                      rel, size - r->valid_bytes));
  }
  if (records != nullptr) *records += r->records;
}

void CheckVectors(Doc& d) {
  std::error_code ec;
  const fs::path dir = d.root / "vectors";
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".unfinished") {
      d.Add("vectors", "warn",
            fmt::format("index '{}': its last build did not finish; the next start builds it "
                        "again (or run lakehouse index-workers)",
                        e.path().stem().string()));
      continue;
    }
    if (!e.is_directory()) continue;
    auto spec = ParseJsonObject(Slurp(e.path() / "index.json"));
    if (!spec.ok()) {
      d.Add("vectors", "fail",
            fmt::format("index '{}': index.json cannot be read ({}); drop and build it again", name,
                        spec.status().message()));
      continue;
    }
    uint64_t records = 0;
    const size_t before = d.out.size();
    for (const char* f : {"store.snap", "store.log"})
      CheckLog(d, "vectors", e.path() / f, &records);
    if (d.out.size() == before) {
      d.Add("vectors", "ok",
            fmt::format("index '{}': {} dims, {} stored records intact", name,
                        spec->value("dims", 0), records));
    }
  }
}

void CheckLogs(Doc& d) {
  std::error_code ec;
  int logs = 0;
  uint64_t records = 0;
  const size_t before = d.out.size();
  for (const char* sub : {"journal", "ledger", "memory", "truth", "auth"}) {
    for (const auto& e : fs::directory_iterator(d.root / sub, ec)) {
      if (!e.is_regular_file() || e.path().extension() != ".log") continue;
      ++logs;
      CheckLog(d, "logs", e.path(), &records);
    }
  }
  if (d.out.size() == before && logs > 0)
    d.Add("logs", "ok", fmt::format("{} logs, {} records, every frame intact", logs, records));
}

void CheckSecrets(Doc& d) {
  struct stat st {};
  const fs::path keys = d.root / "auth" / "keys.log";
  if (::stat(keys.c_str(), &st) != 0) return;
  if ((st.st_mode & 077) != 0)
    d.Add("secrets", "fail",
          fmt::format("auth/keys.log is readable by other users (mode {:04o}): chmod 600 it",
                      st.st_mode & 07777));
  else
    d.Add("secrets", "ok", "auth/keys.log is readable by its owner only");
}

void CheckFiles(Doc& d, const FileScan& scan) {
  const auto& denied = scan.denied;
  const auto& temps = scan.temps;
  const size_t files = scan.files;
  auto some = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < std::min<size_t>(3, v.size()); ++i) s += (i ? ", " : "") + v[i];
    return v.size() > 3 ? s + fmt::format(" and {} more", v.size() - 3) : s;
  };
  if (!denied.empty())
    d.Add("permissions", "fail",
          fmt::format("{} paths this user (uid {}) cannot read and write: {}; chown them to the "
                      "user the server runs as",
                      denied.size(), ::getuid(), some(denied)));
  else
    d.Add("permissions", "ok",
          fmt::format("{} files, all readable and writable by uid {}", files, ::getuid()));
  if (!temps.empty())
    d.Add("leftovers", "warn",
          fmt::format("{} temp files of writes that never finished (safe to delete): {}",
                      temps.size(), some(temps)));
}

}  // namespace

std::string DiskStatus(double free_bytes, uint64_t root_bytes) {
  if (free_bytes < 256e6) return "fail";
  if (free_bytes < 2e9 || free_bytes < static_cast<double>(root_bytes)) return "warn";
  return "ok";
}

DoctorReport Doctor(const fs::path& root) {
  DoctorReport report;
  report.root = root.string();
  Doc d{root, report.findings};
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    d.Add("root", "fail", root.string() + " does not exist or is not a directory");
    return report;
  }
  if (::access(root.c_str(), R_OK | W_OK | X_OK) != 0) {
    d.Add("root", "fail",
          fmt::format("{} is not writable by this user (uid {}): the server could not write it",
                      root.string(), ::getuid()));
  } else if (!fs::is_directory(root / "catalog", ec) && !fs::is_directory(root / "datasets", ec)) {
    d.Add("root", "warn",
          root.string() + " has no catalog/ or datasets/: not a Lakehouse root yet");
  } else {
    d.Add("root", "ok", root.string() + ": a Lakehouse root this user can read and write");
  }
  const FileScan scan = ScanFiles(root);
  CheckServer(d);
  CheckDisk(d, scan.bytes);
  CheckCatalog(d);
  CheckVectors(d);
  CheckLogs(d);
  CheckSecrets(d);
  CheckFiles(d, scan);
  return report;
}

bool DoctorReport::failed() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.status == "fail"; });
}

Json DoctorReport::ToJson() const {
  Json list = Json::array();
  bool warned = false;
  for (const Finding& f : findings) {
    list.push_back(Json{{"area", f.area}, {"status", f.status}, {"detail", f.detail}});
    warned = warned || f.status == "warn";
  }
  return Json{{"root", root},
              {"result", failed() ? "fail"
                         : warned ? "warn"
                                  : "ok"},
              {"findings", std::move(list)}};
}

std::string DoctorReport::Table() const {
  std::string out;
  for (const Finding& f : findings)
    out += fmt::format("{:<5} {:<12} {}\n", f.status, f.area, f.detail);
  const Json j = ToJson();
  out += fmt::format("\n{}: {}\n", root,
                     j["result"] == "ok"     ? "healthy"
                     : j["result"] == "warn" ? "works; see the warnings above"
                                             : "something is wrong; see fail above");
  return out;
}

}  // namespace lakehouse::ops
