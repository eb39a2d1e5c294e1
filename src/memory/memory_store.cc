#include "memory/memory_store.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/fields.h"
#include "core/file_io.h"
#include "storage/record_log.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxSubject = 200;
constexpr size_t kMaxText = 4000;
constexpr size_t kMaxSource = 64;

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 0;
  return dot / std::sqrt(na * nb);
}

double Round4(double x) {
  return std::round(x * 1e4) / 1e4;
}

}  // namespace

const std::string& Memory::text() const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it)
    if (it->op != "DELETE") return it->text;
  return versions.back().text;
}

Json MemoryVersion::ToJson() const {
  Json j = Json::object();
  j["version"] = version;
  j["op"] = op;
  j["text"] = op == "DELETE" ? Json(nullptr) : Json(text);
  j["source"] = source;
  j["recorded_at"] = FormatRfc3339Millis(recorded_ms);
  j["observed_at"] = observed_at.empty() ? Json(nullptr) : Json(observed_at);
  j["similarity"] = similarity ? Json(*similarity) : Json(nullptr);
  return j;
}

Json Memory::ToJson() const {
  const MemoryVersion& v = versions.back();
  Json j = Json::object();
  j["id"] = id;
  j["subject"] = subject;
  j["version"] = v.version;
  j["text"] = text();
  j["source"] = v.source;
  j["recorded_at"] = FormatRfc3339Millis(v.recorded_ms);
  j["observed_at"] = v.observed_at.empty() ? Json(nullptr) : Json(v.observed_at);
  j["deleted"] = deleted();
  return j;
}

Json Memory::HistoryJson() const {
  Json list = Json::array();
  for (const MemoryVersion& v : versions) list.push_back(v.ToJson());
  Json out = Json::object();
  out["id"] = id;
  out["subject"] = subject;
  out["deleted"] = deleted();
  out["versions"] = std::move(list);
  return out;
}

Json MemoryHit::ToJson() const {
  Json j = memory.ToJson();
  j.erase("deleted");
  j["score"] = Round4(score);
  return j;
}

Json MemoryWriteResult::ToJson() const {
  Json out = Json::object();
  out["op"] = op;
  out["memory"] = memory.ToJson();
  out["previous"] = previous ? Json{{"version", previous->version},
                                    {"text", previous->text},
                                    {"similarity", Round4(previous->similarity)}}
                             : Json(nullptr);
  return out;
}

Json MemoryStats::ToJson() const {
  Json j = Json::object();
  j["memories"] = memories;
  j["live"] = live;
  j["versions"] = versions;
  j["subjects"] = subjects;
  j["model"] = model;
  j["update_threshold"] = update_threshold;
  j["index"] = index;
  return j;
}

Result<MemoryWriteRequest> ParseMemoryWrite(const Json& body) {
  MemoryWriteRequest r;
  LH_ASSIGN_OR_RETURN(r.subject, RequiredString(body, "subject"));
  LH_ASSIGN_OR_RETURN(r.text, RequiredString(body, "text"));
  LH_ASSIGN_OR_RETURN(r.source, RequiredString(body, "source"));
  LH_ASSIGN_OR_RETURN(auto observed, OptionalString(body, "observed_at"));
  r.observed_at = observed.value_or("");
  LH_RETURN_IF_ERROR(CheckLabel("subject", r.subject, kMaxSubject));
  LH_RETURN_IF_ERROR(CheckLabel("source", r.source, kMaxSource));
  LH_RETURN_IF_ERROR(CheckText("text", r.text, kMaxText));
  if (!r.observed_at.empty()) LH_RETURN_IF_ERROR(CheckTimestamp("observed_at", r.observed_at));
  return r;
}

Result<std::unique_ptr<MemoryStore>> MemoryStore::Open(MemoryStoreOptions options,
                                                       EmbedService& embed) {
  if (options.model.empty()) options.model = embed.default_model();
  if (!(options.update_threshold > 0 && options.update_threshold <= 1))
    return Status::InvalidArgument("memory.update_threshold must be in (0, 1]");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", options.dir, ec.message()));
  auto store = std::unique_ptr<MemoryStore>(new MemoryStore(std::move(options), embed));
  store->log_path_ = (fs::path(store->options_.dir) / "memories.log").string();
  LH_RETURN_IF_ERROR(store->Load());
  LH_RETURN_IF_ERROR(store->Reconcile());
  return store;
}

MemoryStore::~MemoryStore() {
  if (index_) {
    Status st = index_->Close();
    if (!st.ok()) spdlog::warn("memory index close: {}", st.ToString());
  }
}

Status MemoryStore::Load() {
  auto apply = [this](std::string_view body) -> Status {
    LH_ASSIGN_OR_RETURN(Json record, ParseJson(body));
    return Apply(record);
  };
  LH_ASSIGN_OR_RETURN(auto read, RecoverRecords(log_path_, "memory", apply));
  spdlog::debug("memory: {} versions of {} memories from {}", read.records, memories_.size(),
                log_path_);
  return Status::OK();
}

// The record of one version, as logged (and replayed by Apply).
Status MemoryStore::Apply(const Json& r) {
  if (!r.is_object() || !r.contains("id") || !r.contains("op") || !r.contains("version"))
    return Status::Corruption("memory log: a record lacks id, op or version");
  const std::string id = r["id"].get<std::string>();
  MemoryVersion v;
  v.version = r["version"].get<int64_t>();
  v.op = r["op"].get<std::string>();
  v.text = r.value("text", "");
  v.source = r.value("source", "");
  v.recorded_ms = r.value("recorded_ms", int64_t{0});
  v.observed_at = r.value("observed_at", "");
  if (auto s = r.find("similarity"); s != r.end() && s->is_number())
    v.similarity = s->get<double>();
  std::unique_lock lock(mu_);
  auto [it, inserted] = memories_.try_emplace(id);
  Memory& m = it->second;
  if (inserted) {
    m.id = id;
    m.subject = r.value("subject", "");
    by_subject_[m.subject].push_back(id);
    // "mem_000123" -> the next id is at least 124.
    if (id.rfind("mem_", 0) == 0)
      next_id_ = std::max<int64_t>(next_id_, std::atoll(id.c_str() + 4) + 1);
  } else if (v.version != m.versions.back().version + 1) {
    return Status::Corruption(fmt::format("memory log: {} version {} after {}", id, v.version,
                                          m.versions.back().version));
  }
  m.versions.push_back(std::move(v));
  ++versions_;
  return Status::OK();
}

Status MemoryStore::Commit(const Json& record) {
  std::string framed;
  AppendRecord(framed, DumpJson(record));
  LH_RETURN_IF_ERROR(AppendDurably(log_path_, framed));
  return Apply(record);
}

// The index holds one item per live memory, at its current version. After a crash between
// the log append and the index write, or after the embedding model changed, it is brought
// back in line here; the log is never touched.
Status MemoryStore::Reconcile() {
  const fs::path dir = fs::path(options_.dir) / "index";
  LH_ASSIGN_OR_RETURN(int dims, embed_.Dims(options_.model));
  if (fs::exists(dir / "index.json")) {
    auto opened = VectorIndex::Open(dir.string());
    if (opened.ok() && (*opened)->spec().model == options_.model &&
        (dims == 0 || (*opened)->spec().dims == dims)) {
      index_ = std::move(*opened);
    } else {
      spdlog::warn("memory: rebuilding the search index ({})",
                   opened.ok() ? "the embedding model changed" : opened.status().ToString());
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
  std::vector<const Memory*> live;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, m] : memories_)
      if (!m.deleted()) live.push_back(&m);
  }
  std::sort(live.begin(), live.end(),
            [](const Memory* a, const Memory* b) { return a->id < b->id; });
  if (!index_) {
    if (dims == 0) {
      // A remote model whose dimensions are unknown until it answers once.
      LH_ASSIGN_OR_RETURN(auto probe, embed_.EmbedOne(options_.model, "memory"));
      dims = static_cast<int>(probe->vector.size());
    }
    IndexSpec spec;
    spec.name = "memory";
    spec.dims = dims;
    spec.model = options_.model;
    LH_ASSIGN_OR_RETURN(index_, VectorIndex::Create(dir.string(), spec));
  }
  // Derived state: its writes need no fdatasync of their own (this reconciliation heals a
  // lost one), which halves the fsyncs of a memory write.
  index_->set_sync_writes(false);
  // Dead or unknown items out; missing or stale items (re-)embedded.
  size_t removed = 0;
  for (const std::string& id : index_->Ids()) {
    auto it = memories_.find(id);
    if (it == memories_.end() || it->second.deleted()) {
      LH_RETURN_IF_ERROR(index_->Delete(id).status());
      ++removed;
    }
  }
  std::vector<VectorItem> stale;
  std::vector<std::string> texts;
  for (const Memory* m : live) {
    auto item = index_->Get(m->id);
    if (item && item->payload.value("version", int64_t{-1}) == m->versions.back().version) continue;
    stale.push_back(VectorItem{
        m->id, {}, {{"subject", m->subject}, {"version", m->versions.back().version}}, 0});
    texts.push_back(m->text());
  }
  if (!stale.empty()) {
    LH_ASSIGN_OR_RETURN(auto vectors, embed_.EmbedUncached(options_.model, texts));
    for (size_t i = 0; i < stale.size(); ++i) stale[i].vector = std::move(vectors[i]);
    LH_RETURN_IF_ERROR(index_->Upsert(std::move(stale)));
  }
  if (removed > 0 || !texts.empty())
    spdlog::info("memory: search index reconciled ({} re-embedded, {} removed)", texts.size(),
                 removed);
  return Status::OK();
}

Result<MemoryWriteResult> MemoryStore::Write(const MemoryWriteRequest& req) {
  // Embedding may call a remote provider: before the writer lock.
  LH_ASSIGN_OR_RETURN(auto embedded, embed_.EmbedOne(options_.model, req.text));
  const std::vector<float>& vec = embedded->vector;

  std::lock_guard write_lock(write_mu_);
  // The nearest live memory of the subject (exact: a subject has few memories).
  const Memory* nearest = nullptr;
  double best = -2;
  {
    std::shared_lock lock(mu_);
    if (auto s = by_subject_.find(req.subject); s != by_subject_.end()) {
      for (const std::string& id : s->second) {
        const Memory& m = memories_.at(id);
        if (m.deleted()) continue;
        if (m.text() == req.text) {
          nearest = &m;
          best = 1;
          break;
        }
        auto item = index_->Get(id);
        const double sim = item ? Cosine(vec, item->vector) : 0;
        if (sim > best) {
          best = sim;
          nearest = &m;
        }
      }
    }
  }
  MemoryWriteResult out;
  if (nearest != nullptr && nearest->text() == req.text &&
      nearest->versions.back().source == req.source &&
      nearest->versions.back().observed_at == req.observed_at) {
    std::shared_lock lock(mu_);
    out.op = "NOOP";
    out.memory = *nearest;
    return out;
  }
  const bool update = nearest != nullptr && best >= options_.update_threshold;
  Json record = Json::object();
  if (update) {
    record["id"] = nearest->id;
    record["subject"] = req.subject;
    record["version"] = nearest->versions.back().version + 1;
    record["op"] = "UPDATE";
  } else {
    record["id"] = fmt::format("mem_{:06d}", next_id_);
    record["subject"] = req.subject;
    record["version"] = 1;
    record["op"] = "ADD";
  }
  record["text"] = req.text;
  record["source"] = req.source;
  record["recorded_ms"] = SystemClock::Get().NowMillis();
  record["observed_at"] = req.observed_at;
  if (update) record["similarity"] = Round4(best);
  std::optional<ReplacedVersion> previous;
  if (update) previous = ReplacedVersion{nearest->versions.back().version, nearest->text(), best};
  LH_RETURN_IF_ERROR(Commit(record));
  const std::string id = record["id"].get<std::string>();
  // The log is the truth from here on: a failed index write is healed at the next Open.
  Status st = index_->Upsert(
      {VectorItem{id, vec, {{"subject", req.subject}, {"version", record["version"]}}, 0}});
  if (!st.ok()) spdlog::error("memory {}: search index write failed: {}", id, st.ToString());
  std::shared_lock lock(mu_);
  out.op = record["op"].get<std::string>();
  out.memory = memories_.at(id);
  out.previous = std::move(previous);
  return out;
}

Result<MemoryWriteResult> MemoryStore::Delete(const std::string& id, const std::string& source) {
  LH_RETURN_IF_ERROR(CheckLabel("source", source, kMaxSource));
  std::lock_guard write_lock(write_mu_);
  Json record = Json::object();
  {
    std::shared_lock lock(mu_);
    auto it = memories_.find(id);
    if (it == memories_.end()) return Status::NotFound(fmt::format("memory '{}' not found", id));
    if (it->second.deleted()) {
      return Status::Conflict(fmt::format("memory '{}' is already deleted (version {})", id,
                                          it->second.versions.back().version));
    }
    record["id"] = id;
    record["subject"] = it->second.subject;
    record["version"] = it->second.versions.back().version + 1;
  }
  record["op"] = "DELETE";
  record["text"] = "";
  record["source"] = source;
  record["recorded_ms"] = SystemClock::Get().NowMillis();
  record["observed_at"] = "";
  LH_RETURN_IF_ERROR(Commit(record));
  auto gone = index_->Delete(id);
  if (!gone.ok())
    spdlog::error("memory {}: search index delete failed: {}", id, gone.status().ToString());
  std::shared_lock lock(mu_);
  MemoryWriteResult out;
  out.op = "DELETE";
  out.memory = memories_.at(id);
  return out;
}

Result<Memory> MemoryStore::Get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = memories_.find(id);
  if (it == memories_.end()) return Status::NotFound(fmt::format("memory '{}' not found", id));
  return it->second;
}

std::vector<Memory> MemoryStore::ListSubject(const std::string& subject) const {
  std::shared_lock lock(mu_);
  std::vector<Memory> out;
  if (auto s = by_subject_.find(subject); s != by_subject_.end()) {
    for (const std::string& id : s->second) {
      const Memory& m = memories_.at(id);
      if (!m.deleted()) out.push_back(m);
    }
  }
  return out;
}

Result<std::vector<MemoryHit>> MemoryStore::Search(const std::string& query,
                                                   const std::string& subject, size_t k) {
  LH_ASSIGN_OR_RETURN(auto embedded, embed_.EmbedOne(options_.model, query));
  const std::vector<float>& qv = embedded->vector;
  std::vector<std::pair<double, std::string>> scored;  // (score, id)
  if (!subject.empty()) {
    std::vector<std::string> ids;
    {
      std::shared_lock lock(mu_);
      if (auto s = by_subject_.find(subject); s != by_subject_.end()) ids = s->second;
    }
    for (const std::string& id : ids)
      if (auto item = index_->Get(id)) scored.emplace_back(Cosine(qv, item->vector), id);
  } else {
    LH_ASSIGN_OR_RETURN(auto hits, index_->Search(qv, k, std::max<size_t>(64, k), PayloadFilter()));
    for (const auto& h : hits) scored.emplace_back(h.score, h.id);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<MemoryHit> results;
  std::shared_lock lock(mu_);
  for (const auto& [score, id] : scored) {
    if (results.size() >= k) break;
    auto it = memories_.find(id);
    if (it == memories_.end() || it->second.deleted()) continue;
    results.push_back(MemoryHit{it->second, score});
  }
  return results;
}

MemoryStats MemoryStore::Stats() const {
  std::shared_lock lock(mu_);
  MemoryStats st;
  for (const auto& [id, m] : memories_)
    if (!m.deleted()) ++st.live;
  st.memories = memories_.size();
  st.versions = versions_;
  st.subjects = by_subject_.size();
  st.model = options_.model;
  st.update_threshold = options_.update_threshold;
  st.index = index_->Info();
  return st;
}

}  // namespace lakehouse
