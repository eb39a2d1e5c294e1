// src/core/file_io.h: the few durable file operations everything else builds on.
//
// WriteFileAtomically: temp file in the same directory, write, fsync, rename, fsync the
// directory: a reader sees the old content or the new, never a mix. AppendToFile: one
// O_APPEND write of whole records, optionally fdatasync'd (durable on return).
//
// Thread-safety: free functions; concurrent writers of one path must coordinate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lakehouse {

Status WriteFileAtomically(const std::string& path, std::string_view bytes);
Status AppendToFile(const std::string& path, std::string_view bytes, bool sync);
Status TruncateFile(const std::string& path, uint64_t size);
//! fsync of a file or (directory=true) a directory entry list.
Status FsyncPath(const std::string& path, bool directory);

}  // namespace lakehouse
