#include "retrieve/corpora.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/thread_name.h"

namespace lakehouse {
namespace {

std::string Joined(const Json& ids) {
  std::string out;
  if (ids.is_array())
    for (const auto& x : ids)
      if (x.is_string()) out += (out.empty() ? "" : ", ") + x.get<std::string>();
  return out;
}

}  // namespace

CorpusFeeder::CorpusFeeder(EmbedService& embed, VectorStore& vectors, size_t max_queue)
    : embed_(embed), vectors_(vectors), max_queue_(max_queue) {
  thread_ = std::thread([this] { Loop(); });
  NameThread(thread_, "corpora");  // its CPU is visible apart in top -H and profiles
}

CorpusFeeder::~CorpusFeeder() {
  {
    MutexLock l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CorpusFeeder::Enqueue(Task task) {
  {
    MutexLock l(mu_);
    if (queue_.size() >= max_queue_) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_all();
}

void CorpusFeeder::Loop() {
  while (true) {
    Task task;
    {
      MutexLock l(mu_);
      cv_.wait(mu_, [this]() LH_REQUIRES(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Status st = task();
    if (!st.ok()) spdlog::warn("corpora: indexing a commit failed: {}", st.ToString());
    {
      MutexLock l(mu_);
      busy_ = false;
      (st.ok() ? indexed_ : failed_) += 1;
    }
    cv_.notify_all();
  }
}

void CorpusFeeder::Drain() {
  MutexLock l(mu_);
  cv_.wait(mu_, [this]() LH_REQUIRES(mu_) { return queue_.empty() && !busy_; });
}

Json CorpusFeeder::StatsJson() const {
  MutexLock l(mu_);
  return Json{
      {"queued", queue_.size()}, {"indexed", indexed_}, {"dropped", dropped_}, {"failed", failed_}};
}

Result<std::shared_ptr<VectorIndex>> CorpusFeeder::Corpus(const std::string& name) {
  auto idx = vectors_.Get(name);
  if (idx.ok() || idx.status().code() != ErrorCode::kNotFound) return idx;
  MutexLock l(create_mu_);
  idx = vectors_.Get(name);
  if (idx.ok()) return idx;
  IndexSpec spec;
  spec.name = name;
  spec.model = embed_.default_model();
  LH_ASSIGN_OR_RETURN(spec.dims, embed_.Dims(spec.model));
  LH_ASSIGN_OR_RETURN(auto created, vectors_.Create(spec));
  // Derived from the _kb lines and the memory log, which are the record: no fdatasync per
  // item (the _kb lines themselves are not synced one by one either).
  created->set_sync_writes(false);
  return created;
}

Status CorpusFeeder::Put(const std::string& corpus, const std::string& id, const std::string& text,
                         Json payload) {
  LH_ASSIGN_OR_RETURN(auto index, Corpus(corpus));
  LH_ASSIGN_OR_RETURN(auto e, embed_.EmbedOne(index->spec().model, text));
  VectorItem item;
  item.id = id;
  item.vector = e->vector;
  item.payload = std::move(payload);
  return index->Upsert({std::move(item)});
}

void CorpusFeeder::OfferKbLine(KbSource source, const Json& line) {
  if (source != KbSource::kFills && source != KbSource::kEmails) return;
  if (line.value("valid", false) != true) return;
  const Json order = FieldOrNull(line, "order");
  const std::string role = order.is_object() ? StringField(order, "role") : "";
  if (source == KbSource::kFills && !line.contains("op")) {
    std::string text =
        fmt::format("{} fill for order {} at {} in {}, {}, {} shift: workers {}", role,
                    StringField(line, "order_id"), StringField(order, "client_name"),
                    StringField(order, "city"), StringField(order, "state"),
                    StringField(order, "shift"), Joined(line["worker_ids"]));
    Json payload{{"order_id", StringField(line, "order_id")},
                 {"role", role},
                 {"city", StringField(order, "city")},
                 {"state", StringField(order, "state")},
                 {"shift", StringField(order, "shift")},
                 {"worker_ids", FieldOrNull(line, "worker_ids")},
                 {"status", "active"},
                 {"at", StringField(line, "at")}};
    Enqueue([this, id = StringField(line, "fill_id"), text = std::move(text),
             payload = std::move(payload)]() mutable {
      return Put("fills", id, text, std::move(payload));
    });
  } else if (source == KbSource::kFills) {
    // A status change: a fill cancelled for every worker leaves the corpus (it is no
    // precedent for anything); otherwise its payload follows (status, cancelled workers).
    Json changed = FieldOrNull(line, "worker_ids");
    Enqueue([this, id = StringField(line, "fill_id"), status = StringField(line, "status"),
             changed = std::move(changed)]() -> Status {
      auto index = vectors_.Get("fills");
      if (!index.ok()) return Status::OK();
      auto item = (*index)->Get(id);
      if (!item) return Status::OK();
      Json& p = item->payload;
      if (status == "cancelled") {
        Json cancelled = p.value("cancelled_worker_ids", Json::array());
        for (const auto& w : changed) cancelled.push_back(w);
        size_t placed = 0;
        for (const auto& w : p.value("worker_ids", Json::array()))
          placed += std::find(cancelled.begin(), cancelled.end(), w) == cancelled.end() ? 1 : 0;
        if (placed == 0) return (*index)->Delete(id).status();
        p["cancelled_worker_ids"] = std::move(cancelled);
      }
      p["status"] = status;
      return (*index)->Upsert({std::move(*item)});
    });
  } else {
    std::string text = StringField(line, "subject") + "\n\n" + StringField(line, "body");
    Json payload{{"order_id", StringField(line, "order_id")},
                 {"worker_id", StringField(line, "worker_id")},
                 {"role", role},
                 {"city", StringField(order, "city")},
                 {"state", StringField(order, "state")},
                 {"subject", StringField(line, "subject")},
                 {"at", StringField(line, "at")}};
    Enqueue([this, id = StringField(line, "email_id"), text = std::move(text),
             payload = std::move(payload)]() mutable {
      return Put("emails", id, text, std::move(payload));
    });
  }
}

void CorpusFeeder::OfferNote(const Json& memory) {
  const std::string id = StringField(memory, "id");
  if (id.empty()) return;
  if (memory.value("deleted", false) == true) {
    Enqueue([this, id]() -> Status {
      auto index = vectors_.Get("notes");
      if (!index.ok()) return Status::OK();
      return (*index)->Delete(id).status();
    });
    return;
  }
  Json payload{{"subject", StringField(memory, "subject")},
               {"source", FieldOrNull(memory, "source")},
               {"version", FieldOrNull(memory, "version")},
               {"text", StringField(memory, "text")}};
  Enqueue([this, id, text = StringField(memory, "text"), payload = std::move(payload)]() mutable {
    return Put("notes", id, text, std::move(payload));
  });
}

}  // namespace lakehouse
