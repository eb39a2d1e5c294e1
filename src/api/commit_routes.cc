#include "api/commit_routes.h"

#include "core/fields.h"

namespace lakehouse {
namespace {

HttpResponse Answer(const Result<CommitOutcome>& r) {
  if (!r.ok()) return HttpResponse::Error(r.status());
  HttpResponse out = HttpResponse::FromJson(r->verdict.valid() ? 201 : 422, r->ToJson());
  if (r->replayed) out.headers.emplace_back("Idempotent-Replayed", "true");
  return out;
}

Json RowsJson(const std::vector<LedgerRow>& rows, size_t limit = SIZE_MAX) {
  Json out = Json::array();
  for (size_t i = 0; i < rows.size() && i < limit; ++i) out.push_back(rows[i].ToJson());
  return out;
}

//! {fill_id, status, placements}: the answer to a status change.
HttpResponse Changed(const std::string& fill_id, const Result<std::vector<LedgerRow>>& r) {
  if (!r.ok()) return HttpResponse::Error(r.status());
  return HttpResponse::FromJson(200, Json{{"fill_id", fill_id},
                                          {"status", FillStatusName(r->front().status)},
                                          {"placements", RowsJson(*r)}});
}

//! A status change of {fill_id} from its request body (DELETE and POST .../status).
HttpResponse ChangeAnswer(const CommitDeps& d, const HttpRequest& req, const Json& body) {
  LH_HTTP_ASSIGN(FillChange change, ParseFillChange(req.Param("fill_id"), body));
  change.request_id = req.request_id;
  return Changed(change.fill_id, ChangeFill(d, change));
}

Result<FillLedger*> Ledger(const CommitDeps& d) {
  if (d.ledger == nullptr) return Status::Unavailable("the fills ledger is not open here");
  return d.ledger;
}

class CommitModule final : public Module {
 public:
  explicit CommitModule(CommitDeps deps) : d_(deps) {}
  std::string Name() const override { return "commit"; }
  std::string Service() const override { return "validate"; }
  Status Start() override {
    if (d_.ledger != nullptr) d_.ledger->StartCompactor();
    return Status::OK();
  }

  void RegisterRoutes(Router& router) override {
    // Writes to the ledger wait for its group-committed fsync: they wait, they do not
    // compute, and the more of them wait together the fewer syncs they need.
    const RouteOptions commits = OnPool(WorkClass::kWaiting);
    router.Add(
        "POST", "/v1/fills",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(FillCommit fill, ParseFillCommit(body));
          if (auto key = req.Header("idempotency-key"); !key.empty()) {
            if (Status st = CheckLabel("Idempotency-Key", key, 255); !st.ok())
              return HttpResponse::Error(st);
            fill.idempotency_key = std::string(key);
          }
          return Answer(CommitFill(d, fill, req.request_id));
        },
        commits);
    router.Add("GET", "/v1/fills", [d = d_](HttpRequest& req) {
      LH_HTTP_ASSIGN(FillLedger * ledger, Ledger(d));
      LedgerFilter f;
      f.order_id = req.Query("order_id").value_or("");
      f.worker_id = req.Query("worker_id").value_or("");
      if (auto s = req.Query("status")) {
        if (!IsFillStatus(*s))
          return HttpResponse::Error(Status::InvalidArgument(
              "query 'status' must be active, cancelled or ended, not '" + *s + "'"));
        f.status = ParseFillStatus(*s);
      }
      LH_HTTP_ASSIGN(auto limit, req.QueryInt("limit", 1, 100000));
      const auto rows = ledger->List(f);
      const size_t cap = static_cast<size_t>(limit.value_or(1000));
      return HttpResponse::FromJson(200, Json{{"fills", RowsJson(rows, cap)},
                                              {"count", rows.size()},
                                              {"truncated", rows.size() > cap},
                                              {"ledger", ledger->StatsJson()}});
    });
    router.Add("GET", "/v1/fills/{fill_id}", [d = d_](HttpRequest& req) {
      LH_HTTP_ASSIGN(FillLedger * ledger, Ledger(d));
      LedgerFilter f;
      f.fill_id = req.Param("fill_id");
      const auto rows = ledger->List(f);
      if (rows.empty()) return HttpResponse::Error(Status::NotFound("unknown fill " + f.fill_id));
      return HttpResponse::FromJson(200, Json{{"fill_id", f.fill_id},
                                              {"order_id", rows.front().order_id},
                                              {"placements", RowsJson(rows)}});
    });
    router.Add(
        "DELETE", "/v1/fills/{fill_id}",
        [d = d_](HttpRequest& req) {
          Json body = Json::object();
          if (!req.body.empty()) {
            LH_HTTP_ASSIGN(body, ParseJsonObject(req.body));
          }
          for (const char* k : {"reason", "source"})
            if (auto q = req.Query(k); q && !body.contains(k)) body[k] = *q;
          body["status"] = "cancelled";
          return ChangeAnswer(d, req, body);
        },
        commits);
    router.Add(
        "POST", "/v1/fills/{fill_id}/status",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          return ChangeAnswer(d, req, body);
        },
        commits);
    router.Add(
        "POST", "/v1/fills/compact",
        [d = d_](HttpRequest&) {
          LH_HTTP_ASSIGN(FillLedger * ledger, Ledger(d));
          LH_HTTP_ASSIGN(int64_t version, ledger->Compact());
          return HttpResponse::FromJson(
              200, Json{{"version", version}, {"ledger", ledger->StatsJson()}});
        },
        OnPool(WorkClass::kBulk, Access::kAdmin));
    router.Add("POST", "/v1/emails", [d = d_](HttpRequest& req) {
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(EmailCommit email, ParseEmailCommit(body));
      return Answer(CommitEmail(d, email, req.request_id));
    });
  }

 private:
  CommitDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewCommitModule(CommitDeps deps) {
  return std::make_unique<CommitModule>(deps);
}

}  // namespace lakehouse
