#include "validate/iterate_run.h"

#include <cmath>

#include "core/clock.h"
#include "storage/kb_log.h"

namespace lakehouse {
namespace {

Json RunLine(const IterateRequest& ir, const Result<IterateResult>& result,
             const std::string& default_model, const std::string& request_id, Json* answer) {
  Json line = Json::object();
  line["schema"] = KbSchema(KbSource::kIterateRuns);
  line["run_id"] = ir.run_id;
  line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  line["request_id"] = request_id;
  line["kind"] = ir.kind;
  line["task"] = ir.task;
  line["prompt"] = result.ok() ? TurnsJson(result->prompt) : Json(nullptr);
  line["requested_model"] = ir.model.empty() ? default_model : ir.model;
  line["max_attempts"] = ir.max_attempts;
  if (result.ok()) {
    *answer = result->ToJson(ir);
    line["model"] = (*answer)["model"];
    line["attempts"] = (*answer)["attempts"];
    line["attempt_count"] = (*answer)["attempts"].size();
    line["valid"] = (*answer)["valid"];
    line["final"] = (*answer)["final"];
    line["error"] = answer->value("error", Json(nullptr));
  } else {
    line["model"] = nullptr;
    line["attempts"] = Json::array();
    line["attempt_count"] = 0;
    line["valid"] = false;
    line["final"] = nullptr;
    line["error"] = ErrorJson(result.status())["error"];
  }
  return line;
}

// A fill run for an order the roster knows: what it proposed last, and how that validated.
Status RecordSteps(OrderStepLog& steps, const IterateRequest& ir, const IterateResult& result,
                   const Roster& roster, const std::string& request_id) {
  const std::string order_id = ir.task.value("order_id", "");
  if (roster.FindOrder(order_id) == nullptr) return Status::OK();
  const IterateAttempt& last = result.attempts.back();
  Json proposal = last.extracted.is_object() ? last.extracted.value("worker_ids", Json()) : Json();
  PathwayStep proposed{"proposed",
                       Json{{"run_id", ir.run_id},
                            {"model", result.model},
                            {"worker_ids", proposal.is_array() ? proposal : Json::array()}},
                       "iterate", request_id};
  PathwayStep validated{"validated",
                        Json{{"run_id", ir.run_id},
                             {"valid", result.valid},
                             {"attempts", result.attempts.size()},
                             {"errors", last.verdict.errors.size()}},
                        "iterate", request_id};
  return steps.RecordSteps(order_id, {proposed, validated});
}

}  // namespace

Result<Json> RecordIterateRun(const IterateRunDeps& d, const IterateRequest& ir,
                              const IterateChatFn& chat, const std::string& default_model,
                              const std::string& request_id, int* http_status) {
  const auto start = std::chrono::steady_clock::now();
  LH_ASSIGN_OR_RETURN(auto roster, d.roster->Require());
  auto on_attempt = [&](const IterateAttempt& a) {
    if (d.kb == nullptr) return;
    d.kb->Append(
        KbSource::kValidations,
        ValidationKbRecord(ir.kind, a.extracted, a.verdict, roster->stats(), "iterate", request_id,
                           ir.run_id, static_cast<int64_t>(a.latency_ms * 1000)));
  };
  auto result = RunIterate(ir, *roster, *d.validators, chat, on_attempt);
  Json answer;
  Json line = RunLine(ir, result, default_model, request_id, &answer);
  line["latency_ms"] = std::round(static_cast<double>(MicrosSince(start))) / 1000;
  if (d.kb != nullptr) d.kb->Append(KbSource::kIterateRuns, line);
  if (!result.ok()) return result.status();
  if (ir.kind == "fill" && d.steps != nullptr && !result->attempts.empty())
    LH_RETURN_IF_ERROR(RecordSteps(*d.steps, ir, *result, *roster, request_id));
  // A chat failure before any attempt is that failure; after some, the run says it.
  if (result->error && result->attempts.empty()) return *result->error;
  if (http_status != nullptr) *http_status = result->error ? result->error->http_status() : 200;
  return answer;
}

}  // namespace lakehouse
