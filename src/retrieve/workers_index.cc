#include "retrieve/workers_index.h"

#include <unordered_set>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "embed/embed_service.h"
#include "query/query_engine.h"
#include "vector/vector_store.h"

namespace lakehouse {
namespace {

std::string Join(const Json& arr) {
  std::string out;
  if (!arr.is_array()) return out;
  for (const auto& x : arr) {
    if (!out.empty()) out += ", ";
    out += x.is_string() ? x.get<std::string>() : x.dump();
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& list) {
  std::string out;
  for (std::string_view x : list) {
    if (!out.empty()) out += ", ";
    out += x;
  }
  return out;
}

std::string Text(std::string_view role, const std::string& skills, const std::string& certs,
                 std::string_view city, std::string_view state, std::string_view shift) {
  return fmt::format("{}. skills: {}. certifications: {}. {}, {}. {} shift", role, skills, certs,
                     city, state, shift);
}

constexpr const char* kColumns[] = {
    "worker_id", "role",   "skills",      "certifications",  "city",
    "state",     "lat",    "lon",         "shift_pref",      "available",
    "status",    "rating", "reliability", "years_experience"};

}  // namespace

std::string WorkerText(const Json& w) {
  return Text(w.value("role", ""), Join(w.value("skills", Json::array())),
              Join(w.value("certifications", Json::array())), w.value("city", ""),
              w.value("state", ""), w.value("shift_pref", ""));
}

Status ReadWorkers(QueryEngine& query, std::vector<VectorItem>* items,
                   std::vector<std::string>* texts) {
  return ReadWorkers(query, 8192, [&](std::vector<VectorItem>& i, std::vector<std::string>& t) {
    items->insert(items->end(), std::make_move_iterator(i.begin()),
                  std::make_move_iterator(i.end()));
    texts->insert(texts->end(), std::make_move_iterator(t.begin()),
                  std::make_move_iterator(t.end()));
    return Status::OK();
  });
}

Status ReadWorkers(QueryEngine& query, size_t batch_size, const WorkersBatchFn& each) {
  std::vector<VectorItem> items;
  std::vector<std::string> texts;
  auto flush = [&]() -> Status {
    if (items.empty()) return Status::OK();
    Status st = each(items, texts);
    items.clear();
    texts.clear();
    return st;
  };
  std::string select;
  for (const char* c : kColumns) select += (select.empty() ? "" : ", ") + std::string(c);
  auto add = [&](const ScanBatch& b, size_t row) {
    // The columns are distinct keys: append them without ordered_json's per-insert search.
    Json payload = Json::object();
    auto& fields = payload.get_ref<Json::object_t&>();
    fields.reserve(std::size(kColumns));
    for (size_t c = 0; c < std::size(kColumns); ++c)
      fields.emplace_back(kColumns[c], b[c].Value(row));
    texts.push_back(Text(b[1].String(row), Join(b[2].StringList(row)), Join(b[3].StringList(row)),
                         b[4].String(row), b[5].String(row), b[8].String(row)));
    VectorItem& item = items.emplace_back();
    item.id = std::string(b[0].String(row));
    item.payload = std::move(payload);
  };
  ScanOptions so;
  // The consumer's work (a build embeds and inserts each batch) runs inside the scan.
  so.timeout = std::chrono::hours(24);
  LH_RETURN_IF_ERROR(query
                         .Scan("SELECT " + select + " FROM workers ORDER BY worker_id", so,
                               [&](const ScanBatch& b) {
                                 for (size_t row = 0; row < b.rows(); ++row) {
                                   add(b, row);
                                   if (items.size() >= batch_size) LH_RETURN_IF_ERROR(flush());
                                 }
                                 return Status::OK();
                               })
                         .status());
  return flush();
}

namespace {
constexpr const char* kPhases[] = {"reading", "indexing", "saving"};
}  // namespace

Json BuildProgress::ToJson() const {
  const Progress::Snapshot s = work.Get();
  int p = 0;
  for (int i = 0; i < 3; ++i)
    if (s.phase == kPhases[i]) p = i;
  const int64_t t = workers.load(), d = p == 2 ? t : s.done;
  // Reading counts the workers; indexing (reading, embedding, inserting) is nearly all.
  double percent = 0;
  if (p == 1) percent = 1 + (t > 0 ? 98.0 * static_cast<double>(d) / t : 0);
  if (p == 2) percent = 99;
  Json j = Json::object();
  j["phase"] = kPhases[p];
  j["done"] = d;
  j["total"] = t;
  j["percent"] = std::round(percent * 10) / 10;
  j["elapsed_ms"] = std::llround(s.seconds * 1000);
  return j;
}

std::string BuildProgress::Describe() const {
  const Json j = ToJson();
  return fmt::format("{} {}/{} workers, {}%, {} s", j["phase"].get<std::string>(),
                     j["done"].get<int64_t>(), j["total"].get<int64_t>(),
                     j["percent"].get<double>(), j["elapsed_ms"].get<int64_t>() / 1000);
}

namespace {

// Between batches: a cancelled build drops the half-built index (still marked unfinished)
// and says why.
Status StopIfCancelled(const WorkersIndexDeps& s, const Progress& p, bool created) {
  if (!p.cancelled()) return Status::OK();
  if (created) {
    if (Status st = s.vectors->Drop("workers"); !st.ok())
      spdlog::warn("dropping the cancelled workers index: {}", st.ToString());
  }
  return Status::Unavailable(
      "the workers index build was cancelled (shutting down); the next "
      "start builds it again");
}

}  // namespace

Result<Json> BuildWorkersIndex(const WorkersIndexDeps& s, BuildProgress* progress) {
  BuildProgress local;
  BuildProgress& build = progress != nullptr ? *progress : local;
  Progress& p = build.work;
  const auto start = std::chrono::steady_clock::now();
  p.Phase(kPhases[0], 0, "workers");
  int64_t total = 0;
  LH_RETURN_IF_ERROR(s.query
                         ->Scan("SELECT count(*) FROM workers", ScanOptions(),
                                [&](const ScanBatch& b) {
                                  if (b.rows() > 0)
                                    total = static_cast<int64_t>(b[0].Number(0).value_or(0));
                                  return Status::OK();
                                })
                         .status());
  build.workers = total;
  const std::string& model = s.embed->default_model();
  LH_ASSIGN_OR_RETURN(int dims, s.embed->Dims(model));
  LH_RETURN_IF_ERROR(s.vectors->MarkUnfinished("workers"));
  if (Status st = s.vectors->Drop("workers"); !st.ok() && st.code() != ErrorCode::kNotFound)
    return st;
  IndexSpec spec;
  spec.name = "workers";
  spec.dims = dims;
  spec.model = model;
  spec.quantization = s.quantization;
  LH_ASSIGN_OR_RETURN(auto index, s.vectors->Create(spec));
  p.Phase(kPhases[1], total, "workers");
  // Batches small enough that a cancel is seen within a second or so (an index batch of
  // 1,000 workers takes ~0.4 s on two cores), large enough to keep both cores busy; one
  // read batch's payloads and vectors are all a build holds besides the index.
  constexpr size_t kBatch = 5000;
  constexpr size_t kIndexBatch = 1000;
  double embed_ms = 0;
  int64_t done = 0;
  LH_RETURN_IF_ERROR(ReadWorkers(
      *s.query, kBatch, [&](std::vector<VectorItem>& items, std::vector<std::string>& texts) {
        LH_RETURN_IF_ERROR(StopIfCancelled(s, p, /*created=*/true));
        const auto before = std::chrono::steady_clock::now();
        LH_ASSIGN_OR_RETURN(auto vectors, s.embed->EmbedUncached(model, texts));
        embed_ms += static_cast<double>(MicrosSince(before)) / 1000;
        for (size_t i = 0; i < items.size(); ++i) items[i].vector = std::move(vectors[i]);
        for (size_t off = 0; off < items.size(); off += kIndexBatch) {
          LH_RETURN_IF_ERROR(StopIfCancelled(s, p, /*created=*/true));
          const size_t end = std::min(items.size(), off + kIndexBatch);
          std::vector<VectorItem> batch(
              std::make_move_iterator(items.begin() + static_cast<long>(off)),
              std::make_move_iterator(items.begin() + static_cast<long>(end)));
          LH_RETURN_IF_ERROR(index->Upsert(std::move(batch)));
          done += static_cast<int64_t>(end - off);
          p.Set(done);
        }
        return Status::OK();
      }));
  p.Phase(kPhases[2], 0, "workers");
  LH_RETURN_IF_ERROR(index->Snapshot());
  LH_RETURN_IF_ERROR(s.vectors->MarkFinished("workers"));
  index->Warm();  // served next: its filter postings are ready with it
  p.Set(total);
  const double elapsed_ms = static_cast<double>(MicrosSince(start)) / 1000;
  Json report = Json::object();
  report["index"] = "workers";
  report["count"] = index->Count();
  report["model"] = model;
  report["embed_ms"] = std::round(embed_ms);
  report["index_ms"] = std::round(elapsed_ms - embed_ms);
  report["elapsed_ms"] = std::round(elapsed_ms);
  return report;
}

Result<Json> SyncWorkersIndex(const WorkersIndexDeps& s) {
  const auto start = std::chrono::steady_clock::now();
  LH_ASSIGN_OR_RETURN(auto index, s.vectors->Get("workers"));
  std::vector<std::string> texts;
  std::vector<VectorItem> items;
  LH_RETURN_IF_ERROR(ReadWorkers(*s.query, &items, &texts));
  std::vector<VectorItem> changed;
  std::vector<std::string> changed_texts;
  int64_t added = 0, updated = 0, unchanged = 0, removed = 0;
  std::unordered_set<std::string> present;
  present.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    present.insert(items[i].id);
    auto have = index->Get(items[i].id);
    if (have && have->payload == items[i].payload) {
      ++unchanged;
      continue;
    }
    ++(have ? updated : added);
    changed_texts.push_back(std::move(texts[i]));
    changed.push_back(std::move(items[i]));
  }
  if (!changed.empty()) {
    LH_ASSIGN_OR_RETURN(auto vectors, s.embed->EmbedUncached(index->spec().model, changed_texts));
    for (size_t i = 0; i < changed.size(); ++i) changed[i].vector = std::move(vectors[i]);
    LH_RETURN_IF_ERROR(index->Upsert(std::move(changed)));
  }
  for (const std::string& id : index->Ids()) {
    if (present.count(id) != 0) continue;
    LH_RETURN_IF_ERROR(index->Delete(id).status());
    ++removed;
  }
  if (added + updated + removed > 0) index->Warm();  // the writes dropped the postings
  Json report = Json::object();
  report["added"] = added;
  report["updated"] = updated;
  report["removed"] = removed;
  report["unchanged"] = unchanged;
  report["elapsed_ms"] = std::round(static_cast<double>(MicrosSince(start)) / 1000);
  return report;
}

WorkersIndexBuilder::~WorkersIndexBuilder() {
  Cancel();  // a build still running stops at its next batch
  {
    MutexLock l(follow_mu_);
    stop_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  if (thread_.joinable()) thread_.join();
}

void WorkersIndexBuilder::Follow() {
  if (follower_.joinable()) return;
  deps_.catalog->AddListener([this](const DatasetManifest& m) {
    if (m.name != "workers") return;
    {
      MutexLock l(follow_mu_);
      dirty_ = true;
    }
    follow_cv_.notify_all();
  });
  follower_ = std::thread([this] { FollowLoop(); });
}

void WorkersIndexBuilder::FollowLoop() {
  while (true) {
    {
      MutexLock l(follow_mu_);
      follow_cv_.wait(follow_mu_, [this]() LH_REQUIRES(follow_mu_) { return stop_ || dirty_; });
      if (stop_) return;
      // A burst of commits settles into one sync.
      follow_cv_.wait_for(follow_mu_, std::chrono::milliseconds(100),
                          [this]() LH_REQUIRES(follow_mu_) { return stop_; });
      if (stop_) return;
      dirty_ = false;
    }
    if (running_ || !deps_.vectors->Get("workers").ok()) continue;  // a full build covers it
    auto r = SyncWorkersIndex(deps_);
    if (r.ok()) {
      spdlog::info("workers vector index follows the new workers version: {}", r->dump());
    } else {
      spdlog::error("updating the workers vector index failed: {}", r.status().ToString());
    }
    syncs_.fetch_add(1);
  }
}

Json WorkersIndexBuilder::Progress() const {
  return running_ ? progress_.ToJson() : Json(nullptr);
}

void WorkersIndexBuilder::StartIfMissing() {
  if (!deps_.catalog->Get("workers").ok()) return;
  if (auto index = deps_.vectors->Get("workers"); index.ok()) {
    const Quantization have = (*index)->spec().quantization;
    if (deps_.vectors->Unfinished("workers")) {
      spdlog::warn(
          "the workers vector index was left unfinished by an interrupted build: "
          "building it again");
    } else if (have != deps_.quantization && !deps_.keep_existing) {
      spdlog::warn(
          "the workers vector index is stored with quantization {}, vectors.workers_quantization "
          "says {}: building it again",
          QuantizationName(have), QuantizationName(deps_.quantization));
    } else {
      return;
    }
  }
  running_ = true;
  progress_.work.Restart();
  deps_.vectors->BeginBuild("workers", [this] { return progress_.Describe(); });
  thread_ = std::thread([this] {
    spdlog::info("building the workers vector index in the background (/readyz is 503 until done)");
    auto r = BuildWorkersIndex(deps_, &progress_);
    deps_.vectors->EndBuild("workers");
    if (r.ok()) {
      spdlog::info("workers vector index ready: {}", r->dump());
    } else if (progress_.work.cancelled()) {
      spdlog::info("{}", r.status().message());
    } else {
      spdlog::error("building the workers vector index failed: {}", r.status().ToString());
    }
    running_ = false;
  });
}

}  // namespace lakehouse
