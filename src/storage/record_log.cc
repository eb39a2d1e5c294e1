#include "storage/record_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/crc32c.h"

namespace lakehouse {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

void AppendRecord(std::string& out, std::string_view body) {
  PutU32(out, static_cast<uint32_t>(body.size()));
  PutU32(out, Crc32c(body));
  out.append(body);
}

Result<LogReadResult> ReadRecords(const std::string& path,
                                  const std::function<Status(std::string_view)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return LogReadResult{};
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseRecords(data, fn);
}

Result<LogReadResult> ParseRecords(std::string_view data,
                                   const std::function<Status(std::string_view)>& fn) {
  LogReadResult r;
  size_t off = 0;
  while (off + 8 <= data.size()) {
    const uint32_t len = GetU32(data.data() + off);
    const uint32_t crc = GetU32(data.data() + off + 4);
    if (len > data.size() - off - 8) break;  // no overflow for huge lengths
    std::string_view body(data.data() + off + 8, len);
    if (Crc32c(body) != crc) break;
    LH_RETURN_IF_ERROR(fn(body));
    off += 8 + len;
    ++r.records;
  }
  r.valid_bytes = off;
  r.torn_tail = off < data.size();
  return r;
}

Result<LogReadResult> RecoverRecords(const std::string& path, std::string_view owner,
                                     const std::function<Status(std::string_view)>& fn) {
  LH_ASSIGN_OR_RETURN(auto r, ReadRecords(path, fn));
  if (r.torn_tail) {
    spdlog::warn("{}: cutting a torn tail of {} at byte {} (an unacknowledged write)", owner, path,
                 r.valid_bytes);
    LH_RETURN_IF_ERROR(TruncateFile(path, r.valid_bytes));
  }
  return r;
}

Status AppendDurably(const std::string& path, std::string_view bytes) {
  return AppendToFile(path, bytes, true);
}

namespace {
//! flock for a scope; LOCK_SH or LOCK_EX.
class FileLockGuard {
 public:
  FileLockGuard(int fd, int op) : fd_(fd) {
    while (::flock(fd_, op) != 0 && errno == EINTR) {
    }
  }
  ~FileLockGuard() { ::flock(fd_, LOCK_UN); }
  FileLockGuard(const FileLockGuard&) = delete;
  FileLockGuard& operator=(const FileLockGuard&) = delete;

 private:
  int fd_;
};
}  // namespace

Result<std::unique_ptr<SharedRecordLog>> SharedRecordLog::Open(const std::string& path,
                                                               std::string_view owner,
                                                               const Apply& apply) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("open {}: {}", path, std::strerror(errno)));
  auto log = std::unique_ptr<SharedRecordLog>(new SharedRecordLog(path, fd));
  FileLockGuard lock(fd, LOCK_EX);
  LH_ASSIGN_OR_RETURN(auto r, RecoverRecords(path, owner, apply));
  log->applied_ = r.valid_bytes;
  return log;
}

SharedRecordLog::~SharedRecordLog() {
  ::close(fd_);
}

Status SharedRecordLog::ReadNew(const Apply& apply) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0)
    return Status::IOError(fmt::format("stat {}: {}", path_, std::strerror(errno)));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size <= applied_) return Status::OK();
  std::string bytes(size - applied_, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n =
        ::pread(fd_, bytes.data() + got, bytes.size() - got, static_cast<off_t>(applied_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(fmt::format("read {}: {}", path_, std::strerror(errno)));
    got += static_cast<size_t>(n);
  }
  LH_ASSIGN_OR_RETURN(auto r, ParseRecords(bytes, apply));
  applied_ += r.valid_bytes;
  return Status::OK();
}

Status SharedRecordLog::CatchUp(const Apply& apply) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) <= applied_) return Status::OK();
  FileLockGuard lock(fd_, LOCK_SH);
  return ReadNew(apply);
}

Status AppendOrCut(int fd, std::string_view bytes, uint64_t restore, const std::string& path) {
  size_t put = 0;
  while (put < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + put, bytes.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      // Cut what got out, so the log ends on a record boundary for the next appender.
      if (::ftruncate(fd, static_cast<off_t>(restore)) != 0)
        spdlog::error("{}: cannot cut a failed append: {}", path, std::strerror(errno));
      return StatusFromErrno(err, "append " + path);
    }
    put += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<uint64_t> SharedRecordLog::Append(const Apply& apply,
                                         const std::function<Result<std::string>()>& make) {
  FileLockGuard lock(fd_, LOCK_EX);
  LH_RETURN_IF_ERROR(ReadNew(apply));
  LH_ASSIGN_OR_RETURN(std::string body, make());
  std::string framed;
  AppendRecord(framed, body);
  LH_RETURN_IF_ERROR(AppendOrCut(fd_, framed, applied_, path_));
  applied_ += framed.size();
  LH_RETURN_IF_ERROR(apply(body));
  return applied_;
}

Status SharedRecordLog::SyncThrough(uint64_t offset) {
  MutexLock lock(sync_mu_);
  if (synced_ >= offset) return Status::OK();  // a sync that started after our write covered it
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return StatusFromErrno(errno, "fstat " + path_);
  if (::fdatasync(fd_) != 0) return StatusFromErrno(errno, "fdatasync " + path_);
  ++syncs_;
  synced_ = std::max<uint64_t>(synced_, static_cast<uint64_t>(st.st_size));
  return Status::OK();
}

uint64_t SharedRecordLog::syncs() const {
  MutexLock lock(sync_mu_);
  return syncs_;
}

}  // namespace lakehouse
