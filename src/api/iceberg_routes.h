// src/api/iceberg_routes.h: the Apache Iceberg REST catalog under /iceberg (served by the
// sql service), and the table files under /iceberg/files for readers that fetch over HTTP.
//
// Spark (`spark.sql.catalog.lake.type=rest`), Trino (`iceberg.catalog.type=rest`), PyIceberg
// or iceberg-js point at `http://<host>:<port>/iceberg` and see every dataset as a table of
// the one namespace `lakehouse` (docs/ENGINES.md). Implemented from the REST OpenAPI:
//   GET  /iceberg/v1/config                               {defaults, overrides, endpoints}
//   GET  /iceberg/v1/namespaces                           {namespaces: [["lakehouse"]]}
//   GET  /iceberg/v1/namespaces/{ns}      HEAD too        {namespace, properties}
//   GET  /iceberg/v1/namespaces/{ns}/tables               {identifiers: [...]}
//   GET  /iceberg/v1/namespaces/{ns}/tables/{t}  HEAD too LoadTableResult: metadata-location,
//                                                         metadata, config
//   POST /iceberg/v1/namespaces/{ns}/tables/{t}/metrics   scan reports: accepted, dropped (204)
// Every other catalog operation (create, commit, drop, rename, register, transactions)
// answers 406 UnsupportedOperationException: datasets are written through Lakehouse
// (ingest, gen, the ledger), which commits the Iceberg snapshots itself. Errors use the
// Iceberg error model {"error": {"message", "type", "code"}} that the clients parse.
//
//   GET /iceberg/files/datasets/{name}/{dir}/{file}   a table file's bytes (metadata JSON,
//       Avro manifests, Parquet parts), with HTTP Range requests (206), so an HTTP reader
//       such as icebird plans and reads a table through this server alone.
//
// Behind the same API keys and scopes as the rest of the API (docs/SECURITY.md): reads
// need `read`.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class Catalog;

struct IcebergDeps {
  Catalog* catalog = nullptr;
};

std::unique_ptr<Module> NewIcebergModule(IcebergDeps deps);

}  // namespace lakehouse
