// src/api/catalog_routes.h: GET /v1/datasets and GET /v1/datasets/{name} (served by the
// sql service).
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class Catalog;

struct CatalogDeps {
  Catalog* catalog = nullptr;
};

std::unique_ptr<Module> NewCatalogModule(CatalogDeps deps);

}  // namespace lakehouse
