#include "distill/receipts.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/ids.h"

namespace lakehouse::distill {

namespace {

// Streams a file in 1 MiB blocks to `fn`, stopping after `limit` bytes (-1: all).
Status ForEachBlock(const fs::path& path, int64_t limit,
                    const std::function<void(std::string_view)>& fn) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError(fmt::format("open {}", path.string()));
  std::vector<char> buf(1 << 20);
  int64_t left = limit;
  while (limit < 0 || left > 0) {
    size_t want = buf.size();
    if (limit >= 0) want = std::min<size_t>(want, static_cast<size_t>(left));
    const size_t n = std::fread(buf.data(), 1, want, f);
    if (n == 0) break;
    fn(std::string_view(buf.data(), n));
    left -= static_cast<int64_t>(n);
  }
  const bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return Status::IOError(fmt::format("read {}", path.string()));
  if (limit > 0 && left > 0)
    return Status::IOError(fmt::format("{} is shorter than {} bytes", path.string(), limit));
  return Status::OK();
}

}  // namespace

Result<std::string> WriteReceipt(const fs::path& root, std::string_view step,
                                 const StepTimer& timer, const Json& body) {
  const int64_t finished = SystemClock::Get().NowMillis();
  Json r = Json::object();
  r["schema"] = "receipt.v1";
  r["step"] = std::string(step);
  r["started_at"] = FormatRfc3339Millis(timer.started_millis);
  r["finished_at"] = FormatRfc3339Millis(finished);
  r["duration_ms"] =
      std::round(static_cast<double>(MicrosSince(timer.t0)) / 100.0) / 10.0;  // 0.1 ms
  for (auto it = body.begin(); it != body.end(); ++it) r[it.key()] = it.value();
  // The chain: each receipt holds the hash of the newest one before it (of any step), so
  // editing an older receipt breaks the next one's link.
  fs::path previous;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(root / "_receipts", ec)) {
    for (const auto& e : fs::directory_iterator(d.path(), ec)) {
      if (e.path().extension() != ".json") continue;
      if (previous.empty() || e.path().filename() > previous.filename()) previous = e.path();
    }
  }
  if (!previous.empty()) {
    LH_ASSIGN_OR_RETURN(std::string sha, FileSha256(previous));
    r["previous"] = Json{{"path", RelPath(root, previous)}, {"sha256", sha}};
  }
  const fs::path dir = root / "_receipts" / std::string(step);
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir.string(), ec.message()));
  // The name sorts by time: 20261124T074315123Z-1a2b.json
  std::string stamp = FormatRfc3339Millis(timer.started_millis);
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':' || c == '.'; });
  const fs::path path = dir / fmt::format("{}-{}.json", stamp, RandomHex(2));
  LH_RETURN_IF_ERROR(WriteFileAtomically(path.string(), r.dump(2) + "\n"));
  return path.string();
}

Json LatestReceipt(const fs::path& root, std::string_view step) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "_receipts" / std::string(step), ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  if (files.empty()) return nullptr;
  std::sort(files.begin(), files.end());
  std::ifstream in(files.back());
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto parsed = ParseJson(text);
  return parsed.ok() ? *parsed : Json(nullptr);
}

std::vector<fs::path> FilesNamed(const fs::path& dir, std::string_view name) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().filename() == name) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> JsonlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".jsonl") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string RelPath(const fs::path& root, const fs::path& path) {
  return path.lexically_relative(root).generic_string();
}

Result<std::string> FileSha256(const fs::path& path) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  Status st = ForEachBlock(path, -1,
                           [&](std::string_view b) { EVP_DigestUpdate(ctx, b.data(), b.size()); });
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (!st.ok()) return st;
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

Result<uint32_t> FileCrc32c(const fs::path& path, int64_t bytes) {
  uint32_t crc = 0;
  if (bytes == 0) return crc;
  LH_RETURN_IF_ERROR(ForEachBlock(path, bytes, [&](std::string_view b) { crc = Crc32c(b, crc); }));
  return crc;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

Status AtomicFileWriter::Open(const fs::path& path) {
  path_ = path;
  tmp_ = path.string() + ".tmp";
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return Status::IOError(fmt::format("create {}: {}", path.parent_path().string(), ec.message()));
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (file_ == nullptr) return Status::IOError(fmt::format("create {}", tmp_.string()));
  return Status::OK();
}

Status AtomicFileWriter::Append(std::string_view bytes) {
  if (file_ == nullptr) return Status::Internal("AtomicFileWriter: not open");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
    return Status::IOError(fmt::format("write {}", tmp_.string()));
  lines_ += std::count(bytes.begin(), bytes.end(), '\n');
  return Status::OK();
}

Status AtomicFileWriter::Commit() {
  if (file_ == nullptr) return Status::Internal("AtomicFileWriter: not open");
  const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) return Status::IOError(fmt::format("write {}", tmp_.string()));
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) return Status::IOError(fmt::format("rename {}: {}", tmp_.string(), ec.message()));
  return FsyncPath(path_.parent_path().string(), /*directory=*/true);
}

Result<Json> DescribeOutput(const fs::path& root, const fs::path& path) {
  int64_t lines = 0;
  LH_RETURN_IF_ERROR(ForEachBlock(
      path, -1, [&](std::string_view b) { lines += std::count(b.begin(), b.end(), '\n'); }));
  LH_ASSIGN_OR_RETURN(std::string sha, FileSha256(path));
  std::error_code ec;
  return Json{{"path", RelPath(root, path)},
              {"bytes", static_cast<int64_t>(fs::file_size(path, ec))},
              {"lines", lines},
              {"sha256", sha}};
}

}  // namespace lakehouse::distill
