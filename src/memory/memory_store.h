// src/memory/memory_store.h: pathway memory, Mem0-style, with full version history.
//
// A memory is a short fact about a subject ("worker:W0000042", "client:C00017",
// "order:O000123"): "prefers nights, has her own forklift certification card". Writing one
// (Add) first looks at the subject's live memories: one whose text is similar enough
// (cosine >= update_threshold) is the same fact restated or corrected, so it gets a new
// version (UPDATE, the old text kept in its history) instead of a near-duplicate (ADD).
// The same text from the same source again changes nothing (NOOP). Delete writes a
// tombstone version; nothing is ever erased, and History lists every version with its op,
// source, when it was recorded and, apart from that, when the fact was observed
// (`observed_at`, given by the writer: SPEC "keep when a fact was true apart from when it
// was recorded").
//
// Durability: every version is one CRC-framed record (storage/record_log.h) appended to
// `<dir>/memories.log` and fdatasync'd before the write is applied or acknowledged, so a
// contradiction never loses the new fact and a kill -9 loses nothing acknowledged. The
// log is the truth. Semantic search runs over a private vector index (`<dir>/index/`, one
// item per live memory, payload {subject, version}); at Open it is reconciled with the log
// (missing or stale items re-embedded, dead ones removed, a model change rebuilds it), so
// a crash between the two writes heals itself.
//
// Thread-safety: all methods may be called concurrently; writes are serialised (the
// dedupe decision must see every earlier write of the subject).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "embed/embed_service.h"
#include "vector/vector_index.h"

namespace lakehouse {

struct MemoryVersion {
  int64_t version = 0;
  std::string op;    // ADD | UPDATE | DELETE
  std::string text;  // empty for DELETE
  std::string source;
  int64_t recorded_ms = 0;
  std::string observed_at;           // as the writer gave it ("" when not given)
  std::optional<double> similarity;  // UPDATE: cosine to the text it replaced
  //! {version, op, text (null for DELETE), source, recorded_at, observed_at, similarity}
  Json ToJson() const;
};

struct Memory {
  std::string id;
  std::string subject;
  std::vector<MemoryVersion> versions;  // oldest first; never empty
  bool deleted() const { return versions.back().op == "DELETE"; }
  //! The live text (the latest version that is not a tombstone).
  const std::string& text() const;
  //! The memory now: {id, subject, version, text, source, recorded_at, observed_at, deleted}
  Json ToJson() const;
  //! Every version: {id, subject, deleted, versions: [...]}
  Json HistoryJson() const;
};

//! A search result: the memory now and how close it is to the query.
struct MemoryHit {
  Memory memory;
  double score = 0;
  //! The memory's JSON without `deleted` (never a deleted one), with `score`.
  Json ToJson() const;
};

//! The version an UPDATE replaced.
struct ReplacedVersion {
  int64_t version = 0;
  std::string text;
  double similarity = 0;
};

struct MemoryStats {
  size_t memories = 0, live = 0, subjects = 0;
  int64_t versions = 0;
  std::string model;
  double update_threshold = 0;
  Json index;  // the search index's VectorIndex::Info
  //! {memories, live, versions, subjects, model, update_threshold, index}
  Json ToJson() const;
};

struct MemoryWriteRequest {
  std::string subject;
  std::string text;
  std::string source;
  std::string observed_at;  // optional: "YYYY-MM-DD" or an RFC 3339 time
};

//! Parses {subject, text, source, observed_at?}; errors name the field.
Result<MemoryWriteRequest> ParseMemoryWrite(const Json& body);

struct MemoryWriteResult {
  std::string op;                           // ADD | UPDATE | NOOP | DELETE
  Memory memory;                            // as it is after the write
  std::optional<ReplacedVersion> previous;  // UPDATE only
  //! {op, memory, previous: {version, text, similarity} | null}
  Json ToJson() const;
};

struct MemoryStoreOptions {
  std::string dir;    // <root>/memory
  std::string model;  // embedding model; empty: the service's default
  double update_threshold = 0.7;
};

class MemoryStore {
 public:
  static Result<std::unique_ptr<MemoryStore>> Open(MemoryStoreOptions options, EmbedService& embed);
  ~MemoryStore();

  //! ADD, UPDATE (a near-duplicate of a live memory of the subject) or NOOP.
  Result<MemoryWriteResult> Write(const MemoryWriteRequest& request);
  //! A tombstone version. 404 unknown id; 409 already deleted.
  Result<MemoryWriteResult> Delete(const std::string& id, const std::string& source);
  //! The memory with every version; 404 unknown.
  Result<Memory> Get(const std::string& id) const;
  //! The live memories of a subject, oldest first.
  std::vector<Memory> ListSubject(const std::string& subject) const;
  //! The best `k`: exact cosine over the subject's memories when `subject` is given, else
  //! the HNSW index over every live memory. Deleted memories are never returned.
  Result<std::vector<MemoryHit>> Search(const std::string& query, const std::string& subject,
                                        size_t k);
  MemoryStats Stats() const;

 private:
  MemoryStore(MemoryStoreOptions options, EmbedService& embed)
      : options_(std::move(options)), embed_(embed) {}
  Status Load();
  Status Reconcile();
  Status Apply(const Json& record);
  //! Appends `record` durably, then applies it. Call with write_mu_ held.
  Status Commit(const Json& record);

  MemoryStoreOptions options_;
  EmbedService& embed_;
  std::string log_path_;
  std::shared_ptr<VectorIndex> index_;

  std::mutex write_mu_;           // one writer at a time (decide, append, apply, index)
  mutable std::shared_mutex mu_;  // guards the maps below
  std::unordered_map<std::string, Memory> memories_;
  std::unordered_map<std::string, std::vector<std::string>> by_subject_;  // ids, oldest first
  int64_t next_id_ = 1;
  int64_t versions_ = 0;
};

}  // namespace lakehouse
