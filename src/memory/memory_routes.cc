// src/memory/memory_routes.cc: /v1/memory*, /v1/pathways/*, /v1/playbooks/*.
//
// A subject or order that names a roster entity ("worker:W0000042", "order:O000007",
// a pathway's order id) must exist in the loaded roster: a memory about a worker the
// roster does not have is a model's invention, refused with 422 (404 for a pathway).
// Before any roster is loaded (an empty root) the check is skipped.
#include <fmt/format.h>

#include "core/text.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {
namespace {

Status CheckSubject(const Services& s, const std::string& subject) {
  auto roster = s.roster->Current();
  if (!roster) return Status::OK();
  const auto colon = subject.find(':');
  if (colon == std::string::npos) return Status::OK();
  const std::string kind = subject.substr(0, colon), id = subject.substr(colon + 1);
  if (kind == "worker" && roster->worker_count() > 0 && !roster->FindWorker(id))
    return Status::Unprocessable(
        fmt::format("field 'subject': unknown worker '{}' (not in the roster)", id));
  if (kind == "order" && !roster->orders().empty() && roster->FindOrder(id) == nullptr)
    return Status::Unprocessable(fmt::format("field 'subject': unknown order '{}'", id));
  return Status::OK();
}

Status CheckOrder(const Services& s, const std::string& order_id) {
  auto roster = s.roster->Current();
  if (roster && !roster->orders().empty() && roster->FindOrder(order_id) == nullptr)
    return Status::NotFound(fmt::format("unknown order '{}'", order_id));
  return Status::OK();
}

HttpResponse Unavailable() {
  return HttpResponse::Error(Status::Unavailable("memory is not open (the vector store is off)"));
}

class MemoryModule final : public Module {
 public:
  std::string Name() const override { return "memory"; }

  void RegisterRoutes(Router& router, Services& s) override {
    router.Add("POST", "/v1/memory", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(MemoryWriteRequest w, ParseMemoryWrite(body));
      if (Status st = CheckSubject(s, w.subject); !st.ok()) return HttpResponse::Error(st);
      LH_HTTP_ASSIGN(MemoryWriteResult r, s.memory->Write(w));
      s.Emit("memory." + AsciiLower(r.op), w.subject, req.request_id,
             Json{{"id", r.memory["id"]}, {"version", r.memory["version"]}, {"source", w.source}});
      Json out = Json::object();
      out["op"] = r.op;
      out["memory"] = std::move(r.memory);
      out["previous"] = std::move(r.previous);
      return HttpResponse::FromJson(r.op == "ADD" ? 201 : 200, out);
    });
    router.Add("GET", "/v1/memory", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      auto subject = req.Query("subject");
      if (!subject || subject->empty())
        return HttpResponse::Error(Status::InvalidArgument(
            "query parameter 'subject' is required (e.g. worker:W0000042)"));
      return HttpResponse::FromJson(200, s.memory->ListSubject(*subject));
    });
    router.Add("GET", "/v1/memory/stats", [&s](HttpRequest&) {
      if (!s.memory) return Unavailable();
      Json out = s.memory->Stats();
      out["pathways"] = s.pathways->size();
      return HttpResponse::FromJson(200, out);
    });
    router.Add("POST", "/v1/memory/search", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(std::string query, RequiredString(body, "query"));
      if (query.find_first_not_of(" \t\r\n") == std::string::npos)
        return HttpResponse::Error(Status::InvalidArgument("field 'query' must not be empty"));
      LH_HTTP_ASSIGN(auto subject, OptionalString(body, "subject"));
      LH_HTTP_ASSIGN(auto k, OptionalInt(body, "k"));
      if (k && (*k < 1 || *k > 100))
        return HttpResponse::Error(Status::InvalidArgument("field 'k' must be 1..100"));
      LH_HTTP_ASSIGN(Json out, s.memory->Search(query, subject.value_or(""),
                                                static_cast<size_t>(k.value_or(10))));
      return HttpResponse::FromJson(200, out);
    });
    router.Add("GET", "/v1/memory/{id}", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Json out, s.memory->Get(req.Param("id")));
      return HttpResponse::FromJson(200, out);
    });
    router.Add("DELETE", "/v1/memory/{id}", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(MemoryWriteResult r,
                     s.memory->Delete(req.Param("id"), req.Query("source").value_or("api")));
      s.Emit("memory.delete", r.memory["subject"], req.request_id,
             Json{{"id", r.memory["id"]}, {"version", r.memory["version"]}});
      return HttpResponse::FromJson(200, Json{{"op", r.op}, {"memory", r.memory}});
    });
    router.Add("GET", "/v1/memory/{id}/history", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Json out, s.memory->History(req.Param("id")));
      return HttpResponse::FromJson(200, out);
    });

    router.Add("POST", "/v1/pathways/{order_id}/steps", [&s](HttpRequest& req) {
      if (!s.pathways) return Unavailable();
      const std::string& order_id = req.Param("order_id");
      if (Status st = CheckOrder(s, order_id); !st.ok()) return HttpResponse::Error(st);
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(PathwayStep step, ParsePathwayStep(body));
      step.request_id = req.request_id;
      LH_HTTP_ASSIGN(Json out, s.pathways->Append(order_id, step));
      return HttpResponse::FromJson(201, out);
    });
    router.Add("GET", "/v1/pathways/{order_id}", [&s](HttpRequest& req) {
      if (!s.pathways) return Unavailable();
      LH_HTTP_ASSIGN(auto version, req.QueryInt("version", 1, INT64_MAX));
      LH_HTTP_ASSIGN(Json out, s.pathways->Get(req.Param("order_id"), version));
      return HttpResponse::FromJson(200, out);
    });

    router.Add("POST", "/v1/playbooks/record", [&s](HttpRequest& req) {
      if (!s.playbooks) return Unavailable();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(Json out, s.playbooks->Record(body, req.request_id));
      if (!out["valid"].get<bool>()) {
        Json err = ErrorJson(Status::Unprocessable(
            fmt::format("the steps are not a valid playbook ({} errors); nothing was recorded",
                        out["errors"].size())));
        err["errors"] = out["errors"];
        return HttpResponse::FromJson(422, err);
      }
      return HttpResponse::FromJson(out["replaced"].get<bool>() ? 200 : 201, out);
    });
    router.Add("POST", "/v1/playbooks/replay", [&s](HttpRequest& req) {
      if (!s.playbooks) return Unavailable();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(Json out, s.playbooks->Replay(body, req.request_id));
      return HttpResponse::FromJson(200, out);
    });
    router.Add("GET", "/v1/playbooks/{id}", [&s](HttpRequest& req) {
      if (!s.playbooks) return Unavailable();
      LH_HTTP_ASSIGN(Json out, s.playbooks->Get(req.Param("id")));
      return HttpResponse::FromJson(200, out);
    });
  }
};

LAKEHOUSE_REGISTER_MODULE("memory", MemoryModule);

}  // namespace
}  // namespace lakehouse
