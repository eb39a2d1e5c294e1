#include "api/catalog_routes.h"

#include "catalog/catalog.h"

namespace lakehouse {
namespace {

class CatalogModule final : public Module {
 public:
  explicit CatalogModule(CatalogDeps deps) : d_(deps) {}
  std::string Name() const override { return "catalog"; }
  std::string Service() const override { return "sql"; }

  void RegisterRoutes(Router& router) override {
    RouteOptions fast;
    fast.run_inline = true;
    router.Add(
        "GET", "/v1/datasets",
        [d = d_](HttpRequest&) {
          Json list = Json::array();
          for (const auto& m : d.catalog->List()) list.push_back(m.SummaryJson());
          return HttpResponse::FromJson(200, Json{{"datasets", std::move(list)}});
        },
        fast);
    router.Add(
        "GET", "/v1/datasets/{name}",
        [d = d_](HttpRequest& req) {
          auto m = d.catalog->Get(req.Param("name"));
          if (!m.ok()) return HttpResponse::Error(m.status());
          return HttpResponse::FromJson(200, m->DetailJson());
        },
        fast);
  }

 private:
  CatalogDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewCatalogModule(CatalogDeps deps) {
  return std::make_unique<CatalogModule>(deps);
}

}  // namespace lakehouse
