// src/api/sql_routes.h: POST /v1/sql and POST /v1/datasets/{name}/ingest.
#pragma once

#include <memory>

#include "api/module.h"
#include "query/query_engine.h"

namespace lakehouse {

class Ingestor;

struct SqlDeps {
  QueryEngine* query = nullptr;
  Ingestor* ingestor = nullptr;
  SqlLimits limits;
};

std::unique_ptr<Module> NewSqlModule(SqlDeps deps);

}  // namespace lakehouse
