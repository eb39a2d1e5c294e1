#include "core/process_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/clock.h"

namespace lakehouse {

Result<std::unique_ptr<ProcessLock>> ProcessLock::Acquire(const std::string& path,
                                                          const std::string& holder,
                                                          const std::string& what,
                                                          const std::string& hint, Mode mode) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    const int err = errno;
    char buf[512] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK)
      return Status::IOError(fmt::format("lock {}: {}", path, std::strerror(err)));
    std::string who = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return Status::Conflict(fmt::format("{} is in use by {}: {}", what, who, hint));
  }
  const std::string me = fmt::format("pid {} ({}, since {})\n", ::getpid(), holder,
                                     FormatRfc3339Millis(SystemClock::Get().NowMillis()));
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The lock holds regardless; the holder line is only for messages (of shared holders,
    // the last one to start is named).
  }
  return std::unique_ptr<ProcessLock>(new ProcessLock(fd));
}

ProcessLock::~ProcessLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace lakehouse
