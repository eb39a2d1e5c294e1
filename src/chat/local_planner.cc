#include "chat/local_planner.h"

#include <fmt/format.h>

#include "core/clock.h"
#include "validate/extract_json.h"

namespace lakehouse {
namespace {

std::string LongDate(int32_t day) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  const CivilDate d = CivilFromDays(day);
  return fmt::format("{} {}, {}", kMonths[d.month - 1], d.day, d.year);
}

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

Result<std::string> TaskString(const Json& task, const char* field) {
  auto it = task.find(field);
  if (it == task.end() || !it->is_string())
    return Status::InvalidArgument(fmt::format("task field '{}' must be a string", field));
  return it->get<std::string>();
}

const char* kHelp =
    "I am local/planner, the offline planner. I answer staffing tasks from the roster. Send a "
    "user message with a JSON object such as {\"kind\": \"fill\", \"task\": {\"order_id\": "
    "\"O000123\"}}, {\"kind\": \"email\", \"task\": {\"order_id\": \"O000123\", \"worker_id\": "
    "\"W0000042\"}} or {\"kind\": \"playbook\", \"task\": {\"order_id\": \"O000123\"}}.";

}  // namespace

Result<Json> LocalPlanner::Plan(std::string_view kind, const Json& task) const {
  if (!task.is_object()) return Status::InvalidArgument("task must be an object");
  LH_ASSIGN_OR_RETURN(auto roster, roster_.Require());
  LH_ASSIGN_OR_RETURN(std::string order_id, TaskString(task, "order_id"));
  const OrderRecord* order = roster->FindOrder(order_id);

  if (kind == "fill") {
    Json ids = Json::array();
    if (order != nullptr) {
      const int64_t open = order->headcount - roster->FilledCount(order_id);
      for (const FillCandidate& c : validators_.FillCandidates(*roster, *order)) {
        if (static_cast<int64_t>(ids.size()) >= open) break;
        ids.push_back(std::string(roster->Worker(c.worker).worker_id));
      }
    }
    return Json{{"order_id", order_id}, {"worker_ids", ids}};
  }
  if (kind == "email") {
    LH_ASSIGN_OR_RETURN(std::string worker_id, TaskString(task, "worker_id"));
    auto idx = roster->FindWorker(worker_id);
    if (order == nullptr || !idx) {
      return Json{{"to", ""},
                  {"subject", ""},
                  {"body", ""},
                  {"worker_id", worker_id},
                  {"order_id", order_id}};
    }
    const WorkerView w = roster->Worker(*idx);
    std::string subject = fmt::format("{} - {} shift in {}, {} from {}", Capitalized(order->role),
                                      Capitalized(order->shift), order->city, order->state,
                                      LongDate(order->start_day));
    std::string body = fmt::format(
        "Hi {},\n\n{} is looking for a {} in {}, {} on the {} shift, starting {} and running "
        "through {}. The pay is ${:.2f}/hr.\n\nYour experience as a {} makes you a good match. "
        "Reply YES to be considered, or let us know if the timing does not work for you.\n\n"
        "Thanks,\nThe staffing team",
        w.first_name, order->client_name, order->role, order->city, order->state, order->shift,
        LongDate(order->start_day), LongDate(order->end_day), order->pay_rate, w.role);
    return Json{{"to", std::string(w.email)},
                {"subject", subject},
                {"body", body},
                {"worker_id", worker_id},
                {"order_id", order_id}};
  }
  if (kind == "playbook") {
    const std::string role = order ? order->role : "";
    auto step = [&](const char* tool) {
      return Json{{"tool", tool}, {"args", {{"order_id", order_id}}}};
    };
    Json steps = Json::array();
    steps.push_back(Json{{"tool", "retrieve"},
                         {"args",
                          {{"query", order ? fmt::format("{} {} shift near {}, {}", role,
                                                         order->shift, order->city, order->state)
                                           : order_id}}}});
    for (const char* t : {"propose_fill", "validate_fill", "draft_email", "validate_email",
                          "send_email", "commit_fill"})
      steps.push_back(step(t));
    return Json{{"name", order ? fmt::format("{} {} shift fill in {}, {}", role, order->shift,
                                             order->city, order->state)
                               : "fill " + order_id},
                {"role", role},
                {"steps", steps}};
  }
  return Status::InvalidArgument(
      fmt::format("local/planner does not plan '{}' tasks (fill, email, playbook)", kind));
}

ProviderCall LocalPlanner::Stream(const ChatRequest& request, const ChatDeltaSink& sink) {
  ProviderCall call = Complete(request);
  if (call.result.ok()) {
    for (std::string_view piece : TextPieces(call.result->content))
      if (!sink(piece)) break;
  }
  return call;
}

ProviderCall LocalPlanner::Complete(const ChatRequest& request) {
  ProviderCall call;
  int64_t prompt_tokens = 0;
  std::optional<Json> task_message;
  for (const auto& m : request.messages) {
    prompt_tokens += ApproxTokens(m.content);
    if (task_message || m.role != "user") continue;
    auto v = ExtractJson(m.content);
    if (v && v->contains("kind") && (*v)["kind"].is_string() && v->contains("task"))
      task_message = v;
  }
  ChatReply reply;
  if (!task_message) {
    reply.content = kHelp;
  } else {
    auto plan = Plan((*task_message)["kind"].get<std::string>(), (*task_message)["task"]);
    if (!plan.ok()) {
      // The roster being unavailable is the provider's failure; a bad task is the answer.
      if (plan.status().code() == ErrorCode::kUnavailable) {
        call.result = Status::Unavailable("local/planner: " + plan.status().message());
        return call;
      }
      reply.content = "I cannot plan this task: " + plan.status().message();
    } else {
      reply.content = "```json\n" + plan->dump(2) + "\n```";
    }
  }
  reply.usage.prompt_tokens = prompt_tokens;
  reply.usage.completion_tokens = ApproxTokens(reply.content);
  call.result = std::move(reply);
  return call;
}

}  // namespace lakehouse
