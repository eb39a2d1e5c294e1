#include "journal/kb_events.h"

namespace lakehouse {
namespace {

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
  e.trace_id = StringField(l, "request_id");
  Json& p = e.payload;
  switch (source) {
    case KbSource::kValidations:
      e.subject = StringField(l, "kind");
      p["kind"] = e.subject;
      p["origin"] = FieldOrNull(l, "origin");
      p["run_id"] = FieldOrNull(l, "run_id");
      p["valid"] = FieldOrNull(l, "valid");
      Summarise(FieldOrNull(l, "errors"), p);
      p["elapsed_us"] = FieldOrNull(l, "elapsed_us");
      break;
    case KbSource::kChatTurns:
      e.subject = l.value("model", Json()).is_string() ? StringField(l, "model")
                                                       : StringField(l, "requested_model");
      p["requested_model"] = FieldOrNull(l, "requested_model");
      p["provider"] = FieldOrNull(l, "provider");
      p["origin"] = FieldOrNull(l, "origin");
      p["ok"] = FieldOrNull(l, "ok");
      p["latency_ms"] = FieldOrNull(l, "latency_ms");
      p["attempts"] = FieldOrNull(l, "attempts");
      p["usage"] = FieldOrNull(l, "usage");
      p["error"] = FieldOrNull(l, "error");
      break;
    case KbSource::kIterateRuns:
      e.subject = StringField(l, "kind");
      p["run_id"] = FieldOrNull(l, "run_id");
      p["model"] = FieldOrNull(l, "model");
      p["valid"] = FieldOrNull(l, "valid");
      p["attempt_count"] = FieldOrNull(l, "attempt_count");
      p["latency_ms"] = FieldOrNull(l, "latency_ms");
      break;
    case KbSource::kRetrievals:
      e.subject = l.value("role", Json()).is_string() ? StringField(l, "role") : "";
      p["query"] = FieldOrNull(l, "query");
      p["corpora"] = FieldOrNull(l, "corpora");
      p["results"] = l.contains("results") && l["results"].is_array() ? l["results"].size() : 0;
      p["gated"] = FieldOrNull(l, "gated");
      p["latency_ms"] = FieldOrNull(l, "latency_ms");
      break;
    case KbSource::kPathwayTraces:
      e.subject = "order:" + StringField(l, "order_id");
      p["step"] = FieldOrNull(l, "step");
      p["version"] = FieldOrNull(l, "version");
      p["source"] = FieldOrNull(l, "source");
      break;
    case KbSource::kPlaybooks:
      e.type = "playbook." + StringField(l, "op");  // the table's "playbook.<op>"
      e.subject = "order:" + StringField(l, "order_id");
      p["playbook_id"] = FieldOrNull(l, "playbook_id");
      p["valid"] = l.contains("valid") ? l["valid"] : Json(true);
      break;
    case KbSource::kTruthClaims:
      e.subject = StringField(l, "subject");
      p["attribute"] = FieldOrNull(l, "attribute");
      p["source"] = FieldOrNull(l, "source");
      p["value"] = FieldOrNull(l, "value");
      break;
    case KbSource::kFills:
    case KbSource::kEmails:
      e.subject = "order:" + StringField(l, "order_id");
      p["id"] = FieldOrNull(l, source == KbSource::kFills ? "fill_id" : "email_id");
      p["valid"] = FieldOrNull(l, "valid");
      Summarise(FieldOrNull(l, "errors"), p);
      if (const std::string op = StringField(l, "op"); op == "cancel" || op == "end") {
        // A fill's status change: fill.cancel / fill.end.
        e.type = "fill." + op;
        p["status"] = FieldOrNull(l, "status");
        p["worker_ids"] = FieldOrNull(l, "worker_ids");
      }
      break;
    case KbSource::kFeedback:
      e.subject = StringField(l, "target");
      p["id"] = FieldOrNull(l, "id");
      p["rating"] = FieldOrNull(l, "rating");
      p["flag"] = FieldOrNull(l, "flag");
      break;
    case KbSource::kReplayRuns:
      e.subject = StringField(l, "run_id");
      p["model"] = FieldOrNull(l, "model");
      p["valid"] = l.contains("validation") && l["validation"].is_object()
                       ? l["validation"].value("valid", Json(false))
                       : Json(false);
      p["latency_ms"] = FieldOrNull(l, "latency_ms");
      break;
    case KbSource::kObserverEvents:
      return std::nullopt;
  }
  return e;
}

}  // namespace lakehouse
