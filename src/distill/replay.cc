#include "distill/replay.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "validate/extract_json.h"

namespace lakehouse::distill {

std::string ReplayQuery(const OrderRecord& o) {
  return fmt::format("{} {} shift in {}, {}", o.role, o.shift, o.city, o.state);
}

Result<Json> RunReplay(const IterateRequest& request, int64_t k, ReplayDeps& deps) {
  const auto start = std::chrono::steady_clock::now();
  const std::string run_id = "rpl_" + NextRequestId();
  const std::string order_id = request.task.value("order_id", std::string());
  const OrderRecord* order = deps.roster.FindOrder(order_id);
  if (order == nullptr)
    return Status::NotFound(fmt::format("order '{}' is not in the roster", order_id));

  // retrieve
  Json retrieved = Json::array();
  Json retrieve_error = nullptr;
  if (deps.retriever != nullptr) {
    RetrieveRequest rr;
    rr.query = ReplayQuery(*order);
    rr.role = order->role;
    rr.k = k;
    auto got = deps.retriever->Retrieve(rr, run_id);
    if (got.ok()) {
      for (const RetrievedItem& r : got->results) retrieved.push_back(r.BriefJson());
    } else {
      retrieve_error = got.status().ToString();
    }
  } else {
    retrieve_error = "no vector indexes open";
  }

  // bundle
  std::vector<IterateTurn> turns = BuildIteratePrompt(request, deps.roster, deps.validators);
  turns.back().content +=
      "\n\nRetrieved for this task (corpus, id, score):\n```json\n" + retrieved.dump(2) + "\n```";
  const Json messages = TurnsJson(turns);
  const std::string prompt_sha = Sha256Hex(DumpJson(messages));

  // chat
  ChatRequest cr;
  cr.model = request.model;
  for (const auto& t : turns) cr.messages.push_back({t.role, t.content});
  auto answer = deps.chat.Complete(cr, ChatCallContext{run_id, "replay", run_id});

  // validate
  Json extracted = nullptr, response = nullptr, model = nullptr, error = nullptr;
  Verdict verdict;
  if (answer.ok()) {
    response = answer->reply.content;
    model = answer->model;
    if (auto ex = ExtractJson(answer->reply.content)) {
      extracted = *ex;
      LH_ASSIGN_OR_RETURN(verdict, deps.validators.Validate(deps.roster, request.kind, *ex));
    } else {
      verdict.errors.push_back({ErrorKind::kParse, "output", "no JSON object found in the answer"});
    }
  } else {
    error = ErrorJson(answer.status())["error"];
    verdict.errors.push_back(
        {ErrorKind::kParse, "output", "the chat call failed: " + answer.status().message()});
  }
  Json line = Json::object();
  line["schema"] = KbSchema(KbSource::kReplayRuns);
  line["run_id"] = run_id;
  line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  line["task"] = Json{{"kind", request.kind}, {"task", request.task}};
  line["retrieved"] = retrieved;
  line["retrieve_error"] = retrieve_error;
  line["prompt_sha256"] = prompt_sha;
  line["messages"] = messages;
  line["model"] = model;
  line["response"] = response;
  line["extracted"] = extracted;
  line["validation"] = Json{{"valid", verdict.valid()}, {"errors", verdict.ErrorsJson()}};
  line["roster_versions"] = RosterVersionsJson(deps.roster.stats());
  line["latency_ms"] = std::round(static_cast<double>(MicrosSince(start))) / 1000;
  line["error"] = error;
  deps.kb.Append(KbSource::kReplayRuns, line);
  return line;
}

}  // namespace lakehouse::distill
