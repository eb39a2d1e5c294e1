#include "api/distill_routes.h"

#include "core/clock.h"
#include "core/fields.h"
#include "distill/receipts.h"
#include "storage/kb_log.h"

namespace lakehouse {
namespace {

Result<Json> ParseFeedback(const Json& body) {
  LH_ASSIGN_OR_RETURN(std::string target, RequiredString(body, "target"));
  LH_RETURN_IF_ERROR(CheckLabel("target", target, 200));
  LH_ASSIGN_OR_RETURN(auto rating, OptionalInt(body, "rating"));
  if (rating && (*rating < -1 || *rating > 1))
    return Status::InvalidArgument("field 'rating' must be -1 (down), 0 or 1 (up)");
  LH_ASSIGN_OR_RETURN(auto flag, OptionalBool(body, "flag"));
  if (!rating && !flag.value_or(false))
    return Status::InvalidArgument("feedback needs a 'rating' (-1, 0, 1) or 'flag': true");
  LH_ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
  if (reason) LH_RETURN_IF_ERROR(CheckText("reason", *reason, 2000));
  LH_ASSIGN_OR_RETURN(auto coordinator, OptionalString(body, "coordinator"));
  if (coordinator) LH_RETURN_IF_ERROR(CheckLabel("coordinator", *coordinator, 64));
  return Json{{"target", target},
              {"rating", rating ? Json(*rating) : Json(nullptr)},
              {"flag", flag.value_or(false)},
              {"reason", reason ? Json(*reason) : Json(nullptr)},
              {"coordinator", coordinator ? Json(*coordinator) : Json(nullptr)}};
}

class DistillModule final : public Module {
 public:
  explicit DistillModule(DistillDeps deps) : d_(std::move(deps)) {}
  std::string Name() const override { return "distill"; }
  std::string Service() const override { return "journal"; }

  void RegisterRoutes(Router& router) override {
    router.Add("POST", "/v1/feedback", [d = d_](HttpRequest& req) {
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(Json fb, ParseFeedback(body));
      Json line = Json::object();
      line["schema"] = KbSchema(KbSource::kFeedback);
      line["id"] = "fb_" + req.request_id;
      line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      line["request_id"] = req.request_id;
      for (auto it = fb.begin(); it != fb.end(); ++it) line[it.key()] = it.value();
      d.kb->Append(KbSource::kFeedback, line);
      Json out{{"feedback_id", line["id"]}, {"at", line["at"]}};
      for (auto it = fb.begin(); it != fb.end(); ++it) out[it.key()] = it.value();
      return HttpResponse::FromJson(201, out);
    });
    router.Add("GET", "/v1/distill/status", [d = d_](HttpRequest&) {
      Json out = Json::object();
      for (const char* step : {"materialize", "score", "export_sft", "export_rag",
                               "export_preference", "audit_baselines", "audit_full"}) {
        out[step] = distill::LatestReceipt(d.root, step);
      }
      return HttpResponse::FromJson(200, out);
    });
  }

 private:
  DistillDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewDistillModule(DistillDeps deps) {
  return std::make_unique<DistillModule>(std::move(deps));
}
}  // namespace lakehouse
