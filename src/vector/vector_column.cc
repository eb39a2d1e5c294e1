#include "vector/vector_column.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace lakehouse {
namespace {

constexpr uint64_t kMinGrowth = 4 << 20;  // bytes; then by a quarter of the file

Status Errno(const std::string& what, const std::string& path) {
  const int err = errno;
  const std::string message = fmt::format("{} {}: {}", what, path, std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return Status::InsufficientStorage(message);
  return Status::IOError(message);
}

uint64_t PageRound(uint64_t bytes) {
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

VectorColumn::VectorColumn(std::string dir, int dims, bool read_only)
    : dir_(std::move(dir)),
      dims_(dims),
      read_only_(read_only),
      stride_((static_cast<size_t>(dims) + 1) * sizeof(float)) {}

VectorColumn::~VectorColumn() {
  Unmap();
  if (fd_ >= 0) ::close(fd_);
}

std::string VectorColumn::FileName(uint64_t gen) {
  return fmt::format("vectors.{}.f32", gen);
}

std::vector<std::string> VectorColumn::Files() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("vectors.") && name.ends_with(".f32")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void VectorColumn::Unmap() {
  if (base_ != nullptr) ::munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = 0;
}

Status VectorColumn::Map(uint64_t bytes) {
  if (bytes == mapped_) return Status::OK();
  void* addr = base_ == nullptr
                   ? ::mmap(nullptr, bytes, read_only_ ? PROT_READ : PROT_READ | PROT_WRITE,
                            MAP_SHARED, fd_, 0)
                   : ::mremap(base_, mapped_, bytes, MREMAP_MAYMOVE);
  if (addr == MAP_FAILED) return Errno("map", Path(gen_));
  base_ = static_cast<char*>(addr);
  mapped_ = bytes;
  return Status::OK();
}

Status VectorColumn::Open(uint64_t gen) {
  Unmap();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  file_bytes_ = 0;
  gen_ = gen;
  const std::string path = Path(gen);
  fd_ =
      ::open(path.c_str(), read_only_ ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    // A follower of an index whose owner has not written a vector yet: nothing to map.
    if (read_only_ && errno == ENOENT) return Status::OK();
    return Errno("open", path);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("stat", path);
  // Whole rows only: a file cut short mid-row maps the rows it holds whole.
  file_bytes_ = static_cast<uint64_t>(st.st_size);
  const uint64_t bytes = file_bytes_ / stride_ * stride_;
  return bytes == 0 ? Status::OK() : Map(bytes);
}

Status VectorColumn::Write(uint64_t row, const float* v, float extra) {
  if (read_only_) return Status::Internal("write to a read-only vector column");
  const uint64_t need = (row + 1) * stride_;
  if (need > file_bytes_) {
    const uint64_t size =
        PageRound(std::max({need, file_bytes_ + file_bytes_ / 4, file_bytes_ + kMinGrowth}));
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("grow", Path(gen_));
    file_bytes_ = size;
    if (size > mapped_) LH_RETURN_IF_ERROR(Map(size));
  }
  char* at = base_ + row * stride_;
  std::memcpy(at, v, static_cast<size_t>(dims_) * sizeof(float));
  std::memcpy(at + static_cast<size_t>(dims_) * sizeof(float), &extra, sizeof(float));
  return Status::OK();
}

Status VectorColumn::Cover(uint64_t rows) {
  const uint64_t need = rows * stride_;
  if (need <= mapped_) return Status::OK();
  if (fd_ < 0) LH_RETURN_IF_ERROR(Open(gen_));
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) < need) {
    return Status::Corruption(
        fmt::format("{} holds fewer than the {} rows its log names", Path(gen_), rows));
  }
  return Map(static_cast<uint64_t>(st.st_size) / stride_ * stride_);
}

Status VectorColumn::Sync(uint64_t rows) const {
  if (read_only_ || fd_ < 0) return Status::OK();
  // The mapping stays as long as it is (no row past `rows` is read; Write grows the file
  // again before it writes past its end).
  const uint64_t bytes = rows * stride_;
  if (bytes < file_bytes_) {
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return Errno("trim", Path(gen_));
    file_bytes_ = bytes;
  }
  if (::fdatasync(fd_) != 0) return Errno("sync", Path(gen_));
  return Status::OK();
}

Status VectorColumn::Rewrite(const std::vector<uint64_t>& rows) {
  if (read_only_) return Status::Internal("rewrite of a read-only vector column");
  const std::string path = Path(gen_ + 1);
  const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return Errno("create", path);
  std::string buf;
  buf.reserve(std::min<size_t>(rows.size(), 4096) * stride_);
  Status st;
  auto flush = [&] {
    for (size_t w = 0; w < buf.size() && st.ok();) {
      const ssize_t n = ::write(out, buf.data() + w, buf.size() - w);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) st = Errno("write", path);
      w += static_cast<size_t>(std::max<ssize_t>(n, 0));
    }
    buf.clear();
  };
  for (uint64_t row : rows) {
    if ((row + 1) * stride_ > mapped_) {
      st = Status::Internal(fmt::format("row {} is past the end of {}", row, Path(gen_)));
      break;
    }
    buf.append(base_ + row * stride_, stride_);
    if (buf.size() >= 4096 * stride_) flush();
  }
  if (st.ok()) flush();
  if (st.ok() && ::fdatasync(out) != 0) st = Errno("sync", path);
  ::close(out);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  return Open(gen_ + 1);
}

void VectorColumn::RemoveOthers() const {
  if (read_only_) return;
  for (const std::string& name : Files())
    if (name != FileName(gen_)) ::unlink((dir_ + "/" + name).c_str());
}

}  // namespace lakehouse
