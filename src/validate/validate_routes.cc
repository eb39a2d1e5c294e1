// src/validate/validate_routes.cc: POST /v1/validate and GET /v1/validate/roster.
//
// Validation is microseconds against the in-memory roster, so it runs on the I/O thread.
// Every call appends a validation.v1 line to _kb/validations.jsonl.
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {
namespace {

class ValidateModule final : public Module {
 public:
  std::string Name() const override { return "validate"; }

  Status Start(Services& services) override {
    // A roster that cannot load (a dataset without a needed column) is not fatal: the
    // server starts, /v1/validate answers 503 naming the cause, and the next dataset
    // version that fixes it is picked up.
    Status st = services.roster->Start();
    if (!st.ok()) spdlog::error("roster: {}", st.ToString());
    return Status::OK();
  }

  void RegisterRoutes(Router& router, Services& services) override {
    RouteOptions inline_route;
    inline_route.run_inline = true;
    router.Add(
        "POST", "/v1/validate",
        [&services](HttpRequest& req) {
          const auto start = std::chrono::steady_clock::now();
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(std::string kind, RequiredString(body, "kind"));
          auto payload = body.find("payload");
          if (payload == body.end() || payload->is_null())
            return HttpResponse::Error(Status::InvalidArgument("field 'payload' is required"));
          LH_HTTP_ASSIGN(auto roster, services.roster->Require());
          LH_HTTP_ASSIGN(Verdict verdict, services.validators->Validate(*roster, kind, *payload));
          services.kb->Append(
              "validations",
              ValidationKbRecord(kind, *payload, verdict, roster->stats(), "validate",
                                 req.request_id, "", MicrosSince(start)));
          return HttpResponse::FromJson(verdict.valid() ? 200 : 422, verdict.ToJson());
        },
        inline_route);
    router.Add(
        "GET", "/v1/validate/roster",
        [&services](HttpRequest&) {
          return HttpResponse::FromJson(200, services.roster->StatusJson());
        },
        inline_route);
  }
};

LAKEHOUSE_REGISTER_MODULE("validate", ValidateModule);

}  // namespace
}  // namespace lakehouse
