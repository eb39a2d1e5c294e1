// src/distill/evidence.h: the 12 transforms, one per `_kb` source, from a source line to an
// `evidence.v1` record (docs/DISTILL.md lists each one's fields).
//
//   {"schema":"evidence.v1","id":"ev_<24 hex>","kind":"chat_turn","day":"2026-11-24",
//    "subject":"run_...","payload":{...},"provenance":{"source":"chat_turns",
//    "line_offset":0,"transform":"chat_turns@1","recorded_at":"2026-11-24T07:43:15.123Z"}}
//
// A transform checks the line's schema, projects the fields its kind keeps (all required:
// a line missing one is quarantined with the field named; fields added to a source later
// are optional and written as null when absent: zero is a value), takes the day from the
// record's own timestamp and names its subject (the order, run, playbook... it is about).
// The payload keeps the source's key order and values, minified, so it is deterministic.
//
// The id is a content hash (SHA-256 of source, kind, subject and payload): the same line
// gives the same id wherever it sits in the file, which is how a rewritten source is
// re-processed without duplicates. `line_offset` is the 0-based line index, always written.
//
// Thread-safety: an EvidenceTransformer per thread; Sources() is immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/kb_sources.h"

namespace lakehouse::distill {

// A `_kb` source (storage/kb_sources.h) as the materializer sees it.
struct SourceSpec {
  std::optional<KbSource> id;  // none: a file in _kb/ that is no known source
  std::string_view name;       // "chat_turns": the file _kb/<name>.jsonl
  std::string_view schema;     // "chat_turn.v1": every line's `schema`
  std::string_view transform;  // "chat_turns@1": bumped when the transform's output changes
  std::string_view doc;        // one line: what the evidence is
};

//! The 12 sources in processing order (storage/kb_sources.h's).
const std::vector<SourceSpec>& Sources();
const SourceSpec* FindSource(std::string_view name);

struct EvidenceDraft {
  std::string kind;
  std::string day;  // YYYY-MM-DD (UTC) of the record's own time
  std::string subject;
  std::string payload;  // a JSON object
};

class EvidenceTransformer {
 public:
  EvidenceTransformer();
  ~EvidenceTransformer();
  EvidenceTransformer(const EvidenceTransformer&) = delete;
  EvidenceTransformer& operator=(const EvidenceTransformer&) = delete;

  //! Parses `line` (padded: see JsonlReader) and runs the source's transform. A non-OK
  //! status is the quarantine reason ("malformed JSON: ...", "field 'at' missing", ...).
  Status Transform(const SourceSpec& source, std::string_view line, EvidenceDraft& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! "ev_" + the first 24 hex digits of SHA-256(source \n kind \n subject \n payload).
std::string EvidenceId(const SourceSpec& source, const EvidenceDraft& draft);

//! A 64-bit key for sets of evidence ids: the id's first 16 hex digits (a SHA-256 prefix),
//! or a hash of the whole text for a malformed id.
uint64_t EvidenceIdKey(std::string_view id);

//! Appends the evidence.v1 line (with '\n') for `draft` with id `id`.
void AppendEvidenceLine(std::string& out, const SourceSpec& source, const EvidenceDraft& draft,
                        std::string_view id, int64_t line_offset, std::string_view recorded_at);

//! "2026/11/24" for day "2026-11-24": the evidence directory of a day.
std::string DayPath(std::string_view day);

}  // namespace lakehouse::distill
