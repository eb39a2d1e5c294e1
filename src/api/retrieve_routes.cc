#include "api/retrieve_routes.h"

#include "retrieve/matrix.h"

namespace lakehouse {
namespace {

class RetrieveModule final : public Module {
 public:
  explicit RetrieveModule(RetrieveDeps deps) : d_(deps) {}
  std::string Name() const override { return "retrieve"; }

  void RegisterRoutes(Router& router) override {
    router.Add(
        "POST", "/v1/matrix/retrieve",
        [d = d_](HttpRequest& req) {
          if (!d.vectors)
            return HttpResponse::Error(Status::Unavailable("vector indexes are not open"));
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          LH_HTTP_ASSIGN(RetrieveRequest r, ParseRetrieveRequest(body));
          MatrixRetriever retriever(*d.embed, *d.vectors, d.chat, d.kb, d.roster);
          LH_HTTP_ASSIGN(RetrieveResult out, retriever.Retrieve(r, req.request_id));
          return HttpResponse::FromJson(200, out.ToJson());
        },
        OnPool(WorkClass::kQuery, Access::kRead));
  }

 private:
  RetrieveDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewRetrieveModule(RetrieveDeps deps) {
  return std::make_unique<RetrieveModule>(deps);
}

}  // namespace lakehouse
