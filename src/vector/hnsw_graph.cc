#include "vector/hnsw_graph.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/file_io.h"

namespace lakehouse {
namespace {

constexpr size_t kInitialCapacity = 1024;

}  // namespace

struct HnswGraph::Space {
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
};
struct HnswGraph::Graph : hnswlib::HierarchicalNSW<float> {
  using hnswlib::HierarchicalNSW<float>::HierarchicalNSW;
};

HnswGraph::HnswGraph(int dims, Metric metric, int m, int ef_construction)
    : dims_(dims),
      metric_(metric),
      m_(m),
      ef_construction_(ef_construction),
      space_(std::make_unique<Space>()) {
  if (metric == Metric::kL2) {
    space_->space = std::make_unique<hnswlib::L2Space>(static_cast<size_t>(dims));
  } else {
    space_->space = std::make_unique<hnswlib::InnerProductSpace>(static_cast<size_t>(dims));
  }
}

HnswGraph::~HnswGraph() = default;

std::vector<float> HnswGraph::Prepared(const std::vector<float>& v) const {
  if (metric_ != Metric::kCosine) return v;
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  std::vector<float> out(v);
  if (norm > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : out) x *= inv;
  }
  return out;
}

float HnswGraph::Distance(const std::vector<float>& prepared, const std::vector<float>& raw) const {
  return space_->space->get_dist_func()(prepared.data(), raw.data(),
                                        space_->space->get_dist_func_param());
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
  // hnswlib's addPoint is thread-safe across labels: use every core for large batches.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto worker = [&] {
    for (size_t i = next++; i < order.size() && !failed; i = next++) {
      try {
        const auto v = Prepared(order[i]->item.vector);
        graph_->addPoint(v.data(), order[i]->label, /*replace_deleted=*/true);
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
  if (failed) return Status::Internal(error);
  return Status::OK();
}

Status HnswGraph::Build(const std::vector<const StoreEntry*>& order) {
  try {
    graph_ = std::make_unique<Graph>(space_->space.get(),
                                     std::max(kInitialCapacity, order.size() + order.size() / 4),
                                     m_, ef_construction_, /*random_seed=*/100,
                                     /*allow_replace_deleted=*/true);
  } catch (const std::exception& ex) {
    graph_.reset();
    return Status::Internal(std::string("cannot allocate the graph: ") + ex.what());
  }
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
  if (meta.value("seq", uint64_t{0}) != store.seq() ||
      meta.value("count", size_t{0}) != store.size()) {
    *why_not = fmt::format("graph is stale (graph seq {}, store seq {})",
                           meta.value("seq", uint64_t{0}), store.seq());
    return Status::Corruption(*why_not);
  }
  try {
    auto g = std::make_unique<Graph>(space_->space.get(), dir + "/graph.hnsw", false,
                                     std::max(kInitialCapacity, store.size()),
                                     /*allow_replace_deleted=*/true);
    // Consistency: every live item must be in the graph with its vector.
    if (g->getCurrentElementCount() - g->getDeletedCount() != store.size())
      throw std::runtime_error("count mismatch");
    for (const auto& [label, e] : store.entries()) {
      auto data = g->getDataByLabel<float>(label);
      const auto want = Prepared(e.item.vector);
      if (data.size() != want.size() ||
          std::memcmp(data.data(), want.data(), want.size() * sizeof(float)) != 0) {
        throw std::runtime_error("vector mismatch for id " + e.item.id);
      }
    }
    g->setEf(1);
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
  Json meta = {{"seq", seq}, {"count", count}};
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
    auto results = graph_->searchKnnCloserFirst(prepared.data(), n, admit ? &*admit : nullptr);
    std::vector<std::pair<float, size_t>> out;
    out.reserve(results.size());
    for (const auto& [d, label] : results) out.emplace_back(d, static_cast<size_t>(label));
    return out;
  } catch (const std::exception& ex) {
    return Status::Internal(ex.what());
  }
}

}  // namespace lakehouse
