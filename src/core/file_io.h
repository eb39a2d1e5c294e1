// src/core/file_io.h: the few durable file operations everything else builds on.
//
// WriteFileAtomically: temp file in the same directory, write, fsync, rename, fsync the
// directory: a reader sees the old content or the new, never a mix. AppendToFile: one
// O_APPEND write of whole records, optionally fdatasync'd (durable on return); when the
// write or the sync fails (a full disk), the file is cut back to its old length, so an
// append that answers an error left nothing behind (a batch is all or nothing). Errors
// of a full disk or quota are insufficient_storage (507), others io_error.
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
//! A read-only memory map of a whole file (a large upload is scanned without reading it
//! into memory); an empty file maps to an empty view.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  ~MappedFile();
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

Status TruncateFile(const std::string& path, uint64_t size);
//! fsync of a file or (directory=true) a directory entry list.
Status FsyncPath(const std::string& path, bool directory);

}  // namespace lakehouse
