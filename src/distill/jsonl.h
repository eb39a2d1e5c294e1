// src/distill/jsonl.h: streaming JSONL input and hand-built JSON output for the pipeline.
//
// The distillation steps read files far larger than memory (a 10 GB `_kb`), so input is a
// JsonlReader: fixed-size blocks read from a byte offset, handed out one complete line at a
// time, each line left inside the block with simdjson's padding after it so simdjson parses
// it in place (no copy). A last line without '\n' is a writer mid-append: it is not handed
// out, and `offset()` stops before it, so the next run starts there.
//
// Output lines are built with JsonObjectWriter, straight into a string: fixed key order,
// numbers formatted one way (scores always with 4 decimals), raw JSON spliced as is. That is
// what makes the outputs byte-identical between runs, and it is 5-10x faster than building
// an nlohmann object per line.
//
// Thread-safety: one reader or writer per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakehouse::distill {

struct JsonlLine {
  std::string_view text;  // without the '\n'; padded for simdjson
  int64_t index = 0;      // 0-based line number in the file
  int64_t offset = 0;     // byte offset of the line's first byte
};

class JsonlReader {
 public:
  JsonlReader() = default;
  ~JsonlReader();
  JsonlReader(const JsonlReader&) = delete;
  JsonlReader& operator=(const JsonlReader&) = delete;

  //! Opens `path` to read from byte `offset`, numbering the first line `first_index`.
  Status Open(const std::string& path, int64_t offset = 0, int64_t first_index = 0);
  //! The next complete line; false at the end (or at a partial last line). IO errors end the
  //! stream and are kept in status().
  bool Next(JsonlLine& line);
  //! Bytes consumed: the offset just after the last line handed out.
  int64_t offset() const { return offset_; }
  int64_t next_index() const { return index_; }
  //! CRC-32C of every byte handed out so far (lines and their '\n'), from the open offset.
  uint32_t crc32c() const { return crc_; }
  const Status& status() const { return status_; }

 private:
  bool Fill();

  std::FILE* file_ = nullptr;
  std::vector<char> block_;
  size_t begin_ = 0, end_ = 0;  // unread bytes in block_
  int64_t block_offset_ = 0;    // file offset of block_[0]
  int64_t offset_ = 0;
  int64_t index_ = 0;
  uint32_t crc_ = 0;
  bool eof_ = false;
  Status status_;
};

//! Appends one JSON object with keys in call order. Call Close() (or let it go out of
//! scope) to write the closing brace.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~JsonObjectWriter() { Close(); }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  JsonObjectWriter& Str(std::string_view key, std::string_view value);
  JsonObjectWriter& Int(std::string_view key, int64_t value);
  JsonObjectWriter& Bool(std::string_view key, bool value);
  JsonObjectWriter& Null(std::string_view key);
  //! A number with exactly 4 decimals (0.8500): scores, the pipeline's only non-integers.
  JsonObjectWriter& Fixed4(std::string_view key, double value);
  //! `raw` must already be valid JSON.
  JsonObjectWriter& Raw(std::string_view key, std::string_view raw);
  //! Starts a key whose value the caller appends to out() next.
  std::string& Key(std::string_view key);
  void Close() {
    if (!closed_) out_ += '}';
    closed_ = true;
  }

 private:
  std::string& out_;
  bool first_ = true;
  bool closed_ = false;
};

//! Appends `"s"` with JSON escaping.
void AppendJsonString(std::string& out, std::string_view s);
//! A score as text with exactly 4 decimals, rounded half away from zero.
std::string FormatScore(double score);
//! Rounds to 4 decimals (what FormatScore prints).
double RoundScore(double score);

}  // namespace lakehouse::distill
