// src/vector/hnsw_graph.h: the HNSW graph over a side store's items (hnswlib 0.8).
//
// The graph is an index, never the truth: it is built from the side store (side_store.h),
// saved as `graph.hnsw` + `graph.json` (the store sequence it reflects), loaded only when
// that sequence matches and every live item's row is the one the store names, and rebuilt
// otherwise. hnswlib is included by hnsw_graph.cc alone; its exceptions become Status here.
//
// The graph holds no vectors: each element's data is the row of its vector in the column
// (vector_column.h), and the distance function reads the row there (a query is passed as
// a tagged pointer to its own floats). So every vector is in memory once, and a saved graph
// is links and row numbers only. Cosine rows keep 1/|v| after the vector: the distance is
// 1 - (q.v)/(|q||v|) without a normalised copy; a prepared query is normalised once.
// Distances are hnswlib's: 1 - dot for cosine and dot, squared L2 for l2.
//
// A quantized index's graph is built and searched on its int8 code rows (quantize.h) instead:
// Search's distances are then approximate (the caller reranks with Distances, which always
// reads the float rows), and the float rows are read only by Distance and Distances.
//
// Searches and inserts of new labels walk the layers with hnsw_graph.cc's own loop (rows
// gathered and prefetched a node's neighbours at a time: the row behind a slot would
// otherwise be a second dependent miss per distance); distances are float_kernels.h's.
// Updates of a label the graph has, and the reuse of deleted slots, are hnswlib's addPoint.
//
// Aligned slots: while slot i names row i for every slot, a walk takes a neighbour's row
// from its slot number instead of reading its element (one dependent load fewer per
// distance). A fresh build keeps it so (new labels take their rows' slots: rows are
// appended in step with the slots), and a compaction that drops old rows (RenumberRows)
// restores it; an update that moves a label to a new row, or a reused slot, ends it until
// then.
//
// Thread-safety: Search and Distance(s) may run concurrently with each other; Add may run
// concurrently with itself across labels (hnswlib's locks) but not with Search, Build,
// Load, Save or the column growing: VectorIndex's shared_mutex orders them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "vector/side_store.h"
#include "vector/vector_column.h"

namespace lakehouse {

struct QueryCode;

//! The hnswlib headers scripts/setup.sh pins (from hnswlib-node 3.0.0; they carry no version
//! macro of their own).
inline constexpr const char* kHnswlibVersion = "0.8.0";

enum class Metric { kCosine, kL2, kDot };

//! Which labels a filtered graph search may return.
class LabelFilter {
 public:
  virtual ~LabelFilter() = default;
  virtual bool Admit(size_t label) const = 0;
};

class HnswGraph {
 public:
  //! `column` holds the float rows the graph's elements name, `codes` (or null) the same
  //! rows' int8 codes, which the graph is then built and searched on; both outlive it.
  HnswGraph(int dims, Metric metric, int m, int ef_construction, const VectorColumn* column,
            const VectorColumn* codes);
  ~HnswGraph();

  //! A new graph holding every entry of `order`, inserted in that order.
  Status Build(const std::vector<const StoreEntry*>& order);
  //! Loads a saved graph from `dir` when it reflects `store` exactly; `why_not` says why not.
  Status TryLoad(const std::string& dir, const SideStore& store, std::string* why_not);
  //! Saves to `dir`/graph.hnsw (atomically) and graph.json {format, seq, count}.
  //! Reads the graph only: safe beside searches (not beside writes).
  Status Save(const std::string& dir, uint64_t seq, size_t count) const;
  //! Adds (or replaces) entries, growing the graph as needed; uses every core for large
  //! batches. An entry whose element names its row already is left as it is (the same
  //! row is the same vector: SideStore::Upsert).
  //! A failure leaves the graph to be built again (every caller does: new slots of an aligned
  //! graph may have been counted in and not filled).
  Status Add(const std::vector<const StoreEntry*>& entries);
  //! Marks a label deleted (its slot is reused by a later Add).
  Status Forget(size_t label);
  //! The nearest labels to a prepared query, closest first: at most `n`, searched with ef
  //! max(n, the graph's). `filter` may be null. On codes, the distances are approximate.
  Result<std::vector<std::pair<float, size_t>>> Search(const std::vector<float>& prepared, size_t n,
                                                       const LabelFilter* filter) const;

  //! A query as searches take it: normalised for cosine, then a 1 (the row layout).
  std::vector<float> Prepared(const std::vector<float>& v) const;
  //! The exact distance between a prepared query and the float vector in row `row` (read
  //! from disk when the float column is not mapped; the largest float if that read fails).
  float Distance(const std::vector<float>& prepared, uint64_t row) const;
  //! Distance for each of `rows` into `out` (kNoRow: left alone). From disk, the rows the
  //! page cache holds are read first and the others' reads all started before any is
  //! waited for, so they overlap: a rerank's 40 rows, cold, wait about one disk read
  //! instead of 40 in turn, and warm cost no more system calls than one read each.
  void Distances(const std::vector<float>& prepared, const std::vector<uint64_t>& rows,
                 float* out) const;
  static constexpr uint64_t kNoRow = UINT64_MAX;
  //! The approximate distance between a query's code and row `row`'s code (quantized only).
  float CodeDistance(const QueryCode& query, uint64_t row) const;
  bool on_codes() const { return codes_ != nullptr; }
  //! Slots in use, live and deleted (deleted ones are reusable).
  size_t slots() const;
  //! The column row of every slot, by slot (live and deleted: searches pass through
  //! deleted ones too, so their rows stay readable).
  std::vector<uint64_t> Rows() const;
  //! After the column was rewritten in Rows() order: slot i names row i.
  void RenumberRows();
  //! Whether slot i names row i for every slot (see the top of this file).
  bool aligned() const;
  bool built() const { return graph_ != nullptr; }

 private:
  struct Graph;
  struct Space;
  int dims_;
  Metric metric_;
  int m_, ef_construction_;
  const VectorColumn* column_;
  const VectorColumn* codes_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<Graph> graph_;
};

}  // namespace lakehouse
