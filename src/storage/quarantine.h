// src/storage/quarantine.h: where records that cannot be processed go, with their reason.
//
// "Nothing is silently dropped": a bad row of an ingest, a malformed _kb line, a record a
// transform rejects, each becomes one quarantine.v1 line in
// `_quarantine/YYYY/MM/DD/<source>.jsonl` (the day the record was quarantined, UTC):
//   {"schema":"quarantine.v1","source":"workers","origin":"upload.csv","line_offset":7,
//    "reason":"...","raw":"...","quarantined_at":"2026-11-24T07:43:15.123Z"}
// `line_offset` is the 0-based line (or row) in the origin and is always written, even 0.
// `raw` is the record as it was, text, so it can be fixed and replayed; a record that is
// not valid UTF-8 is kept byte for byte as base64, with "raw_encoding":"base64".
//
// Records are buffered and written in one append per Flush (and at destruction).
//
// Thread-safety: one QuarantineWriter per producer; not for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "storage/object_store.h"

namespace lakehouse {

class QuarantineWriter {
 public:
  QuarantineWriter(ObjectStore& store, std::string source, std::string origin,
                   const Clock& clock = SystemClock::Get());
  ~QuarantineWriter();

  void Add(int64_t line_offset, std::string_view reason, std::string_view raw);
  //! Appends the buffered records (fsync'd).
  Status Flush();
  int64_t count() const { return count_; }
  //! The first kSampleSize records added ({line_offset, reason, raw}, raw cut at 500 bytes):
  //! what an ingest report shows a person, who then reads the file for the rest.
  const Json& sample() const { return sample_; }
  static constexpr size_t kSampleSize = 20;
  //! The object key records go to ("_quarantine/2026/11/24/workers.jsonl").
  const std::string& key() const { return key_; }

 private:
  ObjectStore& store_;
  std::string source_;
  std::string origin_;
  const Clock& clock_;
  std::string key_;
  std::string buffer_;
  int64_t count_ = 0;
  Json sample_ = Json::array();
};

}  // namespace lakehouse
