#include "api/memory_routes.h"

#include <fmt/format.h>

#include "core/text.h"
#include "memory/memory_store.h"
#include "memory/pathways.h"
#include "memory/playbooks.h"
#include "memory/subjects.h"
#include "retrieve/corpora.h"

namespace lakehouse {
namespace {

HttpResponse Unavailable() {
  return HttpResponse::Error(Status::Unavailable("memory is not open (the vector store is off)"));
}

class MemoryModule final : public Module {
 public:
  explicit MemoryModule(MemoryDeps deps) : d_(std::move(deps)) {}
  std::string Name() const override { return "memory"; }

  void RegisterRoutes(Router& router) override {
    const MemoryDeps& s = d_;
    router.Add("POST", "/v1/memory", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(MemoryWriteRequest w, ParseMemoryWrite(body));
      if (Status st = CheckRosterSubject(s.roster->Current().get(), w.subject); !st.ok())
        return HttpResponse::Error(st);
      LH_HTTP_ASSIGN(MemoryWriteResult r, s.memory->Write(w));
      if (s.corpora) s.corpora->OfferNote(r.memory.ToJson());
      s.emit("memory." + AsciiLower(r.op), w.subject, req.request_id,
             Json{{"id", r.memory.id},
                  {"version", r.memory.versions.back().version},
                  {"source", w.source}});
      return HttpResponse::FromJson(r.op == "ADD" ? 201 : 200, r.ToJson());
    });
    router.Add("GET", "/v1/memory", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      auto subject = req.Query("subject");
      if (!subject || subject->empty())
        return HttpResponse::Error(Status::InvalidArgument(
            "query parameter 'subject' is required (e.g. worker:W0000042)"));
      Json list = Json::array();
      for (const Memory& m : s.memory->ListSubject(*subject)) list.push_back(m.ToJson());
      return HttpResponse::FromJson(200, Json{{"subject", *subject}, {"memories", list}});
    });
    router.Add("GET", "/v1/memory/stats", [&s](HttpRequest&) {
      if (!s.memory) return Unavailable();
      Json out = s.memory->Stats().ToJson();
      out["pathways"] = s.pathways->size();
      return HttpResponse::FromJson(200, out);
    });
    router.Add(
        "POST", "/v1/memory/search",
        [&s](HttpRequest& req) {
          if (!s.memory) return Unavailable();
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(std::string query, RequiredString(body, "query"));
          if (query.find_first_not_of(" \t\r\n") == std::string::npos)
            return HttpResponse::Error(Status::InvalidArgument("field 'query' must not be empty"));
          LH_HTTP_ASSIGN(auto subject, OptionalString(body, "subject"));
          LH_HTTP_ASSIGN(auto k, OptionalInt(body, "k"));
          if (k && (*k < 1 || *k > 100))
            return HttpResponse::Error(Status::InvalidArgument("field 'k' must be 1..100"));
          LH_HTTP_ASSIGN(auto hits, s.memory->Search(query, subject.value_or(""),
                                                     static_cast<size_t>(k.value_or(10))));
          Json results = Json::array();
          for (const MemoryHit& h : hits) results.push_back(h.ToJson());
          return HttpResponse::FromJson(200, Json{{"results", std::move(results)}});
        },
        OnPool(WorkClass::kQuery, Access::kRead));
    router.Add("GET", "/v1/memory/{id}", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Memory m, s.memory->Get(req.Param("id")));
      return HttpResponse::FromJson(200, m.ToJson());
    });
    router.Add("DELETE", "/v1/memory/{id}", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(MemoryWriteResult r,
                     s.memory->Delete(req.Param("id"), req.Query("source").value_or("api")));
      if (s.corpora) s.corpora->OfferNote(r.memory.ToJson());
      s.emit("memory.delete", r.memory.subject, req.request_id,
             Json{{"id", r.memory.id}, {"version", r.memory.versions.back().version}});
      return HttpResponse::FromJson(200, Json{{"op", r.op}, {"memory", r.memory.ToJson()}});
    });
    router.Add("GET", "/v1/memory/{id}/history", [&s](HttpRequest& req) {
      if (!s.memory) return Unavailable();
      LH_HTTP_ASSIGN(Memory m, s.memory->Get(req.Param("id")));
      return HttpResponse::FromJson(200, m.HistoryJson());
    });

    router.Add("POST", "/v1/pathways/{order_id}/steps", [&s](HttpRequest& req) {
      if (!s.pathways) return Unavailable();
      const std::string& order_id = req.Param("order_id");
      if (Status st = CheckRosterOrder(s.roster->Current().get(), order_id); !st.ok())
        return HttpResponse::Error(st);
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(PathwayStep step, ParsePathwayStep(body));
      step.request_id = req.request_id;
      LH_HTTP_ASSIGN(PathwayAppended out, s.pathways->Append(order_id, step));
      return HttpResponse::FromJson(201, out.ToJson());
    });
    router.Add("GET", "/v1/pathways/{order_id}", [&s](HttpRequest& req) {
      if (!s.pathways) return Unavailable();
      LH_HTTP_ASSIGN(auto version, req.QueryInt("version", 1, INT64_MAX));
      LH_HTTP_ASSIGN(PathwayTrace out, s.pathways->Get(req.Param("order_id"), version));
      return HttpResponse::FromJson(200, out.ToJson());
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
    router.Add(
        "POST", "/v1/playbooks/replay",
        [&s](HttpRequest& req) {
          if (!s.playbooks) return Unavailable();
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(Json out, s.playbooks->Replay(body, req.request_id));
          return HttpResponse::FromJson(200, out);
        },
        // A replay is a few searches and a validation (2-5 ms alone on 500k workers): the
        // query pool's, not the two bulk threads' (a loadgen's replays queued there up to
        // 0.37 s while the query threads had room).
        Expensive(OnPool(WorkClass::kQuery)));
    router.Add("GET", "/v1/playbooks/{id}", [&s](HttpRequest& req) {
      if (!s.playbooks) return Unavailable();
      LH_HTTP_ASSIGN(Json out, s.playbooks->Get(req.Param("id")));
      return HttpResponse::FromJson(200, out);
    });
  }

 private:
  MemoryDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewMemoryModule(MemoryDeps deps) {
  return std::make_unique<MemoryModule>(std::move(deps));
}
}  // namespace lakehouse
