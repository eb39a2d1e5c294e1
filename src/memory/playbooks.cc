#include "memory/playbooks.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/fields.h"
#include "retrieve/matrix.h"

namespace lakehouse {
namespace {

constexpr int64_t kCandidatesPerScope = 20;
const char* const kReplayable[] = {"filled", "partial"};

// Replaces every occurrence of `from` in the strings of `j` (args may name the old order
// inside a SQL text or a note).
Json ReplaceInStrings(Json j, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return j;
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
    return s;
  }
  if (j.is_array() || j.is_object()) {
    for (auto& v : j) v = ReplaceInStrings(std::move(v), from, to);
  }
  return j;
}

std::string RetrieveQuery(const OrderRecord& o) {
  return fmt::format("{} {} shift near {}, {}", o.role, o.shift, o.city, o.state);
}

// Parses the outcome: "filled" or {"status": "filled", "filled": 12, "notes": "..."}.
Result<Json> ParseOutcome(const Json& body) {
  auto it = body.find("outcome");
  if (it == body.end() || it->is_null())
    return Status::InvalidArgument("field 'outcome' is required");
  Json outcome = it->is_string() ? Json{{"status", *it}} : *it;
  if (!outcome.is_object())
    return Status::InvalidArgument(
        "field 'outcome' must be a status string or an object {status, filled?, notes?}");
  LH_ASSIGN_OR_RETURN(std::string status, RequiredString(outcome, "status"));
  if (status != "filled" && status != "partial" && status != "failed")
    return Status::InvalidArgument(
        fmt::format("field 'outcome.status' must be filled, partial or failed, got '{}'", status));
  LH_ASSIGN_OR_RETURN(auto filled, OptionalInt(outcome, "filled"));
  if (filled && *filled < 0) return Status::InvalidArgument("field 'outcome.filled' must be >= 0");
  LH_ASSIGN_OR_RETURN(auto notes, OptionalString(outcome, "notes"));
  if (notes && notes->size() > 2000)
    return Status::InvalidArgument("field 'outcome.notes' is longer than 2000 bytes");
  Json out = Json::object();
  out["status"] = status;
  out["filled"] = filled ? Json(*filled) : Json(nullptr);
  out["notes"] = notes ? Json(*notes) : Json(nullptr);
  return out;
}

double Round6(double x) {
  return std::round(x * 1e6) / 1e6;
}

}  // namespace

std::string HeadcountBand(int64_t h) {
  if (h <= 1) return "1";
  if (h <= 4) return "2-4";
  if (h <= 9) return "5-9";
  if (h <= 24) return "10-24";
  return "25+";
}

Json PlaybookSignature(const OrderRecord& o) {
  Json s = Json::object();
  s["role"] = o.role;
  s["city"] = o.city;
  s["state"] = o.state;
  s["shift"] = o.shift;
  s["headcount_band"] = HeadcountBand(o.headcount);
  return s;
}

std::string PlaybookText(const Json& sig, const Json& steps, const std::string& outcome) {
  std::string tools;
  if (steps.is_array()) {
    for (const auto& s : steps)
      if (s.is_object() && s.contains("tool") && s["tool"].is_string())
        tools += (tools.empty() ? "" : ", ") + s["tool"].get<std::string>();
  }
  return fmt::format("{} playbook. {}, {}. {} shift. headcount {}. steps: {}. outcome: {}",
                     sig.value("role", ""), sig.value("city", ""), sig.value("state", ""),
                     sig.value("shift", ""), sig.value("headcount_band", ""), tools, outcome);
}

Result<std::shared_ptr<VectorIndex>> Playbooks::Index(bool create) {
  auto idx = vectors_.Get(kIndex);
  if (idx.ok() || !create) return idx;
  IndexSpec spec;
  spec.name = kIndex;
  spec.model = embed_.default_model();
  LH_ASSIGN_OR_RETURN(spec.dims, embed_.Dims(spec.model));
  if (spec.dims == 0) {
    LH_ASSIGN_OR_RETURN(auto probe, embed_.EmbedOne(spec.model, "playbook"));
    spec.dims = static_cast<int>(probe->vector.size());
  }
  auto created = vectors_.Create(spec);
  if (created.ok()) return created;
  return vectors_.Get(kIndex);  // created meanwhile by a concurrent record
}

Result<Json> Playbooks::Record(const Json& body, const std::string& request_id) {
  LH_ASSIGN_OR_RETURN(std::string order_id, RequiredString(body, "order_id"));
  LH_ASSIGN_OR_RETURN(Json outcome, ParseOutcome(body));
  auto steps_it = body.find("steps");
  if (steps_it == body.end() || steps_it->is_null())
    return Status::InvalidArgument("field 'steps' is required");
  LH_ASSIGN_OR_RETURN(auto name_given, OptionalString(body, "name"));
  LH_ASSIGN_OR_RETURN(auto roster, roster_.Require());
  const OrderRecord* order = roster->FindOrder(order_id);
  if (order == nullptr) return Status::NotFound(fmt::format("unknown order '{}'", order_id));

  const Json signature = PlaybookSignature(*order);
  Json playbook = Json::object();
  playbook["name"] = name_given && !name_given->empty()
                         ? *name_given
                         : fmt::format("{} {} shift fill in {}, {}", order->role, order->shift,
                                       order->city, order->state);
  playbook["role"] = order->role;
  playbook["steps"] = *steps_it;
  const Verdict verdict = validators_.Playbook(playbook);
  if (!verdict.valid()) {
    Json out = Json::object();
    out["valid"] = false;
    out["errors"] = verdict.ErrorsJson();
    out["order_id"] = order_id;
    return out;
  }

  LH_ASSIGN_OR_RETURN(auto index, Index(true));
  const std::string id = "pb_" + order_id;
  const bool replaced = index->Get(id).has_value();
  const std::string status = outcome["status"].get<std::string>();
  LH_ASSIGN_OR_RETURN(auto embedded, embed_.EmbedOne(index->spec().model,
                                                     PlaybookText(signature, *steps_it, status)));
  Json payload = Json::object();
  payload["playbook_id"] = id;
  payload["order_id"] = order_id;
  payload["name"] = playbook["name"];
  for (const auto& [k, v] : signature.items()) payload[k] = v;
  payload["headcount"] = order->headcount;
  payload["lat"] = order->lat;
  payload["lon"] = order->lon;
  payload["outcome"] = status;
  payload["outcome_detail"] = outcome;
  payload["steps"] = *steps_it;
  payload["recorded_at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  payload["request_id"] = request_id;
  LH_RETURN_IF_ERROR(index->Upsert({VectorItem{id, embedded->vector, payload, 0}}));
  const auto stored = index->Get(id);
  const uint64_t version = stored ? stored->version : 0;

  Json out = Json::object();
  out["valid"] = true;
  out["errors"] = Json::array();
  out["playbook_id"] = id;
  out["version"] = version;
  out["replaced"] = replaced;
  out["order_id"] = order_id;
  out["signature"] = signature;
  out["playbook"] = playbook;
  out["outcome"] = outcome;
  if (kb_ != nullptr) {
    Json line = Json{{"schema", KbSchema(KbSource::kPlaybooks)},
                     {"op", "record"},
                     {"at", payload["recorded_at"]},
                     {"request_id", request_id}};
    for (const char* key :
         {"playbook_id", "version", "order_id", "signature", "playbook", "outcome"})
      line[key] = out[key];
    kb_->Append(KbSource::kPlaybooks, line);
  }
  return out;
}

Result<Json> Playbooks::Get(const std::string& playbook_id) const {
  auto idx = vectors_.Get(kIndex);
  if (!idx.ok()) return Status::NotFound(fmt::format("playbook '{}' not found", playbook_id));
  auto item = (*idx)->Get(playbook_id);
  if (!item) return Status::NotFound(fmt::format("playbook '{}' not found", playbook_id));
  Json out = item->payload;
  out["version"] = item->version;
  return out;
}

Result<Json> Playbooks::Replay(const Json& body, const std::string& request_id) {
  const auto start = std::chrono::steady_clock::now();
  LH_ASSIGN_OR_RETURN(std::string order_id, RequiredString(body, "order_id"));
  LH_ASSIGN_OR_RETURN(auto roster, roster_.Require());
  const OrderRecord* order = roster->FindOrder(order_id);
  if (order == nullptr) return Status::NotFound(fmt::format("unknown order '{}'", order_id));
  const Json signature = PlaybookSignature(*order);
  auto index = Index(false);
  if (!index.ok())
    return Status::NotFound("no playbook has been recorded yet (POST /v1/playbooks/record)");

  // Candidates: the role's replayable playbooks, gathered per signature scope so the best
  // signature match is among them whatever the similarity ranks first.
  LH_ASSIGN_OR_RETURN(
      auto query,
      embed_.EmbedOne((*index)->spec().model, PlaybookText(signature, Json::array(), "filled")));
  const Json base =
      Json{{"role", order->role}, {"outcome", {{"in", {kReplayable[0], kReplayable[1]}}}}};
  std::map<std::string, SearchHit> found;
  for (const Json& scope :
       {Json{{"city", order->city}, {"state", order->state}}, Json{{"state", order->state}},
        Json{{"shift", order->shift}}, Json::object()}) {
    Json f = base;
    for (const auto& [k, v] : scope.items()) f[k] = v;
    LH_ASSIGN_OR_RETURN(auto filter, PayloadFilter::Compile(f));
    LH_ASSIGN_OR_RETURN(auto hits, (*index)->Search(query->vector, kCandidatesPerScope, 0, filter));
    for (auto& h : hits) found.emplace(h.id, std::move(h));
  }
  if (found.empty())
    return Status::NotFound(fmt::format(
        "no replayable playbook (outcome filled or partial) for role '{}'", order->role));
  auto points = [&](const Json& p) {
    int n = 0;
    if (p.value("state", "") == order->state) n += p.value("city", "") == order->city ? 4 : 2;
    if (p.value("shift", "") == order->shift) n += 2;
    if (p.value("headcount_band", "") == signature["headcount_band"]) n += 1;
    return n;
  };
  // Most signature points, then the highest similarity, then id: deterministic.
  std::vector<const SearchHit*> ranked;
  for (const auto& [id, h] : found) ranked.push_back(&h);
  std::sort(ranked.begin(), ranked.end(), [&](const SearchHit* a, const SearchHit* b) {
    const int pa = points(a->payload), pb = points(b->payload);
    if (pa != pb) return pa > pb;
    return a->score != b->score ? a->score > b->score : a->id < b->id;
  });
  const SearchHit* best = ranked.front();
  const int best_points = points(best->payload);
  const Json& pb = best->payload;
  if (kb_ != nullptr) {
    // The search itself, like any retrieval made for a coordinator.
    RetrievalRecord rec;
    rec.request_id = request_id;
    rec.query = PlaybookText(signature, Json::array(), "filled");
    rec.role = order->role;
    rec.role_source = "given";
    rec.place = Json{{"city", order->city}, {"state", order->state}, {"scope", "signature"}};
    rec.shift = order->shift;
    rec.corpora = {kIndex};
    rec.k = kCandidatesPerScope;
    rec.filter = base;
    for (const SearchHit* h : ranked)
      rec.results.push_back(Json{{"corpus", kIndex}, {"id", h->id}, {"score", Round6(h->score)}});
    rec.per_corpus = Json{{kIndex, ranked.size()}};
    rec.latency_ms = std::round(static_cast<double>(MicrosSince(start))) / 1000;
    kb_->Append(KbSource::kRetrievals, rec.ToJson());
  }
  const std::string old_order = pb.value("order_id", "");

  // The fill this order gets: eligible workers, nearest first, up to the open headcount.
  Json worker_ids = Json::array();
  const int64_t open = order->headcount - roster->FilledCount(order_id);
  for (const FillCandidate& c : validators_.FillCandidates(*roster, *order)) {
    if (static_cast<int64_t>(worker_ids.size()) >= open) break;
    worker_ids.push_back(std::string(roster->Worker(c.worker).worker_id));
  }
  const Json fill = Json{{"order_id", order_id}, {"worker_ids", worker_ids}};

  // Instantiate the steps.
  Json steps = Json::array();
  for (const Json& step : pb.value("steps", Json::array())) {
    Json s = ReplaceInStrings(step, old_order, order_id);
    Json& args = s["args"];
    if (!args.is_object()) args = Json::object();
    const std::string tool = s.value("tool", "");
    if (tool == "retrieve") args["query"] = RetrieveQuery(*order);
    if (args.contains("order_id") || (tool != "retrieve" && tool != "sql"))
      args["order_id"] = order_id;
    if (tool == "propose_fill" || args.contains("worker_ids")) args["worker_ids"] = worker_ids;
    steps.push_back(std::move(s));
  }
  Json playbook = Json::object();
  playbook["name"] = fmt::format("{} {} shift fill in {}, {} (replay of {})", order->role,
                                 order->shift, order->city, order->state, best->id);
  playbook["role"] = order->role;
  playbook["steps"] = steps;
  const Verdict pv = validators_.Playbook(playbook);
  const Verdict fv = validators_.Fill(*roster, fill);

  // Each step's verdict: the playbook errors about it, and the fill's for the fill tools.
  Json answered_steps = Json::array();
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string prefix = fmt::format("steps[{}]", i);
    Json errors = Json::array();
    for (const auto& e : pv.errors)
      if (e.field == prefix || e.field.rfind(prefix + ".", 0) == 0) errors.push_back(e.ToJson());
    const std::string tool = steps[i].value("tool", "");
    if (tool == "propose_fill" || tool == "validate_fill" || tool == "commit_fill")
      for (const auto& e : fv.errors) errors.push_back(e.ToJson());
    Json s = steps[i];
    s["verdict"] = Json{{"valid", errors.empty()}, {"errors", errors}};
    answered_steps.push_back(std::move(s));
  }
  Json match = Json::object();
  match["city"] = pb.value("city", "") == order->city && pb.value("state", "") == order->state;
  match["state"] = pb.value("state", "") == order->state;
  match["shift"] = pb.value("shift", "") == order->shift;
  match["headcount_band"] = pb.value("headcount_band", "") == signature["headcount_band"];
  Json chosen = Json::object();
  chosen["id"] = best->id;
  chosen["order_id"] = old_order;
  chosen["name"] = pb.value("name", "");
  chosen["signature"] = Json{{"role", pb.value("role", "")},
                             {"city", pb.value("city", "")},
                             {"state", pb.value("state", "")},
                             {"shift", pb.value("shift", "")},
                             {"headcount_band", pb.value("headcount_band", "")}};
  chosen["outcome"] = pb.value("outcome", "");
  chosen["match"] = match;
  chosen["points"] = best_points;
  chosen["similarity"] = Round6(best->score);
  chosen["candidates"] = found.size();

  Json out = Json::object();
  out["order_id"] = order_id;
  out["signature"] = signature;
  out["playbook"] = chosen;
  out["steps"] = answered_steps;
  out["fill"] = fill;
  out["verdicts"] = Json{{"playbook", pv.ToJson()}, {"fill", fv.ToJson()}};
  out["valid"] = pv.valid() && fv.valid();

  if (pathways_ != nullptr) {
    PathwayStep proposed{"proposed", Json{{"playbook_id", best->id}, {"worker_ids", worker_ids}},
                         "playbook_replay", request_id};
    PathwayStep validated{"validated",
                          Json{{"valid", out["valid"]},
                               {"playbook_errors", pv.errors.size()},
                               {"fill_errors", fv.errors.size()}},
                          "playbook_replay", request_id};
    LH_RETURN_IF_ERROR(pathways_->RecordSteps(order_id, {proposed, validated}));
  }
  if (kb_ != nullptr) {
    Json line = Json::object();
    line["schema"] = KbSchema(KbSource::kPlaybooks);
    line["op"] = "replay";
    line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
    line["request_id"] = request_id;
    line["playbook_id"] = best->id;
    line["order_id"] = order_id;
    line["signature"] = signature;
    line["playbook"] = playbook;
    line["fill"] = fill;
    line["verdicts"] = out["verdicts"];
    line["valid"] = out["valid"];
    line["latency_ms"] = std::round(static_cast<double>(MicrosSince(start))) / 1000;
    kb_->Append(KbSource::kPlaybooks, line);
  }
  return out;
}

}  // namespace lakehouse
