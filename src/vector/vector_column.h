// src/vector/vector_column.h: the one copy of an index's vectors, a file of fixed-width rows.
//
// `vectors.<gen>.f32`: rows of dims + 1 floats, the vector as it was given and one float
// after it (1/|v| for cosine, 1 otherwise; the graph's distance uses it, so vectors are
// stored once, never normalised copies). A quantized index (quantize.h) has a second column
// of the same rows, `codes.<gen>.i8`, its int8 codes: the class serves any row width and
// suffix. Rows are appended, never rewritten: a new version of an item takes a new row, and
// a backup copying the file while it grows copies rows that were whole when written. Which
// row holds which item is the side store's business (side_store.h), and the graph refers to
// rows by number (hnsw_graph.h): neither holds a vector of its own. Old rows are dropped by
// writing the next generation (Rewrite), when the side store compacts.
//
// Mapped or not: a column the searches read is memory-mapped (Row() is a pointer into the
// page cache, nothing read until touched), asking the kernel for 2 MB pages (scans touch
// rows scattered over the file: with 4 KB pages nearly each is a TLB miss). A column given
// a map limit is mapped only while its file is at most that size; past it (at open, or as
// it grows) it is written with pwrite and read a row at a time with pread (Read). A
// quantized index's float column, read only to rerank, has such a limit (side_store.h), so
// vectors that do not fit in RAM never count in the server's resident memory, while the
// reranks of an index that fits read mapped rows instead of making a system call each.
//
// Durability: the rows are written (into the shared mapping, or the file) before the side
// store logs the record that names them, and the record carries the vector too, so a row
// lost to a power cut is written again from the log at Load; Sync (at compaction) makes the
// rows a snapshot names durable before the snapshot is. Reopening maps the file: nothing is
// read or checked until a search touches it.
//
// A read-only column (another process owns the index) maps the owner's file and follows
// its growth (Cover), never writing it.
//
// Thread-safety: none of its own. Row() pointers stay valid until the next Reserve/Cover
// (which may move the mapping): VectorIndex calls those with its lock held exclusively.
// Read (pread) may run beside everything but Open and Rewrite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakehouse {

//! The sum of squares of `n` floats, in double (a row's 1/|v|, a cosine query's length).
inline double SumOfSquares(const float* v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  return sum;
}

//! Asks for the cache line holding `p`. An asm statement, not __builtin_prefetch: g++ 12 at
//! -O2 deletes __builtin_prefetch calls in a region with branches of its own (a loop over a
//! row's lines, or a conditional line), and took the whole prefetch out of the filtered scan
//! (docs/BENCHMARKS.md, twenty-second part).
inline void PrefetchLine(const char* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*p));
#else
  __builtin_prefetch(p);
#endif
}

class VectorColumn {
 public:
  //! Rows of `row_bytes` in `<prefix>.<gen>.<suffix>` files of `dir`.
  VectorColumn(std::string dir, std::string prefix, std::string suffix, size_t row_bytes,
               bool read_only, uint64_t map_limit = kAlwaysMapped);
  static constexpr uint64_t kAlwaysMapped = UINT64_MAX;
  ~VectorColumn();
  VectorColumn(const VectorColumn&) = delete;
  VectorColumn& operator=(const VectorColumn&) = delete;

  //! Opens (and maps) generation `gen`, creating an empty file for the owner when absent.
  Status Open(uint64_t gen);
  //! The file of a generation, and every column file of this kind in `dir` (current or not).
  std::string FileName(uint64_t gen) const;
  std::vector<std::string> Files() const;

  //! Owner: row `row` holds `bytes` (row_bytes of them); the file grows as needed.
  Status Write(uint64_t row, const void* bytes);
  //! Read-only: maps the owner's file far enough to read rows below `rows`.
  Status Cover(uint64_t rows);
  //! A mapped column's row (valid until the mapping moves).
  const char* Row(uint64_t row) const { return base_ + row * stride_; }
  //! Copies a row out, mapped or not (row_bytes into `out`).
  Status Read(uint64_t row, void* out) const;
  //! Asks for a row's cache lines ahead of reading it (scans over scattered rows): a short
  //! row (an int8 code row: 392 bytes at 384 dims, 7-8 lines) whole, a long one (a float
  //! row, 1,540 bytes) its first 128 bytes, the hardware's streamer following the rest. Whole
  //! code rows (and the rerank's overlapped reads) made a 5M filtered scan 1.14-1.16x faster
  //! (docs/BENCHMARKS.md, twenty-second part).
  void Prefetch(uint64_t row) const {
    const auto at = reinterpret_cast<uintptr_t>(base_ + row * stride_);
    const uintptr_t last = at + (stride_ <= kWholeRowPrefetch ? stride_ : 128) - 1;
    for (uintptr_t line = at & ~uintptr_t{63}; line <= last; line += 64)
      PrefetchLine(reinterpret_cast<const char*>(line));
  }
  static constexpr size_t kWholeRowPrefetch = 512;
  //! Copies a row out only if that needs no disk read: always when mapped, else when the
  //! page cache holds all of it (preadv2 with RWF_NOWAIT). False: not copied (not cached, in
  //! part or at all, or the kernel cannot tell); Read then waits for the disk.
  bool ReadCached(uint64_t row, void* out) const;
  //! Asks the kernel to start reading a row of an unmapped column (a no-op when mapped): a
  //! rerank's rows are scattered over a file larger than the page cache may hold, and read
  //! one after another each waits for the disk. A system call: for rows ReadCached missed.
  void WillNeed(uint64_t row) const;
  //! Rows below this can be read.
  uint64_t readable_rows() const { return (mapped_ ? mapped_bytes_ : file_bytes_) / stride_; }
  size_t stride() const { return stride_; }
  bool mapped() const { return mapped_; }
  //! Fills the mapping's page tables from the page cache (reading what is not there) and
  //! touches each page once, when the mapping takes at most `budget` bytes; answers the bytes
  //! made resident (0: not mapped, over budget, or the kernel refused). A fresh server's
  //! first searches otherwise fault the rows in one page at a time: ~2,400 faults and 52 ms
  //! for its first filtered retrieve on 500k workers, 4 ms once warm (docs/BENCHMARKS.md,
  //! eleventh part); at 5M, the pages mapped but not touched, the first filtered searches
  //! ran at 108-119 QPS, touched 1,148-1,265 (twenty-second part).
  uint64_t Populate(uint64_t budget) const;
  uint64_t gen() const { return gen_; }
  //! The rows a snapshot will name reach the disk; the file is cut to `rows` rows (it grows
  //! in steps: the slack would be copied by backups).
  Status Sync(uint64_t rows) const;
  //! Writes generation gen()+1 holding `rows` (old row numbers) in that order, durably,
  //! and opens it: old row rows[i] is new row i. The old file stays until RemoveOthers.
  Status Rewrite(const std::vector<uint64_t>& rows);
  //! Removes column files of other generations (after a snapshot names this one).
  void RemoveOthers() const;

 private:
  Status Map(uint64_t bytes);
  void Unmap();
  //! A mapped column whose file outgrew the map limit goes on unmapped.
  void StopMappingPastLimit();
  std::string Path(uint64_t gen) const { return dir_ + "/" + FileName(gen); }

  std::string dir_, prefix_, suffix_;
  bool read_only_;
  uint64_t map_limit_;  // a larger file is read and written with pread/pwrite
  bool mapped_ = false;
  size_t stride_;
  uint64_t gen_ = 0;
  int fd_ = -1;
  char* base_ = nullptr;
  uint64_t mapped_bytes_ = 0;
  // The file's size (owner; below mapped_bytes_ after a Sync cut it; for an unmapped
  // read-only column, what Cover last saw). Mutable: Sync runs beside searches (a
  // snapshot), which never read it; writers are one at a time.
  mutable uint64_t file_bytes_ = 0;
};

}  // namespace lakehouse
