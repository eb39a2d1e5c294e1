#include "journal/kb_events.h"

namespace lakehouse {
namespace {

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Json Field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() ? *it : Json(nullptr);
}

// {"Consistency": {"field", "reason"}} errors -> counts by kind and "Kind: field: reason".
void Summarise(const Json& errors, Json& payload) {
  Json kinds = Json::object();
  Json reasons = Json::array();
  if (errors.is_array()) {
    for (const auto& e : errors) {
      if (!e.is_object() || e.empty()) continue;
      const std::string kind = e.begin().key();
      kinds[kind] = kinds.value(kind, 0) + 1;
      if (reasons.size() < 5) {
        const Json& detail = e.begin().value();
        std::string reason = detail.value("reason", "");
        if (reason.size() > 120) reason.resize(120);
        reasons.push_back(kind + ": " + detail.value("field", "") + ": " + reason);
      }
    }
  }
  payload["error_kinds"] = std::move(kinds);
  payload["reasons"] = std::move(reasons);
}

}  // namespace

std::optional<JournalEvent> EventFromKbLine(KbSource source, const Json& l) {
  const KbSourceInfo& info = KbSourceOf(source);
  if (info.event.empty()) return std::nullopt;
  JournalEvent e;
  e.type = std::string(info.event);
  e.trace_id = Str(l, "request_id");
  Json& p = e.payload;
  switch (source) {
    case KbSource::kValidations:
      e.subject = Str(l, "kind");
      p["kind"] = e.subject;
      p["origin"] = Field(l, "origin");
      p["run_id"] = Field(l, "run_id");
      p["valid"] = Field(l, "valid");
      Summarise(Field(l, "errors"), p);
      p["elapsed_us"] = Field(l, "elapsed_us");
      break;
    case KbSource::kChatTurns:
      e.subject =
          l.value("model", Json()).is_string() ? Str(l, "model") : Str(l, "requested_model");
      p["requested_model"] = Field(l, "requested_model");
      p["provider"] = Field(l, "provider");
      p["origin"] = Field(l, "origin");
      p["ok"] = Field(l, "ok");
      p["latency_ms"] = Field(l, "latency_ms");
      p["attempts"] = Field(l, "attempts");
      p["usage"] = Field(l, "usage");
      p["error"] = Field(l, "error");
      break;
    case KbSource::kIterateRuns:
      e.subject = Str(l, "kind");
      p["run_id"] = Field(l, "run_id");
      p["model"] = Field(l, "model");
      p["valid"] = Field(l, "valid");
      p["attempt_count"] = Field(l, "attempt_count");
      p["latency_ms"] = Field(l, "latency_ms");
      break;
    case KbSource::kRetrievals:
      e.subject = l.value("role", Json()).is_string() ? Str(l, "role") : "";
      p["query"] = Field(l, "query");
      p["corpora"] = Field(l, "corpora");
      p["results"] = l.contains("results") && l["results"].is_array() ? l["results"].size() : 0;
      p["gated"] = Field(l, "gated");
      p["latency_ms"] = Field(l, "latency_ms");
      break;
    case KbSource::kPathwayTraces:
      e.subject = "order:" + Str(l, "order_id");
      p["step"] = Field(l, "step");
      p["version"] = Field(l, "version");
      p["source"] = Field(l, "source");
      break;
    case KbSource::kPlaybooks:
      e.type = "playbook." + Str(l, "op");  // the table's "playbook.<op>"
      e.subject = "order:" + Str(l, "order_id");
      p["playbook_id"] = Field(l, "playbook_id");
      p["valid"] = l.contains("valid") ? l["valid"] : Json(true);
      break;
    case KbSource::kTruthClaims:
      e.subject = Str(l, "subject");
      p["attribute"] = Field(l, "attribute");
      p["source"] = Field(l, "source");
      p["value"] = Field(l, "value");
      break;
    case KbSource::kFills:
    case KbSource::kEmails:
      e.subject = "order:" + Str(l, "order_id");
      p["id"] = Field(l, source == KbSource::kFills ? "fill_id" : "email_id");
      p["valid"] = Field(l, "valid");
      Summarise(Field(l, "errors"), p);
      if (const std::string op = Str(l, "op"); op == "cancel" || op == "end") {
        // A fill's status change: fill.cancel / fill.end.
        e.type = "fill." + op;
        p["status"] = Field(l, "status");
        p["worker_ids"] = Field(l, "worker_ids");
      }
      break;
    case KbSource::kFeedback:
      e.subject = Str(l, "target");
      p["id"] = Field(l, "id");
      p["rating"] = Field(l, "rating");
      p["flag"] = Field(l, "flag");
      break;
    case KbSource::kReplayRuns:
      e.subject = Str(l, "run_id");
      p["model"] = Field(l, "model");
      p["valid"] = l.contains("validation") && l["validation"].is_object()
                       ? l["validation"].value("valid", Json(false))
                       : Json(false);
      p["latency_ms"] = Field(l, "latency_ms");
      break;
    case KbSource::kObserverEvents:
      return std::nullopt;
  }
  return e;
}

}  // namespace lakehouse
