// src/core/writeback.h: start writing appended bytes back to disk a chunk at a time.
//
// A file appended to without fsync (the _kb logs, a vector index's store.log) stays dirty
// in the page cache until its inode's dirty age passes vm.dirty_expire_centisecs (30 s),
// and then the kernel writes all of it at once: under the loadgen, ~120 MB in one second
// every ~35 s, and every fdatasync on the disk (the fills ledger's, the journal's) waited
// behind it: a stall of ~250 ms across every request class. Starting the writeback of
// each full MiB as the appends cross it (sync_file_range WRITE: it queues the I/O and does
// not wait, like RocksDB's bytes_per_sync) keeps the dirty set to about a MiB per file.
// Durability is unchanged: callers that need it still fsync.
//
// Thread-safety: a free function; safe on an fd other threads append to (a missed or a
// repeated chunk is harmless).
#pragma once

#include <cstdint>

namespace lakehouse {

inline constexpr uint64_t kWritebackChunkBytes = 1 << 20;

//! After an append that left the file `end` bytes long, `bytes` of them new: starts the
//! writeback of every whole chunk the append completed; answers how many bytes that asked
//! for (0: no chunk completed). Never waits; errors are ignored (the bytes are in the page
//! cache either way).
uint64_t StartWriteback(int fd, uint64_t end, uint64_t bytes);

}  // namespace lakehouse
