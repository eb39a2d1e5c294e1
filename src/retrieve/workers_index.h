// src/retrieve/workers_index.h: the `workers` vector index, built from the workers dataset.
//
// One item per worker: id = worker_id; text = role, skills, certifications, city/state and
// shift (embedded with the default embedding model); payload = the fields retrieval filters
// and ranks on (role, city, state, lat, lon, shift_pref, available, status, rating,
// reliability, years_experience, skills, certifications). `lakehouse index-workers` builds
// it in the foreground; `serve` builds it in the background when it is missing, and the
// vector module reports not-ready (/readyz 503) until it is done.
//
// Thread-safety: one builder per process.
#pragma once

#include <atomic>
#include <thread>

#include "core/json.h"
#include "core/status.h"
#include "vector/side_store.h"

namespace lakehouse {

class Catalog;
class EmbedService;
class QueryEngine;
class VectorStore;

//! What building the index reads (the workers dataset) and writes (the `workers` index).
struct WorkersIndexDeps {
  QueryEngine* query = nullptr;
  Catalog* catalog = nullptr;
  EmbedService* embed = nullptr;
  VectorStore* vectors = nullptr;
};

//! The text a worker is embedded from.
std::string WorkerText(const Json& row);

//! The index's read phase: one item (id, payload; no vector yet) and one embedding text per
//! worker, by worker_id, read with a typed scan (query/scan.h).
Status ReadWorkers(QueryEngine& query, std::vector<VectorItem>* items,
                   std::vector<std::string>* texts);

//! (Re)builds the `workers` index; answers {count, embed_ms, index_ms, elapsed_ms}.
Result<Json> BuildWorkersIndex(const WorkersIndexDeps& deps);

class WorkersIndexBuilder {
 public:
  explicit WorkersIndexBuilder(WorkersIndexDeps deps) : deps_(deps) {}
  ~WorkersIndexBuilder();
  //! Starts a background build when the workers dataset exists and the index does not.
  void StartIfMissing();
  bool running() const { return running_.load(); }

 private:
  WorkersIndexDeps deps_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace lakehouse
