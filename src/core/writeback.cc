#include "core/writeback.h"

#include <fcntl.h>

namespace lakehouse {

uint64_t StartWriteback(int fd, uint64_t end, uint64_t bytes) {
  const uint64_t start = end >= bytes ? end - bytes : 0;
  const uint64_t from = start / kWritebackChunkBytes * kWritebackChunkBytes;
  const uint64_t to = end / kWritebackChunkBytes * kWritebackChunkBytes;
  if (to <= from) return 0;  // no chunk completed
  (void)::sync_file_range(fd, static_cast<off64_t>(from), static_cast<off64_t>(to - from),
                          SYNC_FILE_RANGE_WRITE);
  return to - from;
}

}  // namespace lakehouse
