#include "vector/vector_index.h"

#include <hnswlib/hnswlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "vector/record_log.h"

namespace lakehouse {
namespace fs = std::filesystem;

namespace {

constexpr char kUpsert = 'U';
constexpr char kDelete = 'D';
constexpr size_t kInitialCapacity = 1024;

void PutU32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void PutU64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Bounds-checked reader over one record body.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool U32(uint32_t& v) { return Raw(&v, 4); }
  bool U64(uint64_t& v) { return Raw(&v, 8); }
  bool String(std::string& s) {
    uint32_t n;
    if (!U32(n) || n > b_.size() - pos_) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Floats(std::vector<float>& v, uint32_t n) {
    if (static_cast<uint64_t>(n) * 4 > b_.size() - pos_) return false;
    v.resize(n);
    return Raw(v.data(), n * 4ULL);
  }
  bool Char(char& c) { return Raw(&c, 1); }
  bool done() const { return pos_ == b_.size(); }

 private:
  bool Raw(void* dst, size_t n) {
    if (n > b_.size() - pos_) return false;
    std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
};

std::string StorePath(const std::string& dir, const char* name) {
  return dir + "/" + name;
}

}  // namespace

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

// Admits only labels of live entries whose payload matches the filter.
class VectorIndex::Filter final : public hnswlib::BaseFilterFunctor {
 public:
  Filter(const VectorIndex& index, const PayloadFilter& f) : index_(index), f_(f) {}
  bool operator()(hnswlib::labeltype label) override {
    const Entry* e = index_.EntryAt(label);
    return e != nullptr && f_.Matches(e->item.payload);
  }

 private:
  const VectorIndex& index_;
  const PayloadFilter& f_;
};

VectorIndex::VectorIndex(std::string dir, IndexSpec spec)
    : dir_(std::move(dir)), spec_(std::move(spec)) {
  if (spec_.metric == Metric::kL2) {
    space_ = std::make_unique<hnswlib::L2Space>(static_cast<size_t>(spec_.dims));
  } else {
    space_ = std::make_unique<hnswlib::InnerProductSpace>(static_cast<size_t>(spec_.dims));
  }
}

VectorIndex::~VectorIndex() {
  Status st = Close();
  if (!st.ok()) spdlog::warn("closing vector index {}: {}", spec_.name, st.ToString());
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(const std::string& dir,
                                                         const IndexSpec& spec) {
  LH_RETURN_IF_ERROR(spec.Validate());
  std::error_code ec;
  if (fs::exists(StorePath(dir, "index.json"), ec)) {
    return Status::AlreadyExists(fmt::format("index '{}' already exists", spec.name));
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  LH_RETURN_IF_ERROR(
      WriteFileAtomically(StorePath(dir, "index.json"), spec.ToJson().dump(2) + "\n"));
  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(dir, spec));
  LH_RETURN_IF_ERROR(index->BuildGraph(""));
  index->graph_origin_ = "new";
  return index;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Open(const std::string& dir, bool read_only) {
  std::ifstream in(StorePath(dir, "index.json"));
  if (!in) return Status::NotFound(fmt::format("no vector index in {}", dir));
  Json meta;
  try {
    in >> meta;
  } catch (const Json::exception& e) {
    return Status::Corruption(fmt::format("{}/index.json: {}", dir, e.what()));
  }
  LH_ASSIGN_OR_RETURN(IndexSpec spec, IndexSpec::FromJson(meta));
  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(dir, spec));
  index->read_only_ = read_only;
  LH_RETURN_IF_ERROR(index->LoadStore());
  std::string why_not;
  if (index->TryLoadGraph(&why_not).ok()) {
    index->graph_origin_ = "loaded";
  } else {
    spdlog::warn("vector index {}: rebuilding the graph from the side store ({})", spec.name,
                 why_not);
    LH_RETURN_IF_ERROR(index->BuildGraph(why_not));
  }
  return index;
}

std::string VectorIndex::EncodeUpsert(const Entry& e) const {
  std::string body;
  body += kUpsert;
  PutU64(body, e.item.version);
  PutString(body, e.item.id);
  PutU64(body, e.label);
  PutU32(body, static_cast<uint32_t>(e.item.vector.size()));
  body.append(reinterpret_cast<const char*>(e.item.vector.data()),
              e.item.vector.size() * sizeof(float));
  PutString(body, DumpJson(e.item.payload));
  return body;
}

VectorIndex::Entry& VectorIndex::PutEntry(size_t label, Entry e) {
  Entry& slot = entries_[label];
  slot = std::move(e);
  double norm2 = 0;
  for (float x : slot.item.vector) norm2 += static_cast<double>(x) * x;
  slot.norm2 = static_cast<float>(norm2);
  if (by_label_.size() <= label) by_label_.resize(label + 1, nullptr);
  by_label_[label] = &slot;  // unordered_map nodes never move
  return slot;
}

void VectorIndex::EraseEntry(size_t label) {
  entries_.erase(label);
  if (label < by_label_.size()) by_label_[label] = nullptr;
}

Status VectorIndex::ApplyRecord(std::string_view body, AppliedRecord* applied) {
  AppliedRecord ignored;
  if (applied == nullptr) applied = &ignored;
  Reader r(body);
  char type;
  uint64_t seq;
  std::string id;
  if (!r.Char(type) || !r.U64(seq) || !r.String(id))
    return Status::Corruption("short side-store record");
  if (type == kDelete) {
    if (auto it = id_to_label_.find(id); it != id_to_label_.end()) {
      applied->removed = it->second;
      EraseEntry(it->second);
      id_to_label_.erase(it);
    }
  } else if (type == kUpsert) {
    uint64_t label;
    uint32_t dims;
    Entry e;
    std::string payload;
    if (!r.U64(label) || !r.U32(dims) || !r.Floats(e.item.vector, dims) || !r.String(payload) ||
        !r.done()) {
      return Status::Corruption("malformed upsert record for id " + id);
    }
    auto parsed = ParseJson(payload);
    if (!parsed.ok()) return Status::Corruption("bad payload for id " + id);
    if (auto it = id_to_label_.find(id); it != id_to_label_.end() && it->second != label) {
      applied->removed = it->second;
      EraseEntry(it->second);
    }
    applied->added = label;
    e.item.id = id;
    e.item.payload = std::move(parsed).value();
    e.item.version = seq;
    e.label = label;
    id_to_label_[id] = label;
    PutEntry(label, std::move(e));
    next_label_ = std::max<size_t>(next_label_, label + 1);
  } else {
    return Status::Corruption(
        fmt::format("unknown side-store record type {}", static_cast<int>(type)));
  }
  seq_ = std::max(seq_, seq);
  return Status::OK();
}

Status VectorIndex::LoadStore() {
  auto apply = [this](std::string_view body) { return ApplyRecord(body); };
  LH_ASSIGN_OR_RETURN(auto snap, ReadRecords(StorePath(dir_, "store.snap"), apply));
  if (snap.torn_tail)
    return Status::Corruption(spec_.name + ": store.snap is damaged (it is written atomically)");
  if (read_only_) {
    struct stat file {};
    if (::stat(StorePath(dir_, "store.log").c_str(), &file) == 0) followed_log_inode_ = file.st_ino;
    LH_ASSIGN_OR_RETURN(auto log, ReadRecords(StorePath(dir_, "store.log"), apply));
    followed_log_bytes_ = log.valid_bytes;
    return Status::OK();
  }
  return RecoverRecords(StorePath(dir_, "store.log"), "vector index " + spec_.name, apply).status();
}

Result<bool> VectorIndex::FollowLog() {
  if (!read_only_) return Status::Internal("FollowLog on an index this process writes");
  std::lock_guard follow(follow_mu_);
  const std::string path = StorePath(dir_, "store.log");
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0 || file.st_ino != followed_log_inode_) return false;
  const auto size = static_cast<uint64_t>(file.st_size);
  if (size < followed_log_bytes_) return false;  // compacted: reopen
  if (size == followed_log_bytes_) return true;
  std::string bytes(size - followed_log_bytes_, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(followed_log_bytes_));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
      return false;  // shorter than it was a moment ago: compacted meanwhile
  }
  std::unique_lock lock(mu_);
  std::vector<size_t> added;    // labels whose vector the graph must take
  std::vector<size_t> removed;  // labels the graph must forget
  auto apply = [&](std::string_view body) -> Status {
    AppliedRecord applied;
    LH_RETURN_IF_ERROR(ApplyRecord(body, &applied));
    if (applied.removed) removed.push_back(*applied.removed);
    if (applied.added) added.push_back(*applied.added);
    return Status::OK();
  };
  LH_ASSIGN_OR_RETURN(auto read, ParseRecords(bytes, apply));
  followed_log_bytes_ += read.valid_bytes;  // a torn tail is an append in progress
  for (size_t label : removed) {
    try {
      graph_->markDelete(label);
    } catch (const std::exception&) {
      // Not in the graph, or already deleted there: nothing to forget.
    }
  }
  std::sort(added.begin(), added.end());
  added.erase(std::unique(added.begin(), added.end()), added.end());
  std::vector<const Entry*> touched;
  for (size_t label : added)
    if (const Entry* e = EntryAt(label)) touched.push_back(e);
  Status st = EnsureCapacity(touched.size());
  if (st.ok()) st = AddAllToGraph(touched);
  if (!st.ok()) return false;  // reopen rebuilds the graph from the store
  return true;
}

Status VectorIndex::RefuseWrite() const {
  return Status::Conflict(fmt::format(
      "index '{}' is read-only in this process: another service owns it (split-service mode; "
      "write through the service that owns it)",
      spec_.name));
}

std::vector<float> VectorIndex::Prepared(const std::vector<float>& v) const {
  if (spec_.metric != Metric::kCosine) return v;
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  std::vector<float> out(v);
  if (norm > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : out) x *= inv;
  }
  return out;
}

float VectorIndex::Score(float distance) const {
  if (spec_.metric == Metric::kL2) return -std::sqrt(std::max(distance, 0.0f));
  return 1.0f - distance;  // inner-product space distance is 1 - dot
}

Status VectorIndex::EnsureCapacity(size_t additional) {
  try {
    const size_t needed = graph_->getCurrentElementCount() + additional;
    if (needed > graph_->getMaxElements()) {
      graph_->resizeIndex(std::max({kInitialCapacity, graph_->getMaxElements() * 2, needed}));
    }
    return Status::OK();
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("graph resize failed: ") + ex.what());
  }
}

Status VectorIndex::GraphAdd(const Entry& e) {
  try {
    const auto v = Prepared(e.item.vector);
    graph_->addPoint(v.data(), e.label, /*replace_deleted=*/true);
    return Status::OK();
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("graph add failed: ") + ex.what());
  }
}

Status VectorIndex::AddAllToGraph(const std::vector<const Entry*>& order) {
  // hnswlib's addPoint is thread-safe across labels: use every core for large batches.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto worker = [&] {
    for (size_t i = next++; i < order.size() && !failed; i = next++) {
      Status st = GraphAdd(*order[i]);
      if (!st.ok()) {
        std::lock_guard lock(error_mu);
        error = st.message();
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

Status VectorIndex::BuildGraph(const std::string& reason) {
  try {
    graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        space_.get(), std::max(kInitialCapacity, entries_.size() + entries_.size() / 4), spec_.m,
        spec_.ef_construction, /*random_seed=*/100, /*allow_replace_deleted=*/true);
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("cannot allocate the graph: ") + ex.what());
  }
  // Insert in label order (the order items were first written).
  std::vector<const Entry*> order;
  order.reserve(entries_.size());
  for (const auto& [label, e] : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Entry* a, const Entry* b) { return a->label < b->label; });
  if (Status st = AddAllToGraph(order); !st.ok())
    return Status::Internal("graph rebuild failed: " + st.message());
  graph_->setEf(1);  // see Search: ef is chosen per query
  graph_origin_ = reason.empty() ? "new" : "rebuilt: " + reason;
  graph_saved_seq_ = UINT64_MAX;
  return Status::OK();
}

Status VectorIndex::TryLoadGraph(std::string* why_not) {
  const std::string meta_path = StorePath(dir_, "graph.json"),
                    graph_path = StorePath(dir_, "graph.hnsw");
  std::ifstream meta_in(meta_path);
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
  if (meta.value("seq", uint64_t{0}) != seq_ || meta.value("count", size_t{0}) != entries_.size()) {
    *why_not = fmt::format("graph is stale (graph seq {}, store seq {})",
                           meta.value("seq", uint64_t{0}), seq_);
    return Status::Corruption(*why_not);
  }
  try {
    auto g = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        space_.get(), graph_path, false, std::max(kInitialCapacity, entries_.size()),
        /*allow_replace_deleted=*/true);
    // Consistency: every live item must be in the graph with its vector.
    if (g->getCurrentElementCount() - g->getDeletedCount() != entries_.size())
      throw std::runtime_error("count mismatch");
    for (const auto& [label, e] : entries_) {
      auto data = g->getDataByLabel<float>(label);
      const auto want = Prepared(e.item.vector);
      if (data.size() != want.size() ||
          std::memcmp(data.data(), want.data(), want.size() * sizeof(float)) != 0) {
        throw std::runtime_error("vector mismatch for id " + e.item.id);
      }
    }
    g->setEf(1);
    graph_ = std::move(g);
    graph_saved_seq_ = seq_;
    return Status::OK();
  } catch (const std::exception& ex) {
    *why_not = std::string("saved graph rejected: ") + ex.what();
    return Status::Corruption(*why_not);
  }
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
    if (!it.payload.is_object())
      return Status::InvalidArgument(fmt::format("item '{}': payload must be an object", it.id));
  }
  if (read_only_) return RefuseWrite();
  std::unique_lock lock(mu_);
  // 1. Durable first: one append of every record, one fdatasync.
  std::vector<Entry> staged;
  staged.reserve(items.size());
  std::string batch;
  std::unordered_map<std::string, size_t> batch_labels;
  for (auto& it : items) {
    Entry e;
    if (auto found = id_to_label_.find(it.id); found != id_to_label_.end()) {
      e.label = found->second;
    } else if (auto b = batch_labels.find(it.id); b != batch_labels.end()) {
      e.label = b->second;
    } else {
      e.label = next_label_++;
      batch_labels.emplace(it.id, e.label);
    }
    e.item = std::move(it);
    e.item.version = ++seq_;
    AppendRecord(batch, EncodeUpsert(e));
    staged.push_back(std::move(e));
  }
  LH_RETURN_IF_ERROR(AppendToFile(StorePath(dir_, "store.log"), batch, sync_writes_));
  // 2. Memory, then the graph. A graph fault cannot lose the record: rebuild from the store.
  std::vector<const Entry*> touched;
  touched.reserve(staged.size());
  for (auto& e : staged) {
    id_to_label_[e.item.id] = e.label;
    touched.push_back(&PutEntry(e.label, std::move(e)));
  }
  // A batch may name an id twice: the graph needs each label once, with its last vector.
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  Status graph_status = EnsureCapacity(touched.size());
  if (graph_status.ok()) graph_status = AddAllToGraph(touched);
  if (!graph_status.ok()) {
    spdlog::error("vector index {}: {}; rebuilding the graph", spec_.name, graph_status.ToString());
    LH_RETURN_IF_ERROR(BuildGraph(graph_status.message()));
  }
  return Status::OK();
}

Result<bool> VectorIndex::Delete(const std::string& id) {
  if (read_only_) return RefuseWrite();
  std::unique_lock lock(mu_);
  auto it = id_to_label_.find(id);
  if (it == id_to_label_.end()) return false;
  std::string body;
  body += kDelete;
  PutU64(body, ++seq_);
  PutString(body, id);
  std::string framed;
  AppendRecord(framed, body);
  LH_RETURN_IF_ERROR(AppendToFile(StorePath(dir_, "store.log"), framed, sync_writes_));
  const size_t label = it->second;
  EraseEntry(label);
  id_to_label_.erase(it);
  try {
    graph_->markDelete(label);
  } catch (const std::exception& ex) {
    spdlog::error("vector index {}: markDelete failed ({}); rebuilding the graph", spec_.name,
                  ex.what());
    LH_RETURN_IF_ERROR(BuildGraph(ex.what()));
  }
  return true;
}

std::optional<VectorItem> VectorIndex::Get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = id_to_label_.find(id);
  if (it == id_to_label_.end()) return std::nullopt;
  return entries_.at(it->second).item;
}

std::vector<std::string> VectorIndex::Ids() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> ids;
  ids.reserve(id_to_label_.size());
  for (const auto& [id, label] : id_to_label_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

size_t VectorIndex::Count() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

const VectorIndex::FieldPostings& VectorIndex::Postings(const std::string& field) const {
  auto [it, built] = postings_.try_emplace(field);
  FieldPostings& fp = it->second;
  if (!built) return fp;
  for (const auto& [label, e] : entries_) {
    auto v = e.item.payload.find(field);
    if (v == e.item.payload.end()) continue;
    if (v->is_number()) {
      fp.numbers.emplace_back(v->get<double>(), label);
      continue;
    }
    if (!fp.lists_usable) continue;
    std::string key = PayloadFilter::PostingKey(*v);
    if (key.empty()) continue;  // arrays, objects: never equal to a listed value
    fp.lists[std::move(key)].push_back(label);
    if (fp.lists.size() > kPostingsMaxValues) {
      fp.lists_usable = false;
      fp.lists.clear();
    }
  }
  std::sort(fp.numbers.begin(), fp.numbers.end());
  return fp;
}

std::optional<VectorIndex::CandidateSet> VectorIndex::Candidates(
    const PayloadFilter& filter) const {
  if (entries_.size() < kPostingsMinItems) return std::nullopt;
  const auto memberships = filter.Memberships();
  const auto ranges = filter.Ranges();
  if (memberships.empty() && ranges.empty()) return std::nullopt;
  std::lock_guard lock(postings_mu_);
  if (postings_seq_ != seq_) {
    postings_.clear();
    postings_seq_ = seq_;
  }
  // Each usable condition is a candidate set: its size now, its labels when asked.
  struct Set {
    size_t size;
    std::function<void(std::vector<size_t>&)> labels;
    std::vector<size_t> exact;  // the conditions every label of the set satisfies
  };
  std::vector<Set> sets;
  for (const auto& m : memberships) {
    const FieldPostings& fp = Postings(m.field);
    if (!fp.lists_usable) continue;
    std::vector<const std::vector<size_t>*> lists;
    size_t size = 0;
    for (const auto& key : m.keys) {
      if (auto l = fp.lists.find(key); l != fp.lists.end()) {
        lists.push_back(&l->second);
        size += l->second.size();
      }
    }
    sets.push_back({size,
                    [lists](std::vector<size_t>& out) {
                      for (const auto* l : lists) out.insert(out.end(), l->begin(), l->end());
                    },
                    {m.condition}});
  }
  for (const auto& r : ranges) {
    const FieldPostings& fp = Postings(r.field);
    if (fp.numbers.empty()) continue;
    auto lo =
        std::lower_bound(fp.numbers.begin(), fp.numbers.end(), std::make_pair(r.lo, size_t{0}));
    auto hi = std::upper_bound(fp.numbers.begin(), fp.numbers.end(),
                               std::make_pair(r.hi, std::numeric_limits<size_t>::max()));
    if (hi < lo) hi = lo;
    sets.push_back({static_cast<size_t>(hi - lo),
                    [lo, hi](std::vector<size_t>& out) {
                      for (auto i = lo; i != hi; ++i) out.push_back(i->second);
                    },
                    // gte/lte bounds select exactly the matching numbers; gt/lt a superset
                    r.inclusive ? r.conditions : std::vector<size_t>{}});
  }
  if (sets.empty()) return std::nullopt;
  std::sort(sets.begin(), sets.end(), [](const Set& a, const Set& b) { return a.size < b.size; });
  CandidateSet out;
  std::vector<size_t>& labels = out.labels;
  labels.reserve(sets[0].size);
  sets[0].labels(labels);
  out.exact_conditions = sets[0].exact;
  // Narrow by each next set while that stays cheap (a bitmap pass costs the set's size):
  // role ∩ latitude band ∩ longitude band leaves a place's few workers of a role, where
  // the first set alone would have every worker of the role checked against the payload.
  std::vector<bool> keep;
  for (size_t i = 1; i < sets.size() && labels.size() > 64; ++i) {
    if (sets[i].size > 64 * labels.size()) break;  // sorted by size: the rest are bigger
    keep.assign(next_label_, false);
    for (size_t l : labels) keep[l] = true;
    std::vector<size_t> other;
    other.reserve(sets[i].size);
    sets[i].labels(other);
    labels.clear();
    for (size_t l : other)
      if (l < keep.size() && keep[l]) labels.push_back(l);
    out.exact_conditions.insert(out.exact_conditions.end(), sets[i].exact.begin(),
                                sets[i].exact.end());
  }
  return out;
}

std::vector<std::pair<float, size_t>> VectorIndex::ExactSearch(
    const std::vector<float>& q, size_t k, const PayloadFilter& filter,
    const std::vector<size_t>* labels) const {
  auto dist = space_->get_dist_func();
  auto param = space_->get_dist_func_param();
  // Cosine items are stored as given and normalised for the graph: the distance to a raw
  // vector v is 1 - q.v/|v|, with |v|^2 kept in the entry.
  auto distance = [&](const Entry& e) {
    const float d = dist(q.data(), e.item.vector.data(), param);
    if (spec_.metric != Metric::kCosine) return d;
    return e.norm2 > 0 ? 1.0f - (1.0f - d) / std::sqrt(e.norm2) : 1.0f;
  };
  std::vector<std::pair<float, size_t>> exact;
  auto consider = [&](size_t label, const Entry& e) {
    if (filter.Matches(e.item.payload)) exact.emplace_back(distance(e), label);
  };
  if (labels != nullptr) {
    for (size_t label : *labels)
      if (const Entry* e = EntryAt(label)) consider(label, *e);
  } else {
    for (const auto& [label, e] : entries_) consider(label, e);
  }
  const size_t n = std::min(k, exact.size());
  std::partial_sort(exact.begin(), exact.begin() + static_cast<long>(n), exact.end());
  exact.resize(n);
  return exact;
}

Result<std::vector<SearchHit>> VectorIndex::Search(const std::vector<float>& query, size_t k,
                                                   size_t ef, const PayloadFilter& filter,
                                                   SearchStats* stats) const {
  if (static_cast<int>(query.size()) != spec_.dims) {
    return Status::InvalidArgument(fmt::format("query has {} dimensions; index '{}' has {}",
                                               query.size(), spec_.name, spec_.dims));
  }
  if (k == 0 || k > 10000) return Status::InvalidArgument("k must be 1..10000");
  const auto q = Prepared(query);
  std::shared_lock lock(mu_);
  std::vector<std::pair<float, size_t>> found;  // (distance, label)
  const auto candidates = filter.empty() ? std::nullopt : Candidates(filter);
  if (stats && candidates) stats->candidates = candidates->labels.size();
  if (candidates && candidates->labels.size() <= std::max(k, entries_.size() / 20)) {
    // Selective: score the few candidates exactly instead of walking the graph; the
    // conditions their posting lists already satisfy are not checked again per payload.
    found = ExactSearch(q, k, filter.Without(candidates->exact_conditions), &candidates->labels);
    if (stats) stats->exact_fallback = true;
  } else {
    try {
      Filter f(*this, filter);
      // Per-query ef without mutating shared state: the graph's own ef is 1, and hnswlib
      // searches with max(ef, k), so asking for max(ef, k) results is a search at that ef;
      // the first k are kept.
      const size_t use_ef = std::max(ef == 0 ? static_cast<size_t>(spec_.ef_search) : ef, k);
      auto results = graph_->searchKnnCloserFirst(q.data(), use_ef, filter.empty() ? nullptr : &f);
      for (size_t i = 0; i < results.size() && i < k; ++i)
        found.emplace_back(results[i].first, results[i].second);
    } catch (const std::exception& ex) {
      found.clear();  // fall through to the exact scan: a graph fault must not fail the search
      spdlog::error("vector index {}: search failed in the graph ({}); answering exactly",
                    spec_.name, ex.what());
    }
    if (found.size() < std::min(k, entries_.size())) {
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
    const Entry& e = entries_.at(label);
    hits.push_back(SearchHit{e.item.id, Score(dist), e.item.payload});
  }
  return hits;
}

Status VectorIndex::SaveGraph() {
  if (read_only_) return Status::OK();  // the owner saves its graph
  const std::string tmp = StorePath(dir_, "graph.hnsw.tmp");
  try {
    graph_->saveIndex(tmp);
  } catch (const std::exception& ex) {
    return Status::IOError(std::string("save graph: ") + ex.what());
  }
  std::error_code ec;
  fs::rename(tmp, StorePath(dir_, "graph.hnsw"), ec);
  if (ec) return Status::IOError("save graph: " + ec.message());
  Json meta = {{"seq", seq_}, {"count", entries_.size()}};
  LH_RETURN_IF_ERROR(WriteFileAtomically(StorePath(dir_, "graph.json"), meta.dump() + "\n"));
  graph_saved_seq_ = seq_;
  return Status::OK();
}

Status VectorIndex::Snapshot() {
  if (read_only_) return RefuseWrite();
  std::unique_lock lock(mu_);
  std::string snap;
  std::vector<const Entry*> order;
  for (const auto& [label, e] : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Entry* a, const Entry* b) { return a->label < b->label; });
  for (const Entry* e : order) AppendRecord(snap, EncodeUpsert(*e));
  // A marker keeps the sequence number even when the newest write was a delete.
  std::string marker;
  marker += kDelete;
  PutU64(marker, seq_);
  PutString(marker, "");
  AppendRecord(snap, marker);
  LH_RETURN_IF_ERROR(WriteFileAtomically(StorePath(dir_, "store.snap"), snap));
  // The snapshot holds everything in the log; an empty log now (crash here: the log's
  // records are re-applied over the snapshot, which is idempotent).
  LH_RETURN_IF_ERROR(WriteFileAtomically(StorePath(dir_, "store.log"), ""));
  return SaveGraph();
}

Status VectorIndex::Close() {
  std::unique_lock lock(mu_);
  if (!graph_ || graph_saved_seq_ == seq_ || dropped_) return Status::OK();
  return SaveGraph();
}

Json VectorIndex::Info() const {
  std::shared_lock lock(mu_);
  Json j = spec_.ToJson();
  j.erase("schema");
  j["count"] = entries_.size();
  j["seq"] = seq_;
  j["graph"] = graph_origin_;
  j["graph_slots"] = graph_ ? graph_->getCurrentElementCount() : 0;  // live + deleted, reusable
  return j;
}

}  // namespace lakehouse
