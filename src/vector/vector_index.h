// src/vector/vector_index.h: one named HNSW index whose side store is the truth.
//
// The side store (id -> vector, payload, version) lives in `store.snap` (compacted) plus
// `store.log` (every upsert/delete since), both framed with CRC-32C (record_log.h). Every
// write is appended and fdatasync'd before it touches the graph or is acknowledged, so a
// kill -9 at any moment loses nothing acknowledged. The HNSW graph (hnswlib) is an index
// over the store: saved as `graph.hnsw` + `graph.json` (the store sequence it reflects) on
// Snapshot and Close, loaded when it matches the store and passes a consistency check, and
// otherwise rebuilt from the store (missing, stale after a crash, or corrupt). A graph
// operation that throws is caught: the record is already durable, and the graph is rebuilt.
//
// Search filters are evaluated inside the HNSW search (hnswlib's filter functor); when the
// graph still returns fewer than k hits although k matching items exist, an exact scan of
// the matching items answers instead, so a filtered search never under-returns. A very
// selective filter skips the graph altogether: in a large index (>= kPostingsMinItems)
// the `eq`/`in` conditions over string or boolean fields draw candidates from posting
// lists (built per field on first use, rebuilt after writes), and numeric range
// conditions (gt/gte/lt/lte) from sorted value arrays; the smallest candidate set, narrowed
// by the next smallest when that is cheap (a lat band and a lon band make a box), is
// scored exactly when it is at most 1/20 of the items. A graph search with
// such a filter would visit most of the graph to find its few matches (hnswlib keeps
// exploring until it holds ef admitted results); the exact answer is faster and complete.
//
// Scores: cosine similarity (metric cosine), inner product (dot), negated euclidean
// distance (l2): higher is closer for every metric.
//
// Thread-safety: searches run concurrently; writes are exclusive (a shared_mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "vector/payload_filter.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
template <typename T>
class SpaceInterface;
}  // namespace hnswlib

namespace lakehouse {

enum class Metric { kCosine, kL2, kDot };
Result<Metric> ParseMetric(std::string_view name);
std::string_view MetricName(Metric m);

struct IndexSpec {
  std::string name;
  int dims = 0;
  Metric metric = Metric::kCosine;
  int m = 16;
  int ef_construction = 200;
  int ef_search = 64;
  std::string model;  // embedding model for text items and text queries
  Json ToJson() const;
  static Result<IndexSpec> FromJson(const Json& j);
  //! Range checks with messages naming the field.
  Status Validate() const;
};

struct VectorItem {
  std::string id;
  std::vector<float> vector;
  Json payload = Json::object();
  uint64_t version = 0;  // sequence number of the write that produced it
};

struct SearchHit {
  std::string id;
  float score;
  Json payload;
};

struct SearchStats {
  bool exact_fallback = false;  // an exact scan answered (selective filter, or under-return)
  size_t candidates = 0;        // items a posting list offered (0: none used)
};

//! Names must be [a-z][a-z0-9_-]{0,62}.
Status ValidateIndexName(const std::string& name);

class VectorIndex {
 public:
  //! Creates a new empty index in `dir` (which must not hold one).
  static Result<std::unique_ptr<VectorIndex>> Create(const std::string& dir, const IndexSpec& spec);
  //! Opens the index in `dir`: side store, then the graph (loaded or rebuilt).
  //! `read_only`: another process owns the index (split-service mode): its files are
  //! never written (a torn log tail is skipped, not cut; a rebuilt graph stays in memory)
  //! and Upsert, Delete and Snapshot answer Conflict.
  static Result<std::unique_ptr<VectorIndex>> Open(const std::string& dir, bool read_only = false);
  ~VectorIndex();

  static constexpr size_t kPostingsMinItems = 10000;
  static constexpr size_t kPostingsMaxValues = 4096;  // a field with more is not listed

  //! False for a derived index whose owner rebuilds it from its own log at open (memory
  //! search): writes still reach the file, but without an fdatasync each.
  void set_sync_writes(bool sync) { sync_writes_ = sync; }

  const IndexSpec& spec() const { return spec_; }
  //! Inserts or replaces by id, durably, as one batch (one fsync).
  Status Upsert(std::vector<VectorItem> items);
  //! True when the id existed.
  Result<bool> Delete(const std::string& id);
  std::optional<VectorItem> Get(const std::string& id) const;
  size_t Count() const;
  //! Every live id, sorted (reconciliation with an owner's own log).
  std::vector<std::string> Ids() const;
  Result<std::vector<SearchHit>> Search(const std::vector<float>& query, size_t k, size_t ef,
                                        const PayloadFilter& filter,
                                        SearchStats* stats = nullptr) const;
  //! Compacts the side store into store.snap and saves the graph.
  Status Snapshot();
  //! A read-only index (another process owns it): applies what the owner appended to
  //! store.log since the last call, to the entries and the graph, in place. False when the
  //! log no longer continues what was read (the owner compacted it): reopen the index.
  //! One stat(2) when nothing was appended.
  Result<bool> FollowLog();
  bool read_only() const { return read_only_; }
  //! Saves the graph if it changed since it was last saved (on clean shutdown).
  Status Close();
  //! {name, dims, metric, m, ef_construction, ef_search, model, count, seq, graph}
  Json Info() const;
  //! After the index's files are removed: Close no longer writes.
  void MarkDropped() { dropped_ = true; }
  //! How the graph came up at Open: "loaded", "rebuilt: <reason>", or "new".
  const std::string& graph_origin() const { return graph_origin_; }

 private:
  struct Entry {
    VectorItem item;
    size_t label;
    float norm2 = 0;  // |vector|^2, kept at insert: exact cosine scans need it per item
  };
  class Filter;

  VectorIndex(std::string dir, IndexSpec spec);
  Status LoadStore();
  //! What applying a record did to the labels (a follower mirrors it in its graph).
  struct AppliedRecord {
    std::optional<size_t> removed;  // a label that no longer holds a live item
    std::optional<size_t> added;    // a label whose (new) vector the graph must take
  };
  Status ApplyRecord(std::string_view body, AppliedRecord* applied = nullptr);
  Status BuildGraph(const std::string& reason);
  Status TryLoadGraph(std::string* why_not);
  Status GraphAdd(const Entry& e);
  Status EnsureCapacity(size_t additional);
  Status AddAllToGraph(const std::vector<const Entry*>& order);
  Status SaveGraph();
  std::vector<float> Prepared(const std::vector<float>& v) const;
  float Score(float distance) const;
  std::string EncodeUpsert(const Entry& e) const;
  // entries_ and by_label_ change together, only through these.
  Entry& PutEntry(size_t label, Entry e);
  void EraseEntry(size_t label);
  //! The live entry of a label, or null: one array read (the search filter runs it for
  //! every node the graph visits; a hash lookup there was 30% of a selective search).
  const Entry* EntryAt(size_t label) const {
    return label < by_label_.size() ? by_label_[label] : nullptr;
  }
  //! Labels of the items that can match `filter`, from the posting lists of its most
  //! selective eq/in condition; nullopt when none applies. Call with mu_ held (shared).
  struct CandidateSet {
    std::vector<size_t> labels;
    std::vector<size_t> exact_conditions;  // filter conditions every label satisfies
  };
  std::optional<CandidateSet> Candidates(const PayloadFilter& filter) const;
  //! Exact top-k among `labels` (all entries when null) that match `filter`.
  std::vector<std::pair<float, size_t>> ExactSearch(const std::vector<float>& prepared_query,
                                                    size_t k, const PayloadFilter& filter,
                                                    const std::vector<size_t>* labels) const;

  std::string dir_;
  IndexSpec spec_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, size_t> id_to_label_;
  std::unordered_map<size_t, Entry> entries_;
  std::vector<const Entry*> by_label_;  // label -> its entry in entries_, null when none
  size_t next_label_ = 0;
  uint64_t seq_ = 0;
  uint64_t graph_saved_seq_ = UINT64_MAX;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  std::string graph_origin_ = "new";
  std::atomic<bool> dropped_{false};
  bool sync_writes_ = true;
  bool read_only_ = false;
  std::mutex follow_mu_;             // one FollowLog at a time
  uint64_t followed_log_bytes_ = 0;  // read-only: bytes of store.log applied
  uint64_t followed_log_inode_ = 0;  // a compaction writes a new file (a new inode)
  Status RefuseWrite() const;

  struct FieldPostings {
    bool lists_usable = true;  // false: too many distinct values to list
    std::unordered_map<std::string, std::vector<size_t>> lists;  // PostingKey -> labels
    std::vector<std::pair<double, size_t>> numbers;  // (value, label), sorted: range queries
  };
  //! The postings of `field`, built on first use. Call with postings_mu_ held.
  const FieldPostings& Postings(const std::string& field) const;
  mutable std::mutex postings_mu_;
  mutable std::unordered_map<std::string, FieldPostings> postings_;
  mutable uint64_t postings_seq_ = UINT64_MAX;  // the store sequence the lists reflect
};

}  // namespace lakehouse
