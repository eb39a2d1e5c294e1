#include "core/machine.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace lakehouse {
namespace {

// The first integer in `path`, or 0 ("max", missing, unreadable).
int64_t ReadLimit(const char* path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word.empty() || word[0] < '0' || word[0] > '9') return 0;
  try {
    return static_cast<int64_t>(std::stoull(word));
  } catch (...) {
    return 0;
  }
}

}  // namespace

int64_t MachineMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  int64_t physical = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const int64_t limit = ReadLimit(path);
    // cgroup v1 reports "no limit" as a huge number: only a limit below RAM counts.
    if (limit > 0 && (physical == 0 || limit < physical)) physical = limit;
  }
  return physical;
}

std::string MemoryShare(double fraction) {
  const int64_t total = MachineMemoryBytes();
  if (total <= 0) return "";
  const int64_t mb = std::max<int64_t>(256, static_cast<int64_t>(total * fraction) >> 20);
  return fmt::format("{}MB", mb);
}

}  // namespace lakehouse
