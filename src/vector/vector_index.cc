#include "vector/vector_index.h"

#include <limits>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"

namespace lakehouse {
namespace fs = std::filesystem;

Result<Metric> ParseMetric(std::string_view name) {
  if (name == "cosine") return Metric::kCosine;
  if (name == "l2") return Metric::kL2;
  if (name == "dot") return Metric::kDot;
  return Status::InvalidArgument(fmt::format("metric '{}' is not one of cosine, l2, dot", name));
}

std::string_view MetricName(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
    case Metric::kDot:
      return "dot";
  }
  return "cosine";
}

Status ValidateIndexName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  if (!ok) {
    return Status::InvalidArgument(fmt::format(
        "index name '{}' is invalid: use 1-63 of a-z, 0-9, '_' and '-', starting with a letter",
        name));
  }
  return Status::OK();
}

Json IndexSpec::ToJson() const {
  Json j = Json::object();
  j["schema"] = "vector_index.v1";
  j["name"] = name;
  j["dims"] = dims;
  j["metric"] = std::string(MetricName(metric));
  j["m"] = m;
  j["ef_construction"] = ef_construction;
  j["ef_search"] = ef_search;
  j["model"] = model;
  j["quantization"] = std::string(QuantizationName(quantization));
  return j;
}

Result<IndexSpec> IndexSpec::FromJson(const Json& j) {
  try {
    IndexSpec s;
    s.name = j.at("name").get<std::string>();
    s.dims = j.at("dims").get<int>();
    LH_ASSIGN_OR_RETURN(s.metric, ParseMetric(j.at("metric").get<std::string>()));
    s.m = j.at("m").get<int>();
    s.ef_construction = j.at("ef_construction").get<int>();
    s.ef_search = j.at("ef_search").get<int>();
    s.model = j.value("model", "");
    LH_ASSIGN_OR_RETURN(s.quantization, ParseQuantization(j.value("quantization", "none")));
    return s;
  } catch (const Json::exception& e) {
    return Status::Corruption(std::string("index metadata is malformed: ") + e.what());
  }
}

Status IndexSpec::Validate() const {
  LH_RETURN_IF_ERROR(ValidateIndexName(name));
  if (dims < 1 || dims > 8192) return Status::InvalidArgument("dims must be 1..8192");
  if (m < 2 || m > 128) return Status::InvalidArgument("m must be 2..128");
  if (ef_construction < 8 || ef_construction > 4096)
    return Status::InvalidArgument("ef_construction must be 8..4096");
  if (ef_search < 1 || ef_search > 10000)
    return Status::InvalidArgument("ef_search must be 1..10000");
  return Status::OK();
}

namespace {

// Keeps the n closest of (distance, label) pairs, closest first.
void KeepBest(size_t n, std::vector<std::pair<float, size_t>>* found) {
  n = std::min(n, found->size());
  std::partial_sort(found->begin(), found->begin() + static_cast<long>(n), found->end());
  found->resize(n);
}

// Admits only labels of live entries whose payload matches the filter.
class PayloadAdmit final : public LabelFilter {
 public:
  PayloadAdmit(const SideStore& store, const PayloadFilter& f)
      : store_(store), f_(f.Bind(store.payloads())) {}
  bool Admit(size_t label) const override {
    return store_.At(label) != nullptr && f_.Matches(label);
  }

 private:
  const SideStore& store_;
  const PayloadFilter::Bound f_;
};

}  // namespace

VectorIndex::VectorIndex(std::string dir, IndexSpec spec, bool read_only)
    : dir_(std::move(dir)),
      spec_(std::move(spec)),
      read_only_(read_only),
      store_(dir_, spec_.name, spec_.dims, spec_.metric == Metric::kCosine, spec_.quantization,
             read_only),
      graph_(spec_.dims, spec_.metric, spec_.m, spec_.ef_construction, &store_.column(),
             store_.codes()) {}

VectorIndex::~VectorIndex() {
  Status st = Close();
  if (!st.ok()) spdlog::warn("closing vector index {}: {}", spec_.name, st.ToString());
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(const std::string& dir,
                                                         const IndexSpec& spec) {
  LH_RETURN_IF_ERROR(spec.Validate());
  std::error_code ec;
  if (fs::exists(dir + "/index.json", ec)) {
    return Status::AlreadyExists(fmt::format("index '{}' already exists", spec.name));
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  LH_RETURN_IF_ERROR(WriteFileAtomically(dir + "/index.json", spec.ToJson().dump(2) + "\n"));
  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(dir, spec, false));
  WriterLock lock(index->mu_);  // uncontended: nobody else has the index yet
  LH_RETURN_IF_ERROR(index->BuildGraph(""));
  return index;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Open(const std::string& dir, bool read_only) {
  std::ifstream in(dir + "/index.json");
  if (!in) return Status::NotFound(fmt::format("no vector index in {}", dir));
  Json meta;
  try {
    in >> meta;
  } catch (const Json::exception& e) {
    return Status::Corruption(fmt::format("{}/index.json: {}", dir, e.what()));
  }
  LH_ASSIGN_OR_RETURN(IndexSpec spec, IndexSpec::FromJson(meta));
  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(dir, spec, read_only));
  WriterLock lock(index->mu_);  // uncontended: nobody else has the index yet
  LH_RETURN_IF_ERROR(index->store_.Load());
  std::string why_not;
  if (index->graph_.TryLoad(dir, index->store_, &why_not).ok()) {
    index->graph_origin_ = "loaded";
    index->graph_saved_seq_ = index->store_.seq();
  } else {
    spdlog::warn("vector index {}: rebuilding the graph from the side store ({})", spec.name,
                 why_not);
    LH_RETURN_IF_ERROR(index->BuildGraph(why_not));
  }
  if (index->store_.legacy()) {
    // Written before the vector column: the vectors are in the column now; a snapshot in
    // the new format (and the graph over rows) makes the next open a mapping.
    spdlog::info("vector index {}: converted to the vector column ({} items)", spec.name,
                 index->store_.size());
    LH_RETURN_IF_ERROR(index->store_.Compact());
    LH_RETURN_IF_ERROR(index->SaveGraph());
  }
  return index;
}

Status VectorIndex::BuildGraph(const std::string& reason) {
  LH_RETURN_IF_ERROR(graph_.Build(store_.InLabelOrder()));
  graph_origin_ = reason.empty() ? "new" : "rebuilt: " + reason;
  graph_saved_seq_ = UINT64_MAX;
  return Status::OK();
}

Result<bool> VectorIndex::FollowLog() {
  if (!read_only_) return Status::Internal("FollowLog on an index this process writes");
  std::lock_guard follow(follow_mu_);
  std::string bytes;
  {
    // Only this function moves the followed offset (under follow_mu_); searches go on.
    ReaderLock lock(mu_);
    LH_ASSIGN_OR_RETURN(bool continues, store_.ReadAppended(&bytes));
    if (!continues) return false;
  }
  if (bytes.empty()) return true;
  WriterLock lock(mu_);
  std::vector<size_t> added;    // labels whose vector the graph must take
  std::vector<size_t> removed;  // labels the graph must forget
  LH_RETURN_IF_ERROR(store_.ApplyAppended(bytes, &added, &removed));
  // A label not in the graph, or already deleted there, has nothing to forget.
  for (size_t label : removed) (void)graph_.Forget(label);
  std::sort(added.begin(), added.end());
  added.erase(std::unique(added.begin(), added.end()), added.end());
  std::vector<const StoreEntry*> touched;
  for (size_t label : added)
    if (const StoreEntry* e = store_.At(label)) touched.push_back(e);
  if (!graph_.Add(touched).ok()) return false;  // reopen rebuilds the graph from the store
  return true;
}

Status VectorIndex::RefuseWrite() const {
  return Status::Conflict(fmt::format(
      "index '{}' is read-only in this process: another service owns it (split-service mode; "
      "write through the service that owns it)",
      spec_.name));
}

float VectorIndex::Score(float distance) const {
  if (spec_.metric == Metric::kL2) return -std::sqrt(std::max(distance, 0.0f));
  return 1.0f - distance;  // inner-product space distance is 1 - dot
}

// Cosine similarity divides by the vector's length: a zero vector has none, and a
// denormal one (|v|^2 below the smallest normal float) makes the division overflow, so
// either would score null. Refused with 400 instead.
Status VectorIndex::CheckCosineNorm(const std::vector<float>& v, std::string_view what) const {
  if (spec_.metric != Metric::kCosine) return Status::OK();
  const double norm2 = SumOfSquares(v.data(), v.size());
  if (norm2 >= static_cast<double>(std::numeric_limits<float>::min())) return Status::OK();
  return Status::InvalidArgument(
      fmt::format("{} is a zero (or denormal) vector: index '{}' uses the cosine metric, which "
                  "is undefined for it",
                  what, spec_.name));
}

Status VectorIndex::Upsert(std::vector<VectorItem> items) {
  for (const auto& it : items) {
    if (it.id.empty() || it.id.size() > 512)
      return Status::InvalidArgument("item id must be 1..512 bytes");
    if (static_cast<int>(it.vector.size()) != spec_.dims) {
      return Status::InvalidArgument(fmt::format("item '{}' has {} dimensions; index '{}' has {}",
                                                 it.id, it.vector.size(), spec_.name, spec_.dims));
    }
    for (float x : it.vector) {
      if (!std::isfinite(x))
        return Status::InvalidArgument(fmt::format("item '{}' has a NaN or infinite value", it.id));
    }
    LH_RETURN_IF_ERROR(CheckCosineNorm(it.vector, fmt::format("item '{}'", it.id)));
    if (!it.payload.is_object())
      return Status::InvalidArgument(fmt::format("item '{}': payload must be an object", it.id));
  }
  if (read_only_) return RefuseWrite();
  MutexLock writing(write_mu_);
  WriterLock lock(mu_);
  // Durable first, then memory, then the graph. A graph fault cannot lose the record:
  // rebuild from the store.
  LH_ASSIGN_OR_RETURN(auto touched, store_.Upsert(std::move(items), sync_writes_));
  if (Status st = graph_.Add(touched); !st.ok()) {
    spdlog::error("vector index {}: {}; rebuilding the graph", spec_.name, st.ToString());
    LH_RETURN_IF_ERROR(BuildGraph(st.message()));
  }
  return Status::OK();
}

Result<bool> VectorIndex::Delete(const std::string& id) {
  if (read_only_) return RefuseWrite();
  MutexLock writing(write_mu_);
  WriterLock lock(mu_);
  LH_ASSIGN_OR_RETURN(auto label, store_.Delete(id, sync_writes_));
  if (!label) return false;
  if (Status st = graph_.Forget(*label); !st.ok()) {
    spdlog::error("vector index {}: markDelete failed ({}); rebuilding the graph", spec_.name,
                  st.message());
    LH_RETURN_IF_ERROR(BuildGraph(st.message()));
  }
  return true;
}

std::optional<VectorItem> VectorIndex::Get(const std::string& id) const {
  ReaderLock lock(mu_);
  const StoreEntry* e = store_.Find(id);
  if (e == nullptr) return std::nullopt;
  return store_.Item(*e);
}

std::vector<std::string> VectorIndex::Ids() const {
  ReaderLock lock(mu_);
  return store_.Ids();
}

size_t VectorIndex::Count() const {
  ReaderLock lock(mu_);
  return store_.size();
}

std::vector<std::pair<float, size_t>> VectorIndex::ExactSearch(
    const std::vector<float>& q, size_t k, const PayloadFilter& filter,
    const std::vector<size_t>* labels) const {
  // The matching items first (cells only), then their distances in row order with the rows
  // a few ahead prefetched: a scan of thousands of scattered 1.5 KB rows is bound by memory.
  const auto bound = filter.Bind(store_.payloads());
  std::vector<std::pair<uint64_t, size_t>> matching;  // (row, label)
  if (labels != nullptr) {
    // Labels ascend but lie far apart: each one's row number is a miss of its own.
    constexpr size_t kRowOfAhead = 16;
    for (size_t i = 0; i < labels->size(); ++i) {
      if (i + kRowOfAhead < labels->size()) store_.PrefetchRowOf((*labels)[i + kRowOfAhead]);
      const size_t label = (*labels)[i];
      const uint64_t row = store_.RowOf(label);
      if (row != SideStore::kNoRow && bound.Matches(label)) matching.emplace_back(row, label);
    }
  } else {
    for (const auto& [label, e] : store_.entries())
      if (bound.Matches(label)) matching.emplace_back(e.row, label);
  }
  // Candidates ascend by label, and rows mostly follow labels (written in order): sorted
  // only when an upsert moved some.
  if (!std::is_sorted(matching.begin(), matching.end()))
    std::sort(matching.begin(), matching.end());
  constexpr size_t kAhead = 4;
  std::vector<std::pair<float, size_t>> exact;
  exact.reserve(matching.size());
  if (const VectorColumn* codes = store_.codes()) {
    // By code (a quarter of the bytes), then the best reranked on their float rows.
    const QueryCode code = EncodeQuery(q.data(), spec_.dims);
    for (size_t i = 0; i < matching.size(); ++i) {
      if (i + kAhead < matching.size()) codes->Prefetch(matching[i + kAhead].first);
      exact.emplace_back(graph_.CodeDistance(code, matching[i].first), matching[i].second);
    }
    Rerank(q, k, &exact);
    return exact;
  }
  for (size_t i = 0; i < matching.size(); ++i) {
    if (i + kAhead < matching.size()) store_.column().Prefetch(matching[i + kAhead].first);
    exact.emplace_back(graph_.Distance(q, matching[i].first), matching[i].second);
  }
  KeepBest(k, &exact);
  return exact;
}

void VectorIndex::Rerank(const std::vector<float>& q, size_t k,
                         std::vector<std::pair<float, size_t>>* found) const {
  KeepBest(RerankCount(k), found);
  std::vector<uint64_t> rows;
  std::vector<float> dist;
  rows.reserve(found->size());
  for (const auto& [d, label] : *found) {
    static_assert(SideStore::kNoRow == HnswGraph::kNoRow);
    rows.push_back(store_.RowOf(label));
    dist.push_back(d);
  }
  graph_.Distances(q, rows, dist.data());
  for (size_t i = 0; i < found->size(); ++i) (*found)[i].first = dist[i];
  KeepBest(k, found);
}

Result<std::vector<SearchHit>> VectorIndex::Search(
    const std::vector<float>& query, size_t k, size_t ef, const PayloadFilter& filter,
    SearchStats* stats, const std::vector<std::string>* payload_keys) const {
  if (static_cast<int>(query.size()) != spec_.dims) {
    return Status::InvalidArgument(fmt::format("query has {} dimensions; index '{}' has {}",
                                               query.size(), spec_.name, spec_.dims));
  }
  if (k == 0 || k > 10000) return Status::InvalidArgument("k must be 1..10000");
  for (float x : query)
    if (!std::isfinite(x)) return Status::InvalidArgument("the query has a NaN or infinite value");
  LH_RETURN_IF_ERROR(CheckCosineNorm(query, "the query"));
  ReaderLock lock(mu_);
  const auto q = graph_.Prepared(query);
  std::vector<std::pair<float, size_t>> found;  // (distance, label)
  const auto candidates = filter.empty() ? std::nullopt : postings_.Candidates(filter, store_);
  if (stats && candidates) stats->candidates = candidates->labels.size();
  if (candidates && candidates->labels.size() <= std::max(k, store_.size() / 20)) {
    // Selective: score the few candidates exactly instead of walking the graph; the
    // conditions their posting lists already satisfy are not checked again per payload.
    found = ExactSearch(q, k, filter.Without(candidates->exact_conditions), &candidates->labels);
    if (stats) stats->exact_fallback = true;
  } else {
    PayloadAdmit admit(store_, filter);
    // hnswlib searches with max(ef, n): asking for max(ef, k) results is a search at that
    // ef; the first k are kept.
    const size_t use_ef = std::max(ef == 0 ? static_cast<size_t>(spec_.ef_search) : ef, k);
    // On codes, the candidates to rerank as well (a wider search when ef is below them).
    const size_t n = graph_.on_codes() ? std::max(use_ef, RerankCount(k)) : use_ef;
    auto results = graph_.Search(q, n, filter.empty() ? nullptr : &admit);
    if (results.ok() && graph_.on_codes()) {
      found = std::move(*results);
      Rerank(q, k, &found);
    } else if (results.ok()) {
      for (size_t i = 0; i < results->size() && i < k; ++i) found.push_back((*results)[i]);
    } else {
      // Fall through to the exact scan: a graph fault must not fail the search.
      spdlog::error("vector index {}: search failed in the graph ({}); answering exactly",
                    spec_.name, results.status().message());
    }
    if (found.size() < std::min(k, store_.size())) {
      // The graph under-returned (a selective filter, or a fault): score the matching
      // items exactly. If fewer than k items match, all of them are returned.
      auto exact = candidates ? ExactSearch(q, k, filter.Without(candidates->exact_conditions),
                                            &candidates->labels)
                              : ExactSearch(q, k, filter, nullptr);
      if (exact.size() > found.size()) {
        found = std::move(exact);
        if (stats) stats->exact_fallback = true;
      }
    }
  }
  std::vector<SearchHit> hits;
  hits.reserve(found.size());
  for (const auto& [dist, label] : found) {
    const StoreEntry* e = store_.At(label);
    if (e == nullptr) continue;  // the graph and the store agree on live labels; be safe
    hits.push_back(SearchHit{e->id, Score(dist), store_.Payload(*e, payload_keys)});
  }
  return hits;
}

Status VectorIndex::SaveGraph() {
  if (read_only_) return Status::OK();  // the owner saves its graph
  LH_RETURN_IF_ERROR(graph_.Save(dir_, store_.seq(), store_.size()));
  graph_saved_seq_ = store_.seq();
  return Status::OK();
}

void VectorIndex::Warm() const {
  ReaderLock lock(mu_);
  postings_.Warm(store_);
}

uint64_t VectorIndex::Populate(uint64_t budget) const {
  ReaderLock lock(mu_);  // the mapping moves only under the write lock
  const VectorColumn* searched = store_.codes() != nullptr ? store_.codes() : &store_.column();
  return searched->Populate(budget);
}

Status VectorIndex::Snapshot() {
  if (read_only_) return RefuseWrite();
  // No write can start (write_mu_), so the store and the graph hold still; searches only read
  // them and go on meanwhile (shared mu_), instead of waiting for ~1 GB to be written.
  MutexLock writing(write_mu_);
  LH_RETURN_IF_ERROR(DropOldRows());
  uint64_t seq = 0;
  {
    ReaderLock lock(mu_);
    LH_RETURN_IF_ERROR(store_.Compact());
    LH_RETURN_IF_ERROR(graph_.Save(dir_, store_.seq(), store_.size()));
    seq = store_.seq();
  }
  WriterLock lock(mu_);
  graph_saved_seq_ = seq;
  return Status::OK();
}

Status VectorIndex::DropOldRows() {
  uint64_t slots = 0, rows = 0;
  {
    ReaderLock lock(mu_);
    slots = graph_.slots();
    rows = store_.rows();
  }
  if (rows - std::min(rows, slots) < std::max<uint64_t>(kMinOldRows, slots / 2))
    return Status::OK();
  // Rare (old versions as many as half the items): under the exclusive lock, as a write.
  WriterLock lock(mu_);
  const std::vector<uint64_t> kept = graph_.Rows();
  LH_RETURN_IF_ERROR(store_.KeepRows(kept));
  graph_.RenumberRows();
  graph_saved_seq_ = UINT64_MAX;  // its rows changed: saved by the snapshot that follows
  spdlog::info("vector index {}: dropped {} old vector rows ({} kept)", spec_.name, rows - slots,
               slots);
  return Status::OK();
}

Status VectorIndex::Close() {
  MutexLock writing(write_mu_);
  WriterLock lock(mu_);
  if (!graph_.built() || graph_saved_seq_ == store_.seq() || dropped_) return Status::OK();
  return SaveGraph();
}

Json VectorIndex::Info() const {
  ReaderLock lock(mu_);
  Json j = spec_.ToJson();
  j.erase("schema");
  j["count"] = store_.size();
  j["seq"] = store_.seq();
  j["graph"] = graph_origin_;
  j["graph_slots"] = graph_.slots();      // live + deleted, reusable
  j["graph_aligned"] = graph_.aligned();  // slot i names row i: walks skip a load
  j["rows"] = store_.rows();              // live items' and older versions' until a compaction
  return j;
}

}  // namespace lakehouse
