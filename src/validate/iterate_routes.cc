// src/validate/iterate_routes.cc: POST /v1/iterate: the validate-and-retry loop over the
// chat dispatcher. Each attempt's validation goes to _kb/validations.jsonl (origin
// "iterate"), each chat call to _kb/chat_turns.jsonl, and the run to
// _kb/iterate_runs.jsonl (also when a chat call fails, with the error). A fill run for a
// known order also appends `proposed` and `validated` steps to the order's pathway trace.
#include "core/clock.h"
#include "core/ids.h"
#include "server/module.h"
#include "server/services.h"
#include "validate/iterate.h"

namespace lakehouse {
namespace {

class IterateModule final : public Module {
 public:
  std::string Name() const override { return "iterate"; }
  std::string Service() const override { return "validate"; }

  void RegisterRoutes(Router& router, Services& services) override {
    router.Add("POST", "/v1/iterate", [&services](HttpRequest& req) {
      const auto start = std::chrono::steady_clock::now();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(IterateRequest ir, ParseIterateRequest(body));
      LH_HTTP_ASSIGN(auto roster, services.roster->Require());
      ir.run_id = "run_" + req.request_id;
      auto chat = [&](const std::vector<IterateTurn>& turns,
                      const std::string& model) -> Result<IterateChatAnswer> {
        ChatRequest cr;
        cr.model = model;
        for (const auto& t : turns) cr.messages.push_back({t.role, t.content});
        ChatCallContext ctx{req.request_id, "iterate", ir.run_id};
        LH_ASSIGN_OR_RETURN(ChatOutcome out, services.chat->Complete(cr, ctx));
        return IterateChatAnswer{std::move(out.reply.content), out.model};
      };
      auto on_attempt = [&](const IterateAttempt& a) {
        services.kb->Append("validations",
                            ValidationKbRecord(ir.kind, a.extracted, a.verdict, roster->stats(),
                                               "iterate", req.request_id, ir.run_id,
                                               static_cast<int64_t>(a.latency_ms * 1000)));
      };
      auto result = RunIterate(ir, *roster, *services.validators, chat, on_attempt);

      Json line = Json::object();
      line["schema"] = "iterate_run.v1";
      line["run_id"] = ir.run_id;
      line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      line["request_id"] = req.request_id;
      line["kind"] = ir.kind;
      line["task"] = ir.task;
      line["prompt"] = result.ok() ? TurnsJson(result->prompt) : Json(nullptr);
      line["requested_model"] = ir.model.empty() ? services.chat->DefaultModel() : ir.model;
      line["max_attempts"] = ir.max_attempts;
      Json answer;
      if (result.ok()) {
        answer = result->ToJson(ir);
        line["model"] = answer["model"];
        line["attempts"] = answer["attempts"];
        line["attempt_count"] = answer["attempts"].size();
        line["valid"] = answer["valid"];
        line["final"] = answer["final"];
        line["error"] = nullptr;
      } else {
        line["model"] = nullptr;
        line["attempts"] = Json::array();
        line["attempt_count"] = 0;
        line["valid"] = false;
        line["final"] = nullptr;
        line["error"] = ErrorJson(result.status())["error"];
      }
      line["latency_ms"] = std::round(static_cast<double>(MicrosSince(start))) / 1000;
      services.kb->Append("iterate_runs", line);
      if (!result.ok()) return HttpResponse::Error(result.status());
      if (ir.kind == "fill" && services.pathways && !result->attempts.empty()) {
        const std::string order_id = ir.task.value("order_id", "");
        if (roster->FindOrder(order_id) != nullptr) {
          const IterateAttempt& last = result->attempts.back();
          Json proposal =
              last.extracted.is_object() ? last.extracted.value("worker_ids", Json()) : Json();
          PathwayStep proposed{"proposed",
                               Json{{"run_id", ir.run_id},
                                    {"model", result->model},
                                    {"worker_ids", proposal.is_array() ? proposal : Json::array()}},
                               "iterate", req.request_id};
          PathwayStep validated{"validated",
                                Json{{"run_id", ir.run_id},
                                     {"valid", result->valid},
                                     {"attempts", result->attempts.size()},
                                     {"errors", last.verdict.errors.size()}},
                                "iterate", req.request_id};
          for (const PathwayStep* step : {&proposed, &validated}) {
            auto appended = services.pathways->Append(order_id, *step);
            if (!appended.ok()) return HttpResponse::Error(appended.status());
          }
        }
      }
      return HttpResponse::FromJson(200, answer);
    });
  }
};

LAKEHOUSE_REGISTER_MODULE("iterate", IterateModule);

}  // namespace
}  // namespace lakehouse
