#include "vector/hnsw_graph.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <queue>
#include <thread>

#include <fmt/format.h>

#include "core/file_io.h"
#include "vector/float_kernels.h"
#include "vector/quantize.h"

namespace lakehouse {
namespace {

constexpr size_t kInitialCapacity = 1024;
constexpr int kGraphFormat = 2;  // 2: elements hold column rows (1: vectors inline)

// An element's data is its row (8 bytes); a query is this tag followed by a pointer to its
// floats (never copied into the graph: hnswlib copies data only when it adds an element).
constexpr uint64_t kQueryTag = ~uint64_t{0};
struct QueryRef {
  uint64_t tag = kQueryTag;
  const float* floats;
};

struct RowParams {
  const VectorColumn* column;  // float rows (mapped unless the graph is on codes)
  const VectorColumn* codes;   // int8 code rows (quantize.h), or null
  size_t dims;
  bool cosine;
  bool l2;
};

uint64_t ElementRow(const void* data) {
  uint64_t row;
  std::memcpy(&row, data, sizeof(row));  // element data is not 8-byte aligned
  return row;
}

inline const float* Resolve(const void* data, const VectorColumn* column) {
  const uint64_t row = ElementRow(data);
  if (row != kQueryTag) return reinterpret_cast<const float*>(column->Row(row));
  const float* floats;
  std::memcpy(&floats, static_cast<const char*>(data) + sizeof(row), sizeof(floats));
  return floats;
}

// The distance between two vectors in the row layout.
inline float Between(const RowParams& p, const float* x, const float* y) {
  if (p.l2) return L2SqrF32(x, y, p.dims);
  const float dot = DotF32(x, y, p.dims);
  // Each row's last float is 1/|v| (a prepared query's is 1: normalised).
  return 1.0f - (p.cosine ? dot * x[p.dims] * y[p.dims] : dot);
}

float RowDistance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const RowParams*>(param);
  return Between(*p, Resolve(a, p->column), Resolve(b, p->column));
}

// Distances on code rows, in hnswlib's terms as Between's: 1 - dot for cosine and dot
// (code rows of cosine vectors are normalised), squared L2 for l2. A query's code against a
// row, and one row against another (while building).
inline float CodeDist(const RowParams& p, const QueryCode& q, const char* row) {
  const float dot = Int8Dot(q, row, static_cast<int>(p.dims));
  return p.l2 ? q.norm2 - 2.0f * dot + Int8Norm2(row) : 1.0f - dot;
}
inline float CodeDist(const RowParams& p, const char* x, const char* y) {
  const float dot = Int8Dot(x, y, static_cast<int>(p.dims));
  return p.l2 ? Int8Norm2(x) + Int8Norm2(y) - 2.0f * dot : 1.0f - dot;
}

// hnswlib's distance for a graph on codes: only ever between two elements (searches run in
// Graph::searchKnn, which takes the query's code itself).
float CodeToCode(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const RowParams*>(param);
  return CodeDist(*p, p->codes->Row(ElementRow(a)), p->codes->Row(ElementRow(b)));
}

}  // namespace

struct HnswGraph::Space : hnswlib::SpaceInterface<float> {
  RowParams params{};
  size_t get_data_size() override { return sizeof(uint64_t); }
  hnswlib::DISTFUNC<float> get_dist_func() override {
    return params.codes != nullptr ? CodeToCode : RowDistance;
  }
  void* get_dist_func_param() override { return &params; }
};
// hnswlib's graph with its layer walks done here, for searches and for inserts. hnswlib's
// loops prefetch the next neighbour's element data, which is now its row number: the vector
// behind it was a second, dependent miss on every distance (search 0.57x of plain hnswlib at
// 50k; 60% of a build's profile was distances waiting on rows). These walk the layers the
// same way (greedy descent, then the best-first search of a layer with ef, deleted and
// filtered elements routed through but not kept), but expand a node in three passes: the
// unvisited neighbours, then their rows (independent loads) with a prefetch of each vector,
// then the distances, so the misses overlap instead of queueing. The same walk serves float
// rows and code rows (a Rows policy: which row, which distance, which query).
//
// Insert is hnswlib's addPoint for a new label (same steps, same locks, hnswlib's
// mutuallyConnectNewElement for the links); updates and the reuse of deleted slots stay
// hnswlib's own (Add routes them).
struct HnswGraph::Graph : hnswlib::HierarchicalNSW<float> {
  using hnswlib::HierarchicalNSW<float>::HierarchicalNSW;
  using Id = hnswlib::tableint;
  using Heap =
      std::priority_queue<std::pair<float, Id>, std::vector<std::pair<float, Id>>, CompareByFirst>;
  const VectorColumn* column = nullptr;  // float rows
  const VectorColumn* codes = nullptr;   // code rows: the graph is on them when set
  // Slot i names row i, for every slot (see HnswGraph::Add): a walk then has a neighbour's
  // row without reading its element, one dependent load fewer per distance. Elements hold
  // their rows all the same (the truth: Save, Rows and a load's checks read them). Written
  // only while no walk runs (Add before its threads and after, Build, TryLoad, RenumberRows).
  bool aligned = false;

  //! The column row a slot names.
  uint64_t RowOf(Id id) const { return aligned ? id : StoredRow(id); }
  uint64_t StoredRow(Id id) const { return ElementRow(getDataByInternalId(id)); }
  const RowParams& params() const { return *static_cast<const RowParams*>(dist_func_param_); }

  // A query against float rows: the first two lines are prefetched, the hardware's streamer
  // follows the rest of the 1.5 KB row.
  struct FloatRows {
    const Graph& g;
    const float* query;
    const char* Of(Id id) const { return g.column->Row(g.RowOf(id)); }
    static void Prefetch(const char* row) {
      __builtin_prefetch(row);
      __builtin_prefetch(row + 64);
    }
    float Dist(const char* row) const {
      return Between(g.params(), query, reinterpret_cast<const float*>(row));
    }
    //! The same rows, from element `id`'s vector.
    FloatRows Around(Id id) const { return {g, reinterpret_cast<const float*>(Of(id))}; }
  };
  // A query (a QueryCode, or an element's own code row) against code rows: a row is 6-7
  // lines, all prefetched.
  template <class Query>
  struct CodeRows {
    const Graph& g;
    Query query;
    size_t stride;
    const char* Of(Id id) const { return g.codes->Row(g.RowOf(id)); }
    void Prefetch(const char* row) const {
      for (size_t at = 0; at < stride; at += 64) __builtin_prefetch(row + at);
    }
    float Dist(const char* row) const { return CodeDist(g.params(), query, row); }
    //! The same rows, from element `id`'s code (a build's queries are elements).
    CodeRows<const char*> Around(Id id) const { return {g, Of(id), stride}; }
  };

  // Fills `rows` with the rows of `ids`, prefetched.
  template <class Rows>
  void Gather(const Rows& r, const Id* ids, size_t n, const char** rows) const {
    if (!aligned)
      for (size_t i = 0; i < n; ++i) __builtin_prefetch(getDataByInternalId(ids[i]));
    for (size_t i = 0; i < n; ++i) {
      rows[i] = r.Of(ids[i]);
      r.Prefetch(rows[i]);
    }
  }

  // Copies `node`'s neighbours at `level` into `out` (its lock held while reading when
  // `locked`: inserts run beside each other, searches alone) and answers how many.
  size_t Neighbours(Id node, int level, bool locked, Id* out) const {
    std::unique_lock<std::mutex> lock;  // hnswlib's locks are not mutable: locking isn't a write
    if (locked) lock = std::unique_lock(const_cast<std::mutex&>(link_list_locks_[node]));
    hnswlib::linklistsizeint* list = get_linklist_at_level(node, level);
    const size_t size = getListCount(list);
    std::memcpy(out, list + 1, size * sizeof(Id));
    return size;
  }
  size_t MaxDegree() const { return std::max(maxM0_, maxM_); }

  // Greedy descent from `current` through the layers above `to`: the closest element
  // reachable, and its distance.
  template <class Rows>
  void Descend(const Rows& r, Id& current, float& dist, int from, int to, bool locked) const {
    std::vector<Id> ids(MaxDegree());
    std::vector<const char*> rows(ids.size());
    for (int level = from; level > to; --level) {
      for (bool changed = true; changed;) {
        const size_t n = Neighbours(current, level, locked, ids.data());
        Gather(r, ids.data(), n, rows.data());
        const Id before = current;
        for (size_t i = 0; i < n; ++i) {
          const float d = r.Dist(rows[i]);
          if (d < dist) {
            dist = d;
            current = ids[i];
          }
        }
        changed = current != before;
      }
    }
  }

  // Best-first search of `level` from `entry` with ef candidates: the ef closest elements
  // `admitted` takes (worst on top); the others are routed through but not kept.
  template <class Rows, class Admit>
  Heap Layer(const Rows& r, Id entry, float entry_dist, int level, size_t ef, const Admit& admitted,
             bool locked) const {
    std::vector<Id> ids(MaxDegree());
    std::vector<const char*> rows(ids.size());
    hnswlib::VisitedList* visited = visited_list_pool_->getFreeVisitedList();
    hnswlib::vl_type* seen = visited->mass;
    const hnswlib::vl_type tag = visited->curV;
    Heap top, candidates;  // top: the ef best admitted (worst on top); candidates: by -dist
    float bound = std::numeric_limits<float>::max();
    if (admitted(entry)) {
      top.emplace(entry_dist, entry);
      bound = entry_dist;
    }
    candidates.emplace(-entry_dist, entry);
    seen[entry] = tag;
    while (!candidates.empty()) {
      const auto [negative, node] = candidates.top();
      if (-negative > bound && top.size() == ef) break;
      candidates.pop();
      // The next node to expand is likely the best left now (or one this expansion finds,
      // prefetched below): its list arrives while these distances are computed.
      if (!candidates.empty())
        __builtin_prefetch(get_linklist_at_level(candidates.top().second, level));
      size_t n = 0;
      const size_t size = Neighbours(node, level, locked, ids.data());
      for (size_t j = 0; j < size; ++j) {
        if (seen[ids[j]] == tag) continue;
        seen[ids[j]] = tag;
        ids[n++] = ids[j];
      }
      Gather(r, ids.data(), n, rows.data());
      for (size_t i = 0; i < n; ++i) {
        const float d = r.Dist(rows[i]);
        if (top.size() < ef || d < bound) {
          candidates.emplace(-d, ids[i]);
          if (candidates.top().second == ids[i])
            __builtin_prefetch(get_linklist_at_level(ids[i], level));
          if (admitted(ids[i])) top.emplace(d, ids[i]);
          while (top.size() > ef) top.pop();
          if (!top.empty()) bound = top.top().first;
        }
      }
    }
    visited_list_pool_->releaseVisitedList(visited);
    return top;
  }

  std::priority_queue<std::pair<float, hnswlib::labeltype>> searchKnn(
      const void* query_data, size_t k, hnswlib::BaseFilterFunctor* filter) const override {
    const float* query;  // a QueryRef: the tag, then the floats
    std::memcpy(&query, static_cast<const char*>(query_data) + sizeof(uint64_t), sizeof(query));
    if (codes == nullptr) return Knn(FloatRows{*this, query}, k, filter);
    const QueryCode code = EncodeQuery(query, static_cast<int>(params().dims));
    return Knn(CodeRows<const QueryCode&>{*this, code, codes->stride()}, k, filter);
  }

  template <class Rows>
  std::priority_queue<std::pair<float, hnswlib::labeltype>> Knn(
      const Rows& r, size_t k, hnswlib::BaseFilterFunctor* filter) const {
    std::priority_queue<std::pair<float, hnswlib::labeltype>> result;
    if (cur_element_count == 0) return result;
    Id current = enterpoint_node_;
    float dist = r.Dist(r.Of(current));
    Descend(r, current, dist, maxlevel_, 0, /*locked=*/false);
    auto admitted = [&](Id id) {
      return !isMarkedDeleted(id) && (filter == nullptr || (*filter)(getExternalLabel(id)));
    };
    Heap top = Layer(r, current, dist, 0, std::max(ef_, k), admitted, /*locked=*/false);
    while (top.size() > k) top.pop();
    for (; !top.empty(); top.pop())
      result.emplace(top.top().first, getExternalLabel(top.top().second));
    return result;
  }

  //! Whether each of `order` either is in the graph at its row already or is a new label
  //! whose row is one of the next slots, the new ones' rows filling those slots exactly (in
  //! any order; labels are distinct in every caller's order). If so, the slots are counted
  //! in, for Insert(at_row) to fill.
  bool ClaimRowSlots(const std::vector<const StoreEntry*>& order) {
    const size_t base = cur_element_count;
    std::vector<char> claimed(order.size(), 0);
    size_t fresh = 0, end = base;
    for (const StoreEntry* e : order) {
      auto found = label_lookup_.find(e->label);
      if (found != label_lookup_.end()) {
        if (StoredRow(found->second) != e->row || isMarkedDeleted(found->second)) return false;
        continue;
      }
      if (e->row < base || e->row - base >= order.size() || claimed[e->row - base]) return false;
      claimed[e->row - base] = 1;
      ++fresh;
      end = std::max<size_t>(end, e->row + 1);
    }
    if (end != base + fresh || end > max_elements_) return false;
    cur_element_count = end;
    return true;
  }

  //! Adds an element for `label` naming `row`: hnswlib's addPoint(data, label, -1) with the
  //! walks above. False (nothing done) when the graph has the label already. `at_row`: the
  //! element takes slot `row`, which Add counted in already (the graph stays aligned).
  bool Insert(uint64_t row, hnswlib::labeltype label, bool at_row) {
    std::unique_lock label_lock(getLabelOpMutex(label));
    Id cur;
    {
      std::unique_lock table(label_lookup_lock);
      if (label_lookup_.count(label) > 0) return false;
      if ((at_row ? row : cur_element_count.load()) >= max_elements_)
        throw std::runtime_error("The number of elements exceeds the specified limit");
      cur = static_cast<Id>(at_row ? row : cur_element_count++);
      label_lookup_[label] = cur;
    }
    std::unique_lock element_lock(link_list_locks_[cur]);
    const int level = getRandomLevel(mult_);
    element_levels_[cur] = level;
    std::unique_lock top_lock(global);  // kept while this element raises the top level
    const int max_level = maxlevel_;
    if (level <= max_level) top_lock.unlock();
    const Id entry = enterpoint_node_;
    std::memset(data_level0_memory_ + cur * size_data_per_element_ + offsetLevel0_, 0,
                size_data_per_element_);
    std::memcpy(getExternalLabeLp(cur), &label, sizeof(label));
    std::memcpy(getDataByInternalId(cur), &row, sizeof(row));
    if (level > 0) {
      const size_t bytes = size_links_per_element_ * static_cast<size_t>(level) + 1;
      linkLists_[cur] = static_cast<char*>(std::malloc(bytes));
      if (linkLists_[cur] == nullptr) throw std::runtime_error("out of memory for link lists");
      std::memset(linkLists_[cur], 0, bytes);
    }
    if (static_cast<int>(entry) != -1) {
      if (codes == nullptr) {
        Connect(FloatRows{*this, reinterpret_cast<const float*>(column->Row(row))}, cur, level,
                max_level, entry);
      } else {
        Connect(CodeRows<const char*>{*this, codes->Row(row), codes->stride()}, cur, level,
                max_level, entry);
      }
    }
    if (level > max_level) {
      enterpoint_node_ = cur;
      maxlevel_ = level;
    }
    return true;
  }

  // Links `cur` (at `level`) into every layer from min(level, max_level) down to 0.
  template <class Rows>
  void Connect(const Rows& r, Id cur, int level, int max_level, Id entry) {
    Id current = entry;
    float dist = r.Dist(r.Of(current));
    if (level < max_level) Descend(r, current, dist, max_level, level, /*locked=*/true);
    const bool entry_deleted = isMarkedDeleted(entry);
    auto live = [&](Id id) { return !isMarkedDeleted(id); };
    for (int l = std::min(level, max_level); l >= 0; --l) {
      Heap top = Layer(r, current, dist, l, ef_construction_, live, /*locked=*/true);
      if (entry_deleted) {
        top.emplace(r.Dist(r.Of(entry)), entry);
        if (top.size() > ef_construction_) top.pop();
      }
      current = Link(r, cur, top, l);
      if (l > 0) dist = r.Dist(r.Of(current));
    }
  }

  // hnswlib's mutuallyConnectNewElement for a new element: `cur` links to the heuristic's
  // choice of `top`, and each chosen one links back, choosing again among its links and
  // `cur` when its list is full (its links' rows gathered and prefetched first: they are
  // scattered, and were a dependent miss each). Answers the closest chosen, where the next
  // layer down starts. `cur`'s own lock is held by Insert.
  template <class Rows>
  Id Link(const Rows& r, Id cur, Heap& top, int level) {
    const size_t max_links = level > 0 ? maxM_ : maxM0_;
    getNeighborsByHeuristic2(top, M_);
    std::vector<Id> chosen;
    for (; !top.empty(); top.pop()) chosen.push_back(top.top().second);
    if (chosen.empty()) throw std::runtime_error("no live element to link to");
    hnswlib::linklistsizeint* own = get_linklist_at_level(cur, level);
    setListCount(own, static_cast<unsigned short>(chosen.size()));
    std::memcpy(own + 1, chosen.data(), chosen.size() * sizeof(Id));
    std::vector<const char*> rows(max_links);
    for (const Id other : chosen) {
      if (level > element_levels_[other])
        throw std::runtime_error("a link to a level the element does not have");
      std::unique_lock lock(link_list_locks_[other]);
      hnswlib::linklistsizeint* list = get_linklist_at_level(other, level);
      const size_t size = getListCount(list);
      auto* links = reinterpret_cast<Id*>(list + 1);
      if (size < max_links) {
        links[size] = cur;
        setListCount(list, static_cast<unsigned short>(size + 1));
        continue;
      }
      const auto around = r.Around(other);
      Gather(around, links, size, rows.data());
      Heap candidates;
      candidates.emplace(around.Dist(r.Of(cur)), cur);
      for (size_t j = 0; j < size; ++j) candidates.emplace(around.Dist(rows[j]), links[j]);
      getNeighborsByHeuristic2(candidates, max_links);
      size_t n = 0;
      for (; !candidates.empty(); candidates.pop()) links[n++] = candidates.top().second;
      setListCount(list, static_cast<unsigned short>(n));
    }
    return chosen.back();
  }
};

HnswGraph::HnswGraph(int dims, Metric metric, int m, int ef_construction,
                     const VectorColumn* column, const VectorColumn* codes)
    : dims_(dims),
      metric_(metric),
      m_(m),
      ef_construction_(ef_construction),
      column_(column),
      codes_(codes),
      space_(std::make_unique<Space>()) {
  space_->params = RowParams{column, codes, static_cast<size_t>(dims), metric == Metric::kCosine,
                             metric == Metric::kL2};
}

HnswGraph::~HnswGraph() = default;

std::vector<float> HnswGraph::Prepared(const std::vector<float>& v) const {
  std::vector<float> out(v);
  if (metric_ == Metric::kCosine) {
    const double norm = SumOfSquares(v.data(), v.size());
    if (norm > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : out) x *= inv;
    }
  }
  out.push_back(1.0f);
  return out;
}

float HnswGraph::Distance(const std::vector<float>& prepared, uint64_t row) const {
  if (column_->mapped()) {
    return Between(space_->params, prepared.data(),
                   reinterpret_cast<const float*>(column_->Row(row)));
  }
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(dims_) + 1);
  if (!column_->Read(row, buffer.data()).ok()) return std::numeric_limits<float>::max();
  return Between(space_->params, prepared.data(), buffer.data());
}

void HnswGraph::Distances(const std::vector<float>& prepared, const std::vector<uint64_t>& rows,
                          float* out) const {
  if (column_->mapped()) {
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i] != kNoRow) out[i] = Distance(prepared, rows[i]);
    return;
  }
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(dims_) + 1);
  std::vector<size_t> waiting;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] == kNoRow) continue;
    if (column_->ReadCached(rows[i], buffer.data())) {
      out[i] = Between(space_->params, prepared.data(), buffer.data());
    } else {
      column_->WillNeed(rows[i]);
      waiting.push_back(i);
    }
  }
  for (size_t i : waiting) out[i] = Distance(prepared, rows[i]);
}

float HnswGraph::CodeDistance(const QueryCode& query, uint64_t row) const {
  return CodeDist(space_->params, query, codes_->Row(row));
}

std::vector<uint64_t> HnswGraph::Rows() const {
  std::vector<uint64_t> rows(slots());
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i] = graph_->StoredRow(static_cast<hnswlib::tableint>(i));
  return rows;
}

void HnswGraph::RenumberRows() {
  for (size_t i = 0; i < slots(); ++i) {
    const uint64_t row = i;
    std::memcpy(graph_->getDataByInternalId(static_cast<hnswlib::tableint>(i)), &row, sizeof(row));
  }
  if (graph_) graph_->aligned = true;
}

bool HnswGraph::aligned() const {
  return graph_ != nullptr && graph_->aligned;
}

size_t HnswGraph::slots() const {
  return graph_ ? graph_->getCurrentElementCount() : 0;
}

Status HnswGraph::Add(const std::vector<const StoreEntry*>& order) {
  try {
    const size_t needed = graph_->getCurrentElementCount() + order.size();
    if (needed > graph_->getMaxElements())
      graph_->resizeIndex(std::max({kInitialCapacity, graph_->getMaxElements() * 2, needed}));
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("graph resize failed: ") + ex.what());
  }
  // Inserts are thread-safe across labels: use every core for large batches. A new label
  // goes in by Insert unless a deleted slot waits to be reused (no Forget runs beside Add,
  // so once none waits, none will); the rest is hnswlib's addPoint.
  bool reuse_slots;
  {
    std::lock_guard lock(graph_->deleted_elements_lock);
    reuse_slots = !graph_->deleted_elements.empty();
  }
  // An aligned graph stays so when every new label's row is one of the next slots (rows are
  // appended: a streamed build's batches, a new worker) and no label moves to another row:
  // each new label then takes its row's slot. Anything else ends the alignment (until
  // RenumberRows), and so does an insert that finds its label there after all.
  const bool at_rows = graph_->aligned && !reuse_slots && graph_->ClaimRowSlots(order);
  graph_->aligned = at_rows;
  std::atomic<bool> misaligned{false};
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto worker = [&] {
    for (size_t i = next++; i < order.size() && !failed; i = next++) {
      try {
        const uint64_t row = order[i]->row;
        const size_t label = order[i]->label;
        // A label the graph has is updated in place; a new one may take a deleted slot
        // (hnswlib's replace_deleted would give an existing label a second slot instead).
        // An element naming this row already keeps its links: a row is only ever named
        // again for the same vector (SideStore::Upsert), and hnswlib's update would spend
        // an insert's distances relinking it to the neighbours it has.
        bool known, unchanged = false;
        {
          std::lock_guard lookup(graph_->label_lookup_lock);
          auto found = graph_->label_lookup_.find(label);
          known = found != graph_->label_lookup_.end();
          unchanged = known && graph_->RowOf(found->second) == row &&
                      !graph_->isMarkedDeleted(found->second);
        }
        if (unchanged) continue;
        if (known || reuse_slots || !graph_->Insert(row, label, at_rows)) {
          misaligned = true;
          graph_->addPoint(&row, label, /*replace_deleted=*/!known);
        }
      } catch (const std::exception& ex) {
        std::lock_guard lock(error_mu);
        error = std::string("graph add failed: ") + ex.what();
        failed = true;
      }
    }
  };
  const unsigned n_threads =
      order.size() < 1000 ? 1 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failed) {
    graph_->aligned = false;  // slots counted in may be empty: the caller builds it again
    return Status::Internal(error);
  }
  graph_->aligned = at_rows && !misaligned;
  return Status::OK();
}

Status HnswGraph::Build(const std::vector<const StoreEntry*>& order) {
  try {
    graph_ = std::make_unique<Graph>(space_.get(),
                                     std::max(kInitialCapacity, order.size() + order.size() / 4),
                                     m_, ef_construction_, /*random_seed=*/100,
                                     /*allow_replace_deleted=*/true);
  } catch (const std::exception& ex) {
    graph_.reset();
    return Status::Internal(std::string("cannot allocate the graph: ") + ex.what());
  }
  graph_->column = column_;
  graph_->codes = codes_;
  graph_->aligned = true;  // no slot yet
  if (Status st = Add(order); !st.ok())
    return Status::Internal("graph rebuild failed: " + st.message());
  graph_->setEf(1);  // see Search: ef is chosen per query
  return Status::OK();
}

Status HnswGraph::TryLoad(const std::string& dir, const SideStore& store, std::string* why_not) {
  std::ifstream meta_in(dir + "/graph.json");
  if (!meta_in) {
    *why_not = "no saved graph";
    return Status::NotFound(*why_not);
  }
  Json meta;
  try {
    meta_in >> meta;
  } catch (const Json::exception&) {
    *why_not = "graph.json is unreadable";
    return Status::Corruption(*why_not);
  }
  if (meta.value("format", 1) != kGraphFormat) {
    *why_not = "graph was saved by an older version (vectors inline)";
    return Status::Corruption(*why_not);
  }
  if (meta.value("seq", uint64_t{0}) != store.seq() ||
      meta.value("count", size_t{0}) != store.size()) {
    *why_not = fmt::format("graph is stale (graph seq {}, store seq {})",
                           meta.value("seq", uint64_t{0}), store.seq());
    return Status::Corruption(*why_not);
  }
  try {
    auto g = std::make_unique<Graph>(space_.get(), dir + "/graph.hnsw", false,
                                     std::max(kInitialCapacity, store.size()),
                                     /*allow_replace_deleted=*/true);
    // Consistency: every live item in the graph at the row the store names, and every slot's
    // row readable in the column (searches pass through deleted slots too).
    if (g->getCurrentElementCount() - g->getDeletedCount() != store.size())
      throw std::runtime_error("count mismatch");
    if (g->size_data_per_element_ != g->size_links_level0_ + sizeof(uint64_t) + sizeof(size_t))
      throw std::runtime_error("element size mismatch");
    const uint64_t readable = (codes_ != nullptr ? codes_ : column_)->readable_rows();
    bool aligned = true;
    for (size_t i = 0; i < g->getCurrentElementCount(); ++i) {
      const uint64_t row = g->StoredRow(static_cast<hnswlib::tableint>(i));
      if (row >= readable) throw std::runtime_error(fmt::format("row {} is past the column", row));
      aligned = aligned && row == i;
    }
    for (const auto& [label, e] : store.entries()) {
      auto found = g->label_lookup_.find(label);
      const uint64_t row =
          found != g->label_lookup_.end() ? g->StoredRow(found->second) : ~uint64_t{0};
      if (row != e.row || (found != g->label_lookup_.end() && g->isMarkedDeleted(found->second)))
        throw std::runtime_error("row mismatch for id " + e.id);
    }
    g->setEf(1);
    g->column = column_;
    g->codes = codes_;
    g->aligned = aligned;
    graph_ = std::move(g);
    return Status::OK();
  } catch (const std::exception& ex) {
    *why_not = std::string("saved graph rejected: ") + ex.what();
    return Status::Corruption(*why_not);
  }
}

Status HnswGraph::Save(const std::string& dir, uint64_t seq, size_t count) const {
  const std::string tmp = dir + "/graph.hnsw.tmp";
  try {
    graph_->saveIndex(tmp);
  } catch (const std::exception& ex) {
    return Status::IOError(std::string("save graph: ") + ex.what());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir + "/graph.hnsw", ec);
  if (ec) return Status::IOError("save graph: " + ec.message());
  Json meta = {{"format", kGraphFormat}, {"seq", seq}, {"count", count}};
  return WriteFileAtomically(dir + "/graph.json", meta.dump() + "\n");
}

Status HnswGraph::Forget(size_t label) {
  try {
    graph_->markDelete(label);
    return Status::OK();
  } catch (const std::exception& ex) {
    return Status::NotFound(ex.what());
  }
}

namespace {

// hnswlib's filter functor over our LabelFilter.
class Admit final : public hnswlib::BaseFilterFunctor {
 public:
  explicit Admit(const LabelFilter& f) : f_(f) {}
  bool operator()(hnswlib::labeltype label) override { return f_.Admit(label); }

 private:
  const LabelFilter& f_;
};

}  // namespace

Result<std::vector<std::pair<float, size_t>>> HnswGraph::Search(const std::vector<float>& prepared,
                                                                size_t n,
                                                                const LabelFilter* filter) const {
  try {
    std::optional<Admit> admit;
    if (filter != nullptr) admit.emplace(*filter);
    // Per-query ef without mutating shared state: the graph's own ef is 1, and hnswlib
    // searches with max(ef, n).
    const QueryRef q{kQueryTag, prepared.data()};
    auto results = graph_->searchKnnCloserFirst(&q, n, admit ? &*admit : nullptr);
    std::vector<std::pair<float, size_t>> out;
    out.reserve(results.size());
    for (const auto& [d, label] : results) out.emplace_back(d, static_cast<size_t>(label));
    return out;
  } catch (const std::exception& ex) {
    return Status::Internal(ex.what());
  }
}

}  // namespace lakehouse
