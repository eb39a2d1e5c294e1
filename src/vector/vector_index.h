// src/vector/vector_index.h: one named HNSW index whose side store is the truth.
//
// The side store (id -> vector, payload, version) lives in `store.snap` (compacted) plus
// `store.log` (every upsert/delete since), both framed with CRC-32C (record_log.h), and
// the vectors in one memory-mapped column (`vectors.<gen>.f32`, vector_column.h) that the
// graph reads too: each vector is held once. Every write is appended and fdatasync'd before
// it touches the graph or is acknowledged, so a kill -9 at any moment loses nothing
// acknowledged. The HNSW graph is an index over the store: saved as `graph.hnsw` +
// `graph.json` (the store sequence it reflects) on Snapshot and Close, loaded when it
// matches the store and passes a consistency check, and otherwise rebuilt from the store
// (missing, stale after a crash, or corrupt). A graph operation that fails is survived: the
// record is already durable, and the graph is rebuilt. Reopening reads ids and payloads,
// maps the column and loads the links: no vector is read until a search needs it.
//
// Search filters are evaluated inside the HNSW search (hnswlib's filter functor); when the
// graph still returns fewer than k hits although k matching items exist, an exact scan of
// the matching items answers instead, so a filtered search never under-returns. A very
// selective filter skips the graph altogether: candidates from posting lists
// (postings.h) are scored exactly when they are at most 1/20 of the items; the exact
// answer is faster and complete.
//
// Three parts behind this class: the side store (side_store.h, the truth and its files),
// the graph (hnsw_graph.h, the only code that sees hnswlib) and the postings (postings.h).
//
// Quantization (IndexSpec::quantization, declared at create): an int8 index builds and
// searches its graph on code rows (quantize.h) and reranks the best candidates with the
// float rows read from disk: kRerank per result asked (at least kMinRerank), so answers
// and scores are the float32 ones, in memory a quarter of the vectors' size.
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
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "vector/hnsw_graph.h"
#include "vector/payload_filter.h"
#include "vector/postings.h"
#include "vector/side_store.h"

namespace lakehouse {

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
  Quantization quantization = Quantization::kNone;

  Json ToJson() const;
  static Result<IndexSpec> FromJson(const Json& j);
  //! Range checks with messages naming the field.
  Status Validate() const;
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

  static constexpr size_t kPostingsMinItems = Postings::kMinItems;
  static constexpr size_t kPostingsMaxValues = Postings::kMaxValues;
  //! Old vector rows (replaced versions) a snapshot tolerates before dropping them: at
  //! least this many, and half the graph's slots.
  static constexpr uint64_t kMinOldRows = 1024;
  //! A quantized search reranks this many candidates per result asked, at least kMinRerank.
  static constexpr size_t kRerank = 4;
  static constexpr size_t kMinRerank = 40;

  //! False for a derived index whose owner rebuilds it from its own log at open (memory
  //! search): writes still reach the file, but without an fdatasync each.
  void set_sync_writes(bool sync) { sync_writes_ = sync; }

  const IndexSpec& spec() const { return spec_; }
  //! Inserts or replaces by id, durably, as one batch (one fsync): all or nothing. A
  //! cosine index refuses zero and denormal vectors (400), as Search refuses such a query.
  Status Upsert(std::vector<VectorItem> items);
  //! True when the id existed.
  Result<bool> Delete(const std::string& id);
  std::optional<VectorItem> Get(const std::string& id) const;
  size_t Count() const;
  //! Every live id, sorted (reconciliation with an owner's own log).
  std::vector<std::string> Ids() const;
  //! `payload_keys`: the hits' payloads hold only these keys (null: every key), for a
  //! caller that reads a field or two of many hits.
  Result<std::vector<SearchHit>> Search(
      const std::vector<float>& query, size_t k, size_t ef, const PayloadFilter& filter,
      SearchStats* stats = nullptr, const std::vector<std::string>* payload_keys = nullptr) const;
  //! Builds what filtered searches read lazily (the postings of every payload field), so a
  //! server that opened or rebuilt the index is ready for them (Postings::Warm).
  void Warm() const;
  //! Makes the column searches read resident (the codes of a quantized index, else the
  //! float rows) when it fits `budget` bytes (VectorColumn::Populate); answers the bytes.
  uint64_t Populate(uint64_t budget) const;
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
  //! {name, dims, metric, m, ef_construction, ef_search, model, quantization, count, seq,
  //! graph, graph_slots, graph_aligned, rows}
  Json Info() const;
  //! After the index's files are removed: Close no longer writes.
  void MarkDropped() { dropped_ = true; }
  //! How the graph came up at Open: "loaded", "rebuilt: <reason>", or "new".
  const std::string& graph_origin() const { return graph_origin_; }

 private:
  VectorIndex(std::string dir, IndexSpec spec, bool read_only);
  //! A new graph from every entry; `reason` empty for a new index.
  Status BuildGraph(const std::string& reason) LH_REQUIRES(mu_);
  Status SaveGraph() LH_REQUIRES(mu_);
  //! Before a snapshot, when old versions' rows are many: the column rewritten with the
  //! graph's rows only (VectorColumn::Rewrite), the graph and the store renumbered.
  Status DropOldRows() LH_REQUIRES(write_mu_) LH_EXCLUDES(mu_);
  float Score(float distance) const;
  Status RefuseWrite() const;
  Status CheckCosineNorm(const std::vector<float>& v, std::string_view what) const;
  //! Exact top-k among `labels` (all entries when null) that match `filter` (on a quantized
  //! index: the best by code, reranked).
  std::vector<std::pair<float, size_t>> ExactSearch(const std::vector<float>& prepared_query,
                                                    size_t k, const PayloadFilter& filter,
                                                    const std::vector<size_t>* labels) const
      LH_REQUIRES_SHARED(mu_);
  //! The first k of `found` (distance, label) by exact distance, of its best Rerank(k).
  void Rerank(const std::vector<float>& prepared_query, size_t k,
              std::vector<std::pair<float, size_t>>* found) const LH_REQUIRES_SHARED(mu_);
  size_t RerankCount(size_t k) const { return std::max(k * kRerank, kMinRerank); }

  std::string dir_;
  IndexSpec spec_;
  bool read_only_ = false;
  // One writer at a time (Upsert, Delete, Snapshot, Close), taken before mu_. A snapshot holds
  // it with mu_ only shared: writes wait for the snapshot, searches do not.
  Mutex write_mu_;
  mutable SharedMutex mu_;  // reads shared, writes exclusive
  SideStore store_ LH_GUARDED_BY(mu_);
  HnswGraph graph_ LH_GUARDED_BY(mu_);
  Postings postings_;  // its own mutex; read under mu_ shared
  uint64_t graph_saved_seq_ LH_GUARDED_BY(mu_) = UINT64_MAX;
  std::string graph_origin_ = "new";
  std::atomic<bool> dropped_{false};
  bool sync_writes_ = true;
  std::mutex follow_mu_;  // one FollowLog at a time
};

}  // namespace lakehouse
