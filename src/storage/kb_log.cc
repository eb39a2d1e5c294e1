#include "storage/kb_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/writeback.h"

namespace lakehouse {

KbLog::KbLog(std::filesystem::path dir) : dir_(std::move(dir)) {
  MutexLock lock(mu_);
  fds_.fill(-1);
}

KbLog::~KbLog() {
  (void)Sync();
  MutexLock lock(mu_);
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
}

Result<int> KbLog::Fd(KbSource source) {
  MutexLock lock(mu_);
  int& slot = fds_[static_cast<size_t>(source)];
  if (slot >= 0) return slot;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir_.string(), ec.message()));
  const std::string path = (dir_ / (std::string(KbName(source)) + ".jsonl")).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("open {}: {}", path, std::strerror(errno)));
  slot = fd;
  return fd;
}

void KbLog::Append(KbSource id, const Json& record) {
  const std::string_view source = KbName(id);
  Counter& lines = MetricsRegistry::Global().GetCounter(
      "lakehouse_kb_lines_total", "lines appended to _kb logs", {"source"}, {std::string(source)});
  std::string line = DumpJson(record);
  line += '\n';
  auto fd = Fd(id);
  Status st = fd.status();
  if (fd.ok()) {
    const ssize_t n = ::write(*fd, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) {
      st = Status::IOError(fmt::format("append to _kb/{}.jsonl: {}", source,
                                       n < 0 ? std::strerror(errno) : "short write"));
    } else if (const off_t end = ::lseek(*fd, 0, SEEK_CUR); end > 0) {
      // The offset is the fd's, shared by every appender: near enough (core/writeback.h).
      StartWriteback(*fd, static_cast<uint64_t>(end), line.size());
    }
  }
  if (!st.ok()) {
    MetricsRegistry::Global()
        .GetCounter("lakehouse_kb_append_errors_total",
                    "lines that could not be appended to _kb logs", {"source"},
                    {std::string(source)})
        .Inc();
    spdlog::error("{}", st.ToString());
    return;
  }
  lines.Inc();
  if (listener_) {
    try {
      listener_(id, record);
    } catch (const std::exception& ex) {
      spdlog::warn("kb listener ({}): {}", source, ex.what());
    }
  }
}

Status KbLog::Sync() {
  MutexLock lock(mu_);
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0 && ::fsync(fds_[i]) != 0)
      return Status::IOError(
          fmt::format("fsync _kb/{}.jsonl: {}", KbSources()[i].name, std::strerror(errno)));
  }
  return Status::OK();
}

}  // namespace lakehouse
