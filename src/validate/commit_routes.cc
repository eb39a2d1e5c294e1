// src/validate/commit_routes.cc: POST /v1/fills and POST /v1/emails: a coordinator commits
// a fill or sends an email.
//
// Each is checked by its validator against the roster at that moment; the verdict, the
// order (and the worker) as the roster saw them go to `_kb/fills.jsonl` / `_kb/emails.jsonl`
// (fill.v1 / email.v1), valid or not: a rejected commit is evidence too. A valid one also
// becomes the order's `filled` / `emailed` pathway step. 201 when valid, 422 with every
// error when not (nothing is committed then).
#include "core/clock.h"
#include "memory/fields.h"
#include "server/module.h"
#include "server/services.h"
#include "validate/iterate.h"

namespace lakehouse {
namespace {

// The optional {run_id, source} every commit may carry.
struct CommitOrigin {
  Json run_id = nullptr;
  std::string source = "coordinator";
};

Result<CommitOrigin> ParseOrigin(const Json& body) {
  CommitOrigin o;
  LH_ASSIGN_OR_RETURN(auto run_id, OptionalString(body, "run_id"));
  if (run_id) o.run_id = *run_id;
  LH_ASSIGN_OR_RETURN(auto source, OptionalString(body, "source"));
  if (source) o.source = *source;
  LH_RETURN_IF_ERROR(CheckLabel("source", o.source, 64));
  return o;
}

HttpResponse Committed(Services& s, const char* kb_source, Json line, const Verdict& verdict,
                       const std::string& order_id, PathwayStep step) {
  s.kb->Append(kb_source, line);
  if (verdict.valid() && s.pathways) {
    auto appended = s.pathways->Append(order_id, step);
    if (!appended.ok()) return HttpResponse::Error(appended.status());
  }
  Json out = Json::object();
  for (const char* k : {"fill_id", "email_id"})
    if (line.contains(k)) out[k] = line[k];
  out["valid"] = verdict.valid();
  out["errors"] = verdict.ErrorsJson();
  return HttpResponse::FromJson(verdict.valid() ? 201 : 422, out);
}

class CommitModule final : public Module {
 public:
  std::string Name() const override { return "commit"; }
  std::string Service() const override { return "validate"; }

  void RegisterRoutes(Router& router, Services& services) override {
    router.Add("POST", "/v1/fills", [&s = services](HttpRequest& req) {
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(std::string order_id, RequiredString(body, "order_id"));
      auto ids = body.find("worker_ids");
      if (ids == body.end() || !ids->is_array())
        return HttpResponse::Error(
            Status::InvalidArgument("field 'worker_ids' must be an array of worker ids"));
      LH_HTTP_ASSIGN(CommitOrigin origin, ParseOrigin(body));
      LH_HTTP_ASSIGN(auto roster, s.roster->Require());
      const Json payload{{"order_id", order_id}, {"worker_ids", *ids}};
      const Verdict verdict = s.validators->Fill(*roster, payload);
      const OrderRecord* order = roster->FindOrder(order_id);
      Json line = Json::object();
      line["schema"] = "fill.v1";
      line["fill_id"] = "fil_" + req.request_id;
      line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      line["request_id"] = req.request_id;
      line["order_id"] = order_id;
      line["worker_ids"] = *ids;
      line["order"] = order ? OrderJson(*order) : Json(nullptr);
      line["run_id"] = origin.run_id;
      line["source"] = origin.source;
      line["valid"] = verdict.valid();
      line["errors"] = verdict.ErrorsJson();
      PathwayStep step{"filled", Json{{"fill_id", line["fill_id"]}, {"worker_ids", *ids}},
                       origin.source, req.request_id};
      return Committed(s, "fills", std::move(line), verdict, order_id, std::move(step));
    });

    router.Add("POST", "/v1/emails", [&s = services](HttpRequest& req) {
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(std::string order_id, RequiredString(body, "order_id"));
      LH_HTTP_ASSIGN(std::string worker_id, RequiredString(body, "worker_id"));
      LH_HTTP_ASSIGN(CommitOrigin origin, ParseOrigin(body));
      LH_HTTP_ASSIGN(auto roster, s.roster->Require());
      Json payload = Json::object();
      for (const char* k : {"to", "subject", "body", "worker_id", "order_id"})
        payload[k] = body.contains(k) ? body[k] : Json(nullptr);
      const Verdict verdict = s.validators->Email(*roster, payload);
      const OrderRecord* order = roster->FindOrder(order_id);
      auto worker = roster->FindWorker(worker_id);
      Json line = Json::object();
      line["schema"] = "email.v1";
      line["email_id"] = "eml_" + req.request_id;
      line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      line["request_id"] = req.request_id;
      line["order_id"] = order_id;
      line["worker_id"] = worker_id;
      line["worker"] = worker ? WorkerJson(roster->Worker(*worker)) : Json(nullptr);
      line["order"] = order ? OrderJson(*order) : Json(nullptr);
      for (const char* k : {"to", "subject", "body"}) line[k] = payload[k];
      line["run_id"] = origin.run_id;
      line["source"] = origin.source;
      line["valid"] = verdict.valid();
      line["errors"] = verdict.ErrorsJson();
      PathwayStep step{"emailed",
                       Json{{"email_id", line["email_id"]},
                            {"worker_id", worker_id},
                            {"subject", payload["subject"]}},
                       origin.source, req.request_id};
      return Committed(s, "emails", std::move(line), verdict, order_id, std::move(step));
    });
  }
};

LAKEHOUSE_REGISTER_MODULE("commit", CommitModule);

}  // namespace
}  // namespace lakehouse
