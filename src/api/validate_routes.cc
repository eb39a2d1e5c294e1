#include "api/validate_routes.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "storage/kb_log.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse {
namespace {

class ValidateModule final : public Module {
 public:
  explicit ValidateModule(ValidateDeps deps) : d_(deps) {}
  std::string Name() const override { return "validate"; }

  Status Start() override {
    // A roster that cannot load (a dataset without a needed column) is not fatal: the
    // server starts, /v1/validate answers 503 naming the cause, and the next dataset
    // version that fixes it is picked up.
    Status st = d_.roster->Start();
    if (!st.ok()) spdlog::error("roster: {}", st.ToString());
    return Status::OK();
  }

  void RegisterRoutes(Router& router) override {
    RouteOptions inline_route;
    inline_route.run_inline = true;
    RouteOptions check = inline_route;  // a read: it judges, it changes nothing
    check.access = Access::kRead;
    router.Add(
        "POST", "/v1/validate",
        [d = d_](HttpRequest& req) {
          const auto start = std::chrono::steady_clock::now();
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(std::string kind, RequiredString(body, "kind"));
          auto payload = body.find("payload");
          if (payload == body.end() || payload->is_null())
            return HttpResponse::Error(Status::InvalidArgument("field 'payload' is required"));
          LH_HTTP_ASSIGN(auto roster, d.roster->Require());
          LH_HTTP_ASSIGN(Verdict verdict, d.validators->Validate(*roster, kind, *payload));
          d.kb->Append(KbSource::kValidations,
                       ValidationKbRecord(kind, *payload, verdict, roster->stats(), "validate",
                                          req.request_id, "", MicrosSince(start)));
          return HttpResponse::FromJson(verdict.valid() ? 200 : 422, verdict.ToJson());
        },
        check);
    router.Add(
        "GET", "/v1/validate/roster",
        [d = d_](HttpRequest&) { return HttpResponse::FromJson(200, d.roster->StatusJson()); },
        inline_route);
  }

 private:
  ValidateDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewValidateModule(ValidateDeps deps) {
  return std::make_unique<ValidateModule>(deps);
}
}  // namespace lakehouse
