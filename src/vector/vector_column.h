// src/vector/vector_column.h: the one copy of an index's vectors, a memory-mapped file.
//
// `vectors.<gen>.f32`: fixed-width rows of dims + 1 floats, the vector as it was given and
// one float after it (1/|v| for cosine, 1 otherwise; the graph's distance uses it, so
// vectors are stored once, never normalised copies). Rows are appended, never rewritten:
// a new version of an item takes a new row, and a backup copying the file while it grows
// copies rows that were whole when written. Which row holds which item is the side
// store's business (side_store.h), and the graph refers to rows by number (hnsw_graph.h):
// neither holds a vector of its own. Old rows are dropped by writing the next generation
// (Rewrite), when the side store compacts.
//
// Durability: the rows are written (into the shared mapping) before the side store logs
// the record that names them, and the record carries the vector too, so a row lost to a
// power cut is written again from the log at Load; Sync (at compaction) makes the rows a
// snapshot names durable before the snapshot is. Reopening maps the file: nothing is read
// or checked until a search touches it.
//
// A read-only column (another process owns the index) maps the owner's file and follows
// its growth (Cover), never writing it.
//
// Thread-safety: none of its own. Row() pointers stay valid until the next Reserve/Cover
// (which may move the mapping): VectorIndex calls those with its lock held exclusively.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakehouse {

class VectorColumn {
 public:
  VectorColumn(std::string dir, int dims, bool read_only);
  ~VectorColumn();
  VectorColumn(const VectorColumn&) = delete;
  VectorColumn& operator=(const VectorColumn&) = delete;

  //! Maps generation `gen` (creating an empty file for the owner when absent).
  Status Open(uint64_t gen);
  //! The file of a generation, and every column file in `dir` (current or not).
  static std::string FileName(uint64_t gen);
  std::vector<std::string> Files() const;

  //! Owner: row `row` holds `v` (dims floats) and `extra`; the file grows as needed.
  Status Write(uint64_t row, const float* v, float extra);
  //! Read-only: maps the owner's file far enough to read rows below `rows`.
  Status Cover(uint64_t rows);
  const float* Row(uint64_t row) const {
    return reinterpret_cast<const float*>(base_ + row * stride_);
  }
  //! Asks for a row's first cache lines ahead of reading it (scans over scattered rows).
  void Prefetch(uint64_t row) const {
    __builtin_prefetch(base_ + row * stride_);
    __builtin_prefetch(base_ + row * stride_ + 64);
  }
  //! Rows below this can be read.
  uint64_t mapped_rows() const { return mapped_ / stride_; }
  size_t stride() const { return stride_; }
  uint64_t gen() const { return gen_; }
  //! The rows a snapshot will name reach the disk; the file is cut to `rows` rows (it grows
  //! in steps: the slack would be copied by backups).
  Status Sync(uint64_t rows) const;
  //! Writes generation gen()+1 holding `rows` (old row numbers) in that order, durably,
  //! and maps it: old row rows[i] is new row i. The old file stays until RemoveOthers.
  Status Rewrite(const std::vector<uint64_t>& rows);
  //! Removes column files of other generations (after a snapshot names this one).
  void RemoveOthers() const;

 private:
  Status Map(uint64_t bytes);
  void Unmap();
  std::string Path(uint64_t gen) const { return dir_ + "/" + FileName(gen); }

  std::string dir_;
  int dims_;
  bool read_only_;
  size_t stride_;
  uint64_t gen_ = 0;
  int fd_ = -1;
  char* base_ = nullptr;
  uint64_t mapped_ = 0;  // bytes mapped
  // The file's size (owner; below mapped_ after a Sync cut it). Mutable: Sync runs beside
  // searches (a snapshot), which never read it; writers are one at a time.
  mutable uint64_t file_bytes_ = 0;
};

}  // namespace lakehouse
