// src/retrieve/retrieve_routes.cc: POST /v1/matrix/retrieve.
#include "retrieve/matrix.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {
namespace {

class RetrieveModule final : public Module {
 public:
  std::string Name() const override { return "retrieve"; }

  void RegisterRoutes(Router& router, Services& services) override {
    router.Add("POST", "/v1/matrix/retrieve", [&services](HttpRequest& req) {
      if (!services.vectors)
        return HttpResponse::Error(Status::Unavailable("vector indexes are not open"));
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(RetrieveRequest r, ParseRetrieveRequest(body));
      MatrixRetriever retriever(*services.embed, *services.vectors, services.chat.get(),
                                services.kb.get());
      LH_HTTP_ASSIGN(Json out, retriever.Retrieve(r, req.request_id));
      return HttpResponse::FromJson(200, out);
    });
  }
};

LAKEHOUSE_REGISTER_MODULE("retrieve", RetrieveModule);

}  // namespace
}  // namespace lakehouse
