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

std::optional<JournalEvent> EventFromKbLine(std::string_view source, const Json& l) {
  JournalEvent e;
  e.trace_id = Str(l, "request_id");
  Json& p = e.payload;
  if (source == "validations") {
    e.type = "validate";
    e.subject = Str(l, "kind");
    p["kind"] = e.subject;
    p["origin"] = Field(l, "origin");
    p["run_id"] = Field(l, "run_id");
    p["valid"] = Field(l, "valid");
    Summarise(Field(l, "errors"), p);
    p["elapsed_us"] = Field(l, "elapsed_us");
  } else if (source == "chat_turns") {
    e.type = "chat.call";
    e.subject = l.value("model", Json()).is_string() ? Str(l, "model") : Str(l, "requested_model");
    p["requested_model"] = Field(l, "requested_model");
    p["provider"] = Field(l, "provider");
    p["origin"] = Field(l, "origin");
    p["ok"] = Field(l, "ok");
    p["latency_ms"] = Field(l, "latency_ms");
    p["attempts"] = Field(l, "attempts");
    p["usage"] = Field(l, "usage");
    p["error"] = Field(l, "error");
  } else if (source == "iterate_runs") {
    e.type = "iterate.run";
    e.subject = Str(l, "kind");
    p["run_id"] = Field(l, "run_id");
    p["model"] = Field(l, "model");
    p["valid"] = Field(l, "valid");
    p["attempt_count"] = Field(l, "attempt_count");
    p["latency_ms"] = Field(l, "latency_ms");
  } else if (source == "retrievals") {
    e.type = "retrieve";
    e.subject = l.value("role", Json()).is_string() ? Str(l, "role") : "";
    p["query"] = Field(l, "query");
    p["corpora"] = Field(l, "corpora");
    p["results"] = l.contains("results") && l["results"].is_array() ? l["results"].size() : 0;
    p["gated"] = Field(l, "gated");
    p["latency_ms"] = Field(l, "latency_ms");
  } else if (source == "pathway_traces") {
    e.type = "pathway.step";
    e.subject = "order:" + Str(l, "order_id");
    p["step"] = Field(l, "step");
    p["version"] = Field(l, "version");
    p["source"] = Field(l, "source");
  } else if (source == "playbooks") {
    e.type = "playbook." + Str(l, "op");
    e.subject = "order:" + Str(l, "order_id");
    p["playbook_id"] = Field(l, "playbook_id");
    p["valid"] = l.contains("valid") ? l["valid"] : Json(true);
  } else if (source == "truth_claims") {
    e.type = "truth.claim";
    e.subject = Str(l, "subject");
    p["attribute"] = Field(l, "attribute");
    p["source"] = Field(l, "source");
    p["value"] = Field(l, "value");
  } else if (source == "fills" || source == "emails") {
    e.type = source == "fills" ? "fill.commit" : "email.send";
    e.subject = "order:" + Str(l, "order_id");
    p["id"] = Field(l, source == "fills" ? "fill_id" : "email_id");
    p["valid"] = Field(l, "valid");
    Summarise(Field(l, "errors"), p);
  } else if (source == "feedback") {
    e.type = "feedback";
    e.subject = Str(l, "target");
    p["id"] = Field(l, "id");
    p["rating"] = Field(l, "rating");
    p["flag"] = Field(l, "flag");
  } else if (source == "replay_runs") {
    e.type = "replay.run";
    e.subject = Str(l, "run_id");
    p["model"] = Field(l, "model");
    p["valid"] = l.contains("validation") && l["validation"].is_object()
                     ? l["validation"].value("valid", Json(false))
                     : Json(false);
    p["latency_ms"] = Field(l, "latency_ms");
  } else {
    return std::nullopt;
  }
  return e;
}

}  // namespace lakehouse
