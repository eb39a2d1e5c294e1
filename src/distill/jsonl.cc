#include "distill/jsonl.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/crc32c.h"
#include "core/json.h"

namespace lakehouse::distill {
namespace {
constexpr size_t kBlockBytes = 4 << 20;
}  // namespace

JsonlReader::~JsonlReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status JsonlReader::Open(const std::string& path, int64_t offset, int64_t first_index) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) return Status::IOError(fmt::format("open {}: {}", path, strerror(errno)));
  if (offset > 0 && fseeko(file_, offset, SEEK_SET) != 0)
    return Status::IOError(fmt::format("seek {} to {}: {}", path, offset, strerror(errno)));
  block_.resize(kBlockBytes + simdjson::SIMDJSON_PADDING);
  block_offset_ = offset_ = offset;
  index_ = first_index;
  return Status::OK();
}

bool JsonlReader::Fill() {
  if (eof_ || file_ == nullptr) return false;
  // Keep the unread tail (a line cut by the block end) and read after it; a line longer
  // than the block grows the block.
  if (begin_ > 0) {
    std::memmove(block_.data(), block_.data() + begin_, end_ - begin_);
    block_offset_ += static_cast<int64_t>(begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ + simdjson::SIMDJSON_PADDING >= block_.size())
    block_.resize(block_.size() * 2 + simdjson::SIMDJSON_PADDING);
  const size_t room = block_.size() - simdjson::SIMDJSON_PADDING - end_;
  const size_t n = std::fread(block_.data() + end_, 1, room, file_);
  if (n < room) {
    if (std::ferror(file_)) status_ = Status::IOError(fmt::format("read: {}", strerror(errno)));
    eof_ = true;
  }
  end_ += n;
  return n > 0;
}

bool JsonlReader::Next(JsonlLine& line) {
  for (;;) {
    const char* start = block_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      const size_t len = static_cast<const char*>(nl) - start;
      line.text = std::string_view(start, len);
      line.index = index_++;
      line.offset = block_offset_ + static_cast<int64_t>(begin_);
      crc_ = Crc32c(std::string_view(start, len + 1), crc_);
      begin_ += len + 1;
      offset_ = block_offset_ + static_cast<int64_t>(begin_);
      return true;
    }
    if (!Fill()) return false;
  }
}

JsonObjectWriter& JsonObjectWriter::Str(std::string_view key, std::string_view value) {
  AppendJsonString(Key(key), value);
  return *this;
}
JsonObjectWriter& JsonObjectWriter::Int(std::string_view key, int64_t value) {
  fmt::format_to(std::back_inserter(Key(key)), "{}", value);
  return *this;
}
JsonObjectWriter& JsonObjectWriter::Bool(std::string_view key, bool value) {
  Key(key) += value ? "true" : "false";
  return *this;
}
JsonObjectWriter& JsonObjectWriter::Null(std::string_view key) {
  Key(key) += "null";
  return *this;
}
JsonObjectWriter& JsonObjectWriter::Fixed4(std::string_view key, double value) {
  Key(key) += FormatScore(value);
  return *this;
}
JsonObjectWriter& JsonObjectWriter::Raw(std::string_view key, std::string_view raw) {
  Key(key) += raw;
  return *this;
}
std::string& JsonObjectWriter::Key(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  AppendJsonString(out_, key);
  out_ += ':';
  return out_;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

double RoundScore(double score) {
  return std::round(score * 10000.0) / 10000.0;
}

std::string FormatScore(double score) {
  // Integer arithmetic on the scaled value: no "-0.0000", no binary-fraction surprises.
  const auto scaled = static_cast<int64_t>(std::llround(score * 10000.0));
  const int64_t whole = scaled / 10000, frac = std::llabs(scaled % 10000);
  return fmt::format("{}{}.{:04d}", scaled < 0 && whole == 0 ? "-" : "", whole, frac);
}

}  // namespace lakehouse::distill
