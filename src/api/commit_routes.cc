#include "api/commit_routes.h"

namespace lakehouse {
namespace {

HttpResponse Answer(const Result<CommitOutcome>& r) {
  if (!r.ok()) return HttpResponse::Error(r.status());
  return HttpResponse::FromJson(r->verdict.valid() ? 201 : 422, r->ToJson());
}

class CommitModule final : public Module {
 public:
  explicit CommitModule(CommitDeps deps) : d_(deps) {}
  std::string Name() const override { return "commit"; }
  std::string Service() const override { return "validate"; }

  void RegisterRoutes(Router& router) override {
    router.Add("POST", "/v1/fills", [d = d_](HttpRequest& req) {
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(FillCommit fill, ParseFillCommit(body));
      return Answer(CommitFill(d, fill, req.request_id));
    });
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
