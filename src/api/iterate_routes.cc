#include "api/iterate_routes.h"

#include "chat/dispatcher.h"

namespace lakehouse {
namespace {

class IterateModule final : public Module {
 public:
  explicit IterateModule(IterateDeps deps) : d_(deps) {}
  std::string Name() const override { return "iterate"; }
  std::string Service() const override { return "validate"; }

  void RegisterRoutes(Router& router) override {
    router.Add(
        "POST", "/v1/iterate",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(IterateRequest ir, ParseIterateRequest(body));
          ir.run_id = "run_" + req.request_id;
          auto chat = [&](const std::vector<IterateTurn>& turns,
                          const std::string& model) -> Result<IterateChatAnswer> {
            ChatRequest cr;
            cr.model = model;
            for (const auto& t : turns) cr.messages.push_back({t.role, t.content});
            ChatCallContext ctx{req.request_id, "iterate", ir.run_id};
            LH_ASSIGN_OR_RETURN(ChatOutcome out, d.chat->Complete(cr, ctx));
            return IterateChatAnswer{std::move(out.reply.content), out.model};
          };
          int status = 200;  // a provider failure after some attempts: its status
          LH_HTTP_ASSIGN(Json answer, RecordIterateRun(d.run, ir, chat, d.chat->DefaultModel(),
                                                       req.request_id, &status));
          return HttpResponse::FromJson(status, answer);
        },
        Expensive(OnPool(WorkClass::kWaiting)));
  }

 private:
  IterateDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewIterateModule(IterateDeps deps) {
  return std::make_unique<IterateModule>(deps);
}

}  // namespace lakehouse
