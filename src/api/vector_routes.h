// src/api/vector_routes.h: /v1/indexes... (create, list, upsert, search, get, delete,
// snapshot, drop). Text items and text queries are embedded with the index's model
// through the shared embedding service (and its cache). The vector service also builds
// the `workers` index in the background when it is missing (retrieve/workers_index.h);
// /readyz is 503 until it is done.
#pragma once

#include <memory>

#include "api/module.h"
#include "retrieve/workers_index.h"

namespace lakehouse {

struct VectorDeps {
  VectorStore* vectors = nullptr;
  EmbedService* embed = nullptr;
  WorkersIndexDeps workers_index;
  uint64_t populate_bytes = 0;  // vectors.populate_mb
};

std::unique_ptr<Module> NewVectorModule(VectorDeps deps);

}  // namespace lakehouse
