#include "vector/vector_column.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

// Moves `bytes` at file offset `at` through `io(done, at + done)` (a pread or pwrite of the
// rest, which may move fewer bytes than asked).
template <class Io>
Status WholeRow(const char* what, const std::string& path, size_t bytes, uint64_t at, Io io) {
  for (size_t done = 0; done < bytes;) {
    const ssize_t n = io(done, at + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(what, path);
    if (n == 0)
      return Status::IOError(fmt::format("{} {}: the file ends at byte {}", what, path, at + done));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

uint64_t PageRound(uint64_t bytes) {
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

VectorColumn::VectorColumn(std::string dir, std::string prefix, std::string suffix,
                           size_t row_bytes, bool read_only, uint64_t map_limit)
    : dir_(std::move(dir)),
      prefix_(std::move(prefix)),
      suffix_(std::move(suffix)),
      read_only_(read_only),
      map_limit_(map_limit),
      stride_(row_bytes) {}

VectorColumn::~VectorColumn() {
  Unmap();
  if (fd_ >= 0) ::close(fd_);
}

std::string VectorColumn::FileName(uint64_t gen) const {
  return fmt::format("{}.{}.{}", prefix_, gen, suffix_);
}

std::vector<std::string> VectorColumn::Files() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(prefix_ + ".") && name.ends_with("." + suffix_)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void VectorColumn::StopMappingPastLimit() {
  if (!mapped_ || file_bytes_ <= map_limit_) return;
  Unmap();
  mapped_ = false;  // rows are read and written with pread/pwrite from now on
}

void VectorColumn::Unmap() {
  if (base_ != nullptr) ::munmap(base_, mapped_bytes_);
  base_ = nullptr;
  mapped_bytes_ = 0;
}

Status VectorColumn::Map(uint64_t bytes) {
  if (!mapped_ || bytes == mapped_bytes_) return Status::OK();
  void* addr = base_ == nullptr
                   ? ::mmap(nullptr, bytes, read_only_ ? PROT_READ : PROT_READ | PROT_WRITE,
                            MAP_SHARED, fd_, 0)
                   : ::mremap(base_, mapped_bytes_, bytes, MREMAP_MAYMOVE);
  if (addr == MAP_FAILED) return Errno("map", Path(gen_));
  ::madvise(addr, bytes, MADV_HUGEPAGE);  // advice: a refusal changes nothing
  base_ = static_cast<char*>(addr);
  mapped_bytes_ = bytes;
  return Status::OK();
}

uint64_t VectorColumn::Populate(uint64_t budget) const {
  if (!mapped_ || base_ == nullptr || mapped_bytes_ == 0 || mapped_bytes_ > budget) return 0;
  if (::madvise(base_, mapped_bytes_, MADV_POPULATE_READ) != 0) return 0;
  // Then a read of each page: on a virtual machine that backs its memory lazily (this one),
  // a page's first touch costs microseconds in the hypervisor even once mapped here, and
  // the first searches would pay it (docs/BENCHMARKS.md, twenty-second part).
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint8_t sum = 0;
  for (uint64_t at = 0; at < mapped_bytes_; at += page)
    sum ^= static_cast<uint8_t>(*static_cast<const volatile char*>(base_ + at));
  (void)sum;
  return mapped_bytes_;
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
  mapped_ = file_bytes_ <= map_limit_;
  const uint64_t bytes = file_bytes_ / stride_ * stride_;
  return bytes == 0 ? Status::OK() : Map(bytes);
}

Status VectorColumn::Write(uint64_t row, const void* bytes) {
  if (read_only_) return Status::Internal("write to a read-only vector column");
  const uint64_t need = (row + 1) * stride_;
  if (need > file_bytes_) {
    const uint64_t size =
        PageRound(std::max({need, file_bytes_ + file_bytes_ / 4, file_bytes_ + kMinGrowth}));
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("grow", Path(gen_));
    file_bytes_ = size;
    StopMappingPastLimit();
    if (size > mapped_bytes_) LH_RETURN_IF_ERROR(Map(size));
  }
  if (mapped_) {
    std::memcpy(base_ + row * stride_, bytes, stride_);
    return Status::OK();
  }
  const auto* from = static_cast<const char*>(bytes);
  return WholeRow("write", Path(gen_), stride_, row * stride_, [&](size_t done, uint64_t at) {
    return ::pwrite(fd_, from + done, stride_ - done, static_cast<off_t>(at));
  });
}

Status VectorColumn::Read(uint64_t row, void* out) const {
  if (row >= readable_rows())
    return Status::Internal(fmt::format("row {} is past the end of {}", row, Path(gen_)));
  if (mapped_) {
    std::memcpy(out, base_ + row * stride_, stride_);
    return Status::OK();
  }
  auto* to = static_cast<char*>(out);
  return WholeRow("read", Path(gen_), stride_, row * stride_, [&](size_t done, uint64_t at) {
    return ::pread(fd_, to + done, stride_ - done, static_cast<off_t>(at));
  });
}

bool VectorColumn::ReadCached(uint64_t row, void* out) const {
  if (row >= readable_rows()) return false;
  if (mapped_) {
    std::memcpy(out, base_ + row * stride_, stride_);
    return true;
  }
  iovec to{out, stride_};
  // A short read (the row's first page cached, its second not) counts as a miss.
  return ::preadv2(fd_, &to, 1, static_cast<off_t>(row * stride_), RWF_NOWAIT) ==
         static_cast<ssize_t>(stride_);
}

void VectorColumn::WillNeed(uint64_t row) const {
  if (mapped_ || fd_ < 0) return;
  ::posix_fadvise(fd_, static_cast<off_t>(row * stride_), static_cast<off_t>(stride_),
                  POSIX_FADV_WILLNEED);
}

Status VectorColumn::Cover(uint64_t rows) {
  const uint64_t need = rows * stride_;
  if (need <= (mapped_ ? mapped_bytes_ : file_bytes_)) return Status::OK();
  if (fd_ < 0) LH_RETURN_IF_ERROR(Open(gen_));
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) < need) {
    return Status::Corruption(
        fmt::format("{} holds fewer than the {} rows its log names", Path(gen_), rows));
  }
  file_bytes_ = static_cast<uint64_t>(st.st_size);
  StopMappingPastLimit();
  return Map(file_bytes_ / stride_ * stride_);
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
  std::string one(stride_, '\0');
  for (uint64_t row : rows) {
    st = Read(row, one.data());
    if (!st.ok()) break;
    buf += one;
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
