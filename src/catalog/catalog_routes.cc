// src/catalog/catalog_routes.cc: GET /v1/datasets and GET /v1/datasets/{name}.
#include "catalog/catalog.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {
namespace {

class CatalogModule final : public Module {
 public:
  std::string Name() const override { return "catalog"; }
  std::string Service() const override { return "sql"; }

  void RegisterRoutes(Router& router, Services& services) override {
    RouteOptions fast;
    fast.run_inline = true;
    router.Add(
        "GET", "/v1/datasets",
        [&services](HttpRequest&) {
          Json list = Json::array();
          for (const auto& m : services.catalog->List()) list.push_back(m.SummaryJson());
          return HttpResponse::FromJson(200, Json{{"datasets", std::move(list)}});
        },
        fast);
    router.Add(
        "GET", "/v1/datasets/{name}",
        [&services](HttpRequest& req) {
          auto m = services.catalog->Get(req.Param("name"));
          if (!m.ok()) return HttpResponse::Error(m.status());
          return HttpResponse::FromJson(200, m->DetailJson());
        },
        fast);
  }
};

LAKEHOUSE_REGISTER_MODULE("catalog", CatalogModule);

}  // namespace
}  // namespace lakehouse
