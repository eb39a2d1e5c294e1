// src/core/process_lock.h: one process at a time on a resource of a data root.
//
// A server owns its root's writable state (catalog, vector side stores, memory, journal,
// claims): a second server on the same root would append to the same logs and rewrite the
// same manifests from a stale view. So `serve` (and every CLI command that writes datasets
// or indexes) takes an exclusive lock on `<root>/.lakehouse.lock`; a second one refuses to
// start and names the holder (pid, command, since when). The distillation steps take their
// own lock (`<root>/_receipts/.distill.lock`): they run beside a server, never two at once.
//
// Split-service mode (server/topology.h) shares a root between processes: each split
// service holds the root lock *shared* (so an all-in-one server, which needs it exclusive,
// refuses to start beside them, and they refuse beside it) plus an exclusive lock of its
// own service.
//
// The lock is flock(2) on an open file: the kernel drops it when the process dies, so a
// crash (even kill -9) never leaves a stale lock behind. The file's content (the holder)
// is for the error message only.
//
// Thread-safety: a ProcessLock is owned by one object; Acquire may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace lakehouse {

class ProcessLock {
 public:
  enum class Mode { kExclusive, kShared };
  //! Takes the lock at `path` (created if missing) for `holder` ("lakehouse serve").
  //! Conflict when another process holds it incompatibly: "<what> is in use by pid N
  //! (<holder>, since <time>): <hint>".
  static Result<std::unique_ptr<ProcessLock>> Acquire(const std::string& path,
                                                      const std::string& holder,
                                                      const std::string& what,
                                                      const std::string& hint,
                                                      Mode mode = Mode::kExclusive);
  ~ProcessLock();
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;

 private:
  explicit ProcessLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace lakehouse
