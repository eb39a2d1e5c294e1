#include "validate/validators.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/text.h"
#include "staffing/taxonomy.h"
#include "storage/kb_sources.h"
#include "validate/text_scan.h"
#include "validate/validator_checks.h"

namespace lakehouse {

using namespace textscan;
using namespace validator_checks;

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSchema:
      return "Schema";
    case ErrorKind::kConsistency:
      return "Consistency";
    case ErrorKind::kPolicy:
      return "Policy";
    case ErrorKind::kParse:
      return "Parse";
  }
  return "Schema";
}

Json ValidationError::ToJson() const {
  Json inner = Json::object();
  inner["field"] = field;
  inner["reason"] = reason;
  Json j = Json::object();
  j[std::string(ErrorKindName(kind))] = std::move(inner);
  return j;
}

Json Verdict::ErrorsJson() const {
  Json arr = Json::array();
  for (const auto& e : errors) arr.push_back(e.ToJson());
  return arr;
}

Json Verdict::ToJson() const {
  Json j = Json::object();
  j["valid"] = valid();
  j["errors"] = ErrorsJson();
  return j;
}

std::vector<std::string> ValidatorOptions::DefaultForbiddenPhrases() {
  return {
      "guaranteed hours", "guaranteed placement", "guaranteed job",         "no background check",
      "cash only",        "paid in cash",         "under the table",        "off the books",
      "act now",          "no questions asked",   "young and energetic",    "must be under",
      "citizens only",    "immigration status",   "green card holders only"};
}

Json ValidationKbRecord(std::string_view kind, const Json& payload, const Verdict& verdict,
                        const RosterStats& roster, std::string_view origin,
                        std::string_view request_id, std::string_view run_id, int64_t elapsed_us) {
  Json j = Json::object();
  j["schema"] = KbSchema(KbSource::kValidations);
  j["id"] = "val_" + NextRequestId();
  j["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  j["origin"] = origin;
  j["request_id"] = request_id;
  j["run_id"] = run_id.empty() ? Json(nullptr) : Json(run_id);
  j["kind"] = kind;
  j["payload"] = payload;
  j["valid"] = verdict.valid();
  j["errors"] = verdict.ErrorsJson();
  j["roster_versions"] = RosterVersionsJson(roster);
  j["elapsed_us"] = elapsed_us;
  return j;
}

Json RosterVersionsJson(const RosterStats& roster) {
  return Json{{"workers", roster.workers_version},
              {"job_orders", roster.job_orders_version},
              {"fills", roster.fills_version}};
}

bool IsValidatorKind(std::string_view kind) {
  return kind == "fill" || kind == "email" || kind == "playbook";
}

const std::vector<PlaybookTool>& PlaybookTools() {
  static const std::vector<PlaybookTool> tools = {
      {"retrieve", {"query"}, "search the roster and past work for candidates"},
      {"sql", {"sql"}, "run a read-only SQL query over the datasets"},
      {"propose_fill", {"order_id"}, "pick workers for the order"},
      {"validate_fill", {"order_id"}, "run the Fill validator on the proposal"},
      {"draft_email", {"order_id"}, "write outreach emails to the proposed workers"},
      {"validate_email", {"order_id"}, "run the Email validator on every draft"},
      {"send_email", {"order_id"}, "send the validated emails"},
      {"commit_fill", {"order_id"}, "record the validated fill in the ledger"},
  };
  return tools;
}

Validators::Validators(ValidatorOptions options) : options_(std::move(options)) {
  if (options_.forbidden_phrases.empty())
    options_.forbidden_phrases = ValidatorOptions::DefaultForbiddenPhrases();
  for (auto& p : options_.forbidden_phrases) p = AsciiLower(p);
}

Result<Verdict> Validators::Validate(const Roster& roster, std::string_view kind,
                                     const Json& payload) const {
  if (!IsValidatorKind(kind)) {
    return Status::InvalidArgument(
        fmt::format("unknown validator kind '{}'; expected fill, email or playbook", kind));
  }
  if (!payload.is_object()) {
    return Status::InvalidArgument(
        fmt::format("field 'payload' must be an object, got {}", JsonTypeName(payload)));
  }
  if (kind == "fill") return Fill(roster, payload);
  if (kind == "email") return Email(roster, payload);
  return Playbook(payload);
}

std::string Validators::RulesText(std::string_view kind) const {
  if (kind == "fill") {
    return fmt::format(
        "Answer with one JSON object {{\"order_id\": string, \"worker_ids\": [string, ...]}}.\n"
        "A fill is valid only when:\n"
        "- the order exists and its status is open;\n"
        "- every worker_id exists in the roster and appears once;\n"
        "- every worker is active (not barred from placement), available, and has exactly the "
        "order's role;\n"
        "- every worker's shift preference is the order's shift or any;\n"
        "- every worker holds all of the order's required certifications;\n"
        "- every worker lives within {:g} miles of the order;\n"
        "- no worker is already booked in the fills ledger on dates that overlap the order;\n"
        "- the number of workers plus those already filled is at most the order's headcount.",
        options_.radius_miles);
  }
  if (kind == "email") {
    return fmt::format(
        "Answer with one JSON object {{\"to\", \"subject\", \"body\", \"worker_id\", "
        "\"order_id\"}} (all strings).\n"
        "An outreach email is valid only when:\n"
        "- `to` is the worker's roster email address;\n"
        "- the subject is at most {} characters and the body {} to {} characters;\n"
        "- it contains no placeholders such as {{{{name}}}} or [NAME]: write the real values;\n"
        "- it names no other worker and contains no other worker's email or phone;\n"
        "- any shift, date, city and hourly pay it mentions are the order's own;\n"
        "- it makes no promises or discriminatory statements (e.g. guaranteed hours, cash "
        "only, no background check).",
        options_.subject_max_chars, options_.body_min_chars, options_.body_max_chars);
  }
  std::string tools;
  for (const auto& t : PlaybookTools()) {
    std::string args;
    for (auto a : t.required_args) args += (args.empty() ? "" : ", ") + std::string(a);
    tools += fmt::format("- {} (args: {}): {}\n", t.name, args, t.purpose);
  }
  return fmt::format(
      "Answer with one JSON object {{\"name\": string, \"role\": string, \"steps\": [{{\"tool\": "
      "string, \"args\": object}}, ...]}}.\n"
      "Tools:\n{}"
      "Rules: the role is a known staffing role; 1 to {} steps; validate_fill comes after "
      "propose_fill and commit_fill after validate_fill; validate_email comes after draft_email "
      "and send_email after validate_email (validate before send).",
      tools, options_.playbook_max_steps);
}

}  // namespace lakehouse
