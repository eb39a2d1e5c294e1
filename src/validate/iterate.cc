#include "validate/iterate.h"

#include <chrono>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "validate/extract_json.h"

namespace lakehouse {
namespace {

constexpr size_t kMaxCandidatesInPrompt = 30;

std::string ErrorsText(const Verdict& v);

}  // namespace

Json OrderJson(const OrderRecord& o) {
  Json certs = Json::array(), skills = Json::array();
  for (const auto& c : o.required_certifications) certs.push_back(c);
  for (const auto& s : o.required_skills) skills.push_back(s);
  return Json{{"order_id", o.order_id},
              {"client_name", o.client_name},
              {"role", o.role},
              {"headcount", o.headcount},
              {"shift", o.shift},
              {"start_date", FormatDate(CivilFromDays(o.start_day))},
              {"end_date", FormatDate(CivilFromDays(o.end_day))},
              {"city", o.city},
              {"state", o.state},
              {"pay_rate", o.pay_rate},
              {"required_certifications", certs},
              {"required_skills", skills},
              {"status", o.status}};
}

Json WorkerJson(const WorkerView& w) {
  return Json{
      {"worker_id", std::string(w.worker_id)}, {"first_name", std::string(w.first_name)},
      {"last_name", std::string(w.last_name)}, {"email", std::string(w.email)},
      {"role", std::string(w.role)},           {"city", std::string(w.city)},
      {"state", std::string(w.state)},         {"shift_pref", std::string(ShiftName(w.shift))}};
}

Json TurnsJson(const std::vector<IterateTurn>& turns) {
  Json out = Json::array();
  for (const auto& t : turns) out.push_back(Json{{"role", t.role}, {"content", t.content}});
  return out;
}

namespace {

std::string ErrorsText(const Verdict& v) {
  std::string out;
  for (const auto& e : v.errors) {
    out += fmt::format("- {} {}: {}\n", ErrorKindName(e.kind), e.field.empty() ? "-" : e.field,
                       e.reason);
  }
  return out;
}

}  // namespace

Result<IterateRequest> ParseIterateRequest(const Json& body) {
  IterateRequest r;
  LH_ASSIGN_OR_RETURN(r.kind, RequiredString(body, "kind"));
  if (!IsValidatorKind(r.kind)) {
    return Status::InvalidArgument(
        fmt::format("unknown kind '{}'; expected fill, email or playbook", r.kind));
  }
  auto task = body.find("task");
  if (task == body.end() || task->is_null())
    return Status::InvalidArgument("field 'task' is required");
  if (!task->is_object()) {
    return Status::InvalidArgument(
        fmt::format("field 'task' must be an object, got {}", JsonTypeName(*task)));
  }
  r.task = *task;
  // A task names its order (and an email's worker) and nothing else: the prompt is built
  // from the roster, and free-form text here would be copied into what a model is trained
  // on, past the distillation firewall's sight of who wrote it.
  for (const auto& [key, value] : task->items()) {
    if (key != "order_id" && !(key == "worker_id" && r.kind == "email")) {
      return Status::InvalidArgument(
          fmt::format("field 'task.{}' is not allowed: a {} task is {}", key, r.kind,
                      r.kind == "email" ? "{order_id, worker_id}" : "{order_id}"));
    }
  }
  std::vector<const char*> needed = {"order_id"};
  if (r.kind == "email") needed.push_back("worker_id");
  for (const char* f : needed) {
    auto it = task->find(f);
    if (it == task->end() || !it->is_string()) {
      return Status::InvalidArgument(
          fmt::format("field 'task.{}' must be a string for a {} task", f, r.kind));
    }
  }
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  r.model = model.value_or("");
  LH_ASSIGN_OR_RETURN(auto max, OptionalInt(body, "max_attempts"));
  r.max_attempts = max.value_or(3);
  if (r.max_attempts < 1 || r.max_attempts > 10)
    return Status::InvalidArgument("field 'max_attempts' must be 1..10");
  return r;
}

std::vector<IterateTurn> BuildIteratePrompt(const IterateRequest& request, const Roster& roster,
                                            const Validators& validators) {
  std::string system =
      "You are the staffing assistant of a staffing agency. You answer one task at a time "
      "with exactly one JSON object in a ```json fenced block and nothing that contradicts the "
      "roster.\n\n" +
      validators.RulesText(request.kind);
  Json context = Json::object();
  const std::string order_id = request.task.value("order_id", std::string());
  if (const OrderRecord* o = roster.FindOrder(order_id)) {
    context["order"] = OrderJson(*o);
    context["already_filled"] = roster.FilledCount(order_id);
    if (request.kind == "fill") {
      Json cands = Json::array();
      for (const FillCandidate& c : validators.FillCandidates(roster, *o)) {
        if (cands.size() >= kMaxCandidatesInPrompt) break;
        const WorkerView w = roster.Worker(c.worker);
        cands.push_back(Json{{"worker_id", std::string(w.worker_id)},
                             {"miles", std::round(c.miles * 10) / 10},
                             {"rating", std::round(w.rating * 10) / 10},
                             {"reliability", std::round(w.reliability * 1000) / 1000}});
      }
      context["eligible_candidates"] = cands;
    }
  }
  if (request.kind == "email") {
    if (auto w = roster.FindWorker(request.task.value("worker_id", std::string())))
      context["worker"] = WorkerJson(roster.Worker(*w));
  }
  std::string user = "Task:\n```json\n" +
                     Json{{"kind", request.kind}, {"task", request.task}}.dump(2) +
                     "\n```\n\nContext from the roster:\n```json\n" + context.dump(2) + "\n```";
  return {{"system", std::move(system)}, {"user", std::move(user)}};
}

Json IterateResult::ToJson(const IterateRequest& request) const {
  Json attempts_json = Json::array();
  for (const auto& a : attempts) {
    attempts_json.push_back(Json{{"raw", a.raw},
                                 {"extracted", a.extracted},
                                 {"errors", a.verdict.ErrorsJson()},
                                 {"latency_ms", std::round(a.latency_ms * 1000) / 1000},
                                 {"model", a.model}});
  }
  Json out{{"run_id", run_id}, {"kind", request.kind},      {"model", model},
           {"valid", valid},   {"attempts", attempts_json}, {"final", final}};
  if (error) out["error"] = ErrorJson(*error)["error"];
  return out;
}

Result<IterateResult> RunIterate(const IterateRequest& request, const Roster& roster,
                                 const Validators& validators, const IterateChatFn& chat,
                                 const std::function<void(const IterateAttempt&)>& on_attempt) {
  IterateResult result;
  result.run_id = request.run_id.empty() ? "run_" + NextRequestId() : request.run_id;
  result.final = nullptr;
  std::vector<IterateTurn> turns = BuildIteratePrompt(request, roster, validators);
  result.prompt = turns;
  for (int64_t n = 0; n < request.max_attempts; ++n) {
    const auto t0 = std::chrono::steady_clock::now();
    auto called = chat(turns, request.model);
    if (!called.ok()) {
      result.error = called.status();
      break;
    }
    IterateChatAnswer answer = std::move(called).value();
    IterateAttempt attempt;
    attempt.latency_ms = static_cast<double>(MicrosSince(t0)) / 1000.0;
    attempt.raw = answer.content;
    attempt.model = answer.model;
    result.model = answer.model;
    auto extracted = ExtractJson(answer.content);
    if (!extracted) {
      attempt.extracted = nullptr;
      attempt.verdict.errors.push_back(
          {ErrorKind::kParse, "output", "no JSON object found in the answer"});
    } else {
      attempt.extracted = *extracted;
      LH_ASSIGN_OR_RETURN(attempt.verdict, validators.Validate(roster, request.kind, *extracted));
    }
    if (on_attempt) on_attempt(attempt);
    const bool ok = attempt.verdict.valid();
    turns.push_back({"assistant", answer.content});
    if (!ok) {
      turns.push_back({"user",
                       "That answer is not valid. Fix every error below and answer again "
                       "with one JSON object in a ```json block.\nErrors:\n" +
                           ErrorsText(attempt.verdict)});
    }
    result.attempts.push_back(std::move(attempt));
    if (ok) {
      result.valid = true;
      result.final = result.attempts.back().extracted;
      break;
    }
  }
  // Exhausted (or cut short): the last output, so a coordinator sees what was tried.
  if (!result.valid && !result.attempts.empty()) result.final = result.attempts.back().extracted;
  return result;
}

}  // namespace lakehouse
