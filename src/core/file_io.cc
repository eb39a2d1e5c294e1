#include "core/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "core/ids.h"
#include "core/writeback.h"

namespace lakehouse {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return StatusFromErrno(errno, fmt::format("{} {}", what, path));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open for fsync", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp-" + RandomHex(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  Status st = WriteAll(fd, bytes, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("fsync", tmp);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Errno("rename onto", path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncPath(std::filesystem::path(path).parent_path().string(), /*directory=*/true);
}

Status AppendToFile(const std::string& path, std::string_view bytes, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open for append", path);
  struct stat before {};
  if (::fstat(fd, &before) != 0) {
    Status st = Errno("stat", path);
    ::close(fd);
    return st;
  }
  Status st = WriteAll(fd, bytes, path);
  if (st.ok() && sync && ::fdatasync(fd) != 0) st = Errno("fdatasync", path);
  if (st.ok() && !sync)
    StartWriteback(fd, static_cast<uint64_t>(before.st_size) + bytes.size(), bytes.size());
  if (!st.ok()) {
    // All or nothing: a write cut short (a full disk) must not leave part of the batch for
    // the next reader or for recovery to replay. Shrinking a file needs no free space.
    if (::ftruncate(fd, before.st_size) == 0) {
      if (sync) ::fdatasync(fd);
    } else {
      st = Status(st.code(), st.message() + fmt::format("; and cutting the partial append back "
                                                        "failed: {}",
                                                        std::strerror(errno)));
    }
  }
  ::close(fd);
  return st;
}

Result<MappedFile> MappedFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status err = Errno("stat", path);
    ::close(fd);
    return err;
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      Status err = Errno("mmap", path);
      ::close(fd);
      return err;
    }
    ::madvise(addr, size, MADV_SEQUENTIAL);
  }
  ::close(fd);
  return MappedFile(addr, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

Status TruncateFile(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return Errno("truncate", path);
  return Status::OK();
}

}  // namespace lakehouse
