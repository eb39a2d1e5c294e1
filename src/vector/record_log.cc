#include "vector/record_log.h"

#include <fcntl.h>
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

}  // namespace lakehouse
